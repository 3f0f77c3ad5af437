/** Rejection codes of the wire contract, plus `unavailable` when the movement could not be recorded. */
export type MovementErrorCode = 'invalid_position' | 'out_of_bounds' | 'too_fast' | 'rate_limited' | 'unavailable';
