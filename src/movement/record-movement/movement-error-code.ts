/** Rejection codes of the wire contract, plus `unavailable` when the database could not record. */
export type MovementErrorCode = 'invalid_position' | 'out_of_bounds' | 'too_fast' | 'rate_limited' | 'unavailable';

/** A coded rejection of one `position` message; mapped to the wire once, in the gateway. */
export class MovementRejected extends Error {
  constructor(
    readonly code: MovementErrorCode,
    message: string,
    readonly seq: number | null,
  ) {
    super(message);
  }
}
