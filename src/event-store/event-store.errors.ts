/** The stream moved on since the writer read it: re-read and decide again. */
export class ConcurrencyError extends Error {
  constructor(
    readonly streamIds: string[],
    detail: string,
  ) {
    super(`Concurrent write to ${streamIds.join(', ')}: ${detail}`);
  }
}

/** PostgreSQL's unique_violation: a (stream, version) pair already exists. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string; driverError?: { code?: string } })?.code ?? (error as { driverError?: { code?: string } })?.driverError?.code;
  return code === '23505';
}
