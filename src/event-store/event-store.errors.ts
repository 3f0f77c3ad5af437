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

/** A batch that is certainly not recorded; `noAnswer` when the database did not answer at all. */
export class AppendNotRecorded extends Error {
  constructor(
    readonly noAnswer: boolean,
    cause: unknown,
  ) {
    super(`the batch was not recorded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A batch append's error: a taken stream version becomes a ConcurrencyError naming the batch's streams. */
export function clashOr(error: unknown, streamIds: string[]): unknown {
  if (!isUniqueViolation(error)) return error;
  return new ConcurrencyError([...new Set(streamIds)], 'a stream version is already taken');
}
