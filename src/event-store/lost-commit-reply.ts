import type { Pool } from 'pg';
import type { VersionedNewEvent } from './event-store.types';

// A COMMIT (or an autocommitted append) whose reply never arrived may have been
// recorded or not: the connection can fail after PostgreSQL wrote the commit and before
// its answer reached us. Refusing such a batch would tell clients to send again what is
// already stored (a second event of the same movement); accepting it could acknowledge
// what was never stored. So the store finds out, the way a careful client of any
// database must: end the old session for certain, then look for the batch's last event.

/** Whether the batch was committed could not be learned in time: the database stayed out of reach. */
export class CommitOutcomeUnknown extends Error {
  constructor(cause: unknown) {
    super(`the append's reply was lost and the database could not be asked whether it committed: ${String(cause)}`, { cause });
  }
}

/**
 * Whether an append's failure leaves its outcome open. An ERROR reply means the backend
 * answered and rolled the transaction back: nothing was recorded. Anything else (the
 * connection closed, a FATAL as the backend was terminated, a timeout) came without an
 * answer to the COMMIT, which may have been carried out.
 */
export function replyWasLost(error: unknown): boolean {
  return (error as { severity?: string } | null)?.severity !== 'ERROR';
}

/** The last event of a batch's recorded_at, if it is stored with its own event id (not another writer's event at that version). */
const EVENT_RECORDED = `
  SELECT recorded_at AS "recordedAt" FROM events WHERE stream_id = $1 AND stream_version = $2 AND metadata->>'eventId' = $3`;

/** Ends the session (waiting up to $2 ms for it to go); whether it is still there is asked after, in a statement of its own. */
const END_SESSION = `SELECT pg_terminate_backend($1::int, $2::bigint) AS ended`;
const SESSION_ALIVE = `SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1::int) AS alive`;

/** Between attempts to reach the database while settling a lost reply. */
const RETRY_EVERY_MS = 200;

/**
 * Whether the batch whose last event is `last`, sent on the session of backend
 * `backendPid`, was committed: that event's recorded_at if it was, else null. The session is ended first and seen gone: a backend
 * still finishing the COMMIT could otherwise commit just after the look found nothing.
 * Every event of a batch commits together, so its last one answers for all. Keeps
 * trying for `budgetMs` (PostgreSQL may be restarting); then CommitOutcomeUnknown.
 */
export async function settleLostCommit(pool: Pool, backendPid: number, last: VersionedNewEvent, budgetMs: number): Promise<Date | null> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    try {
      // Each question has what is left of the budget as its deadline: a database that
      // went silent fails it in time (BoundedClient), instead of holding the batch forever.
      const ask = <Row>(text: string, values: unknown[]) =>
        pool.query({ text, values, query_timeout: Math.max(100, deadline - Date.now()) } as never) as unknown as Promise<{ rows: Row[] }>;
      const left = Math.max(1, deadline - Date.now());
      await ask(END_SESSION, [backendPid, left]);
      const [{ alive }] = (await ask<{ alive: boolean }>(SESSION_ALIVE, [backendPid])).rows;
      if (alive) throw new Error(`backend ${backendPid} is still running the append's session`);
      const { rows } = await ask<{ recordedAt: Date }>(EVENT_RECORDED, [last.streamId, last.streamVersion, last.metadata.eventId]);
      return rows[0]?.recordedAt ?? null;
    } catch (error) {
      if (Date.now() + RETRY_EVERY_MS >= deadline) throw new CommitOutcomeUnknown(error);
      await new Promise((resolve) => setTimeout(resolve, RETRY_EVERY_MS));
    }
  }
}
