import type { Pool } from 'pg';
import { APPENDING_LOCK_KEY } from '../../event-store';

// Replays read history in recorded order (recorded_at, then global position) and continue
// after a cursor. An append that commits after a read has passed its instant would slip in
// behind the reader's cursor: a gap in a page chain, never read. With one append in flight
// at a time (one node, one lane) that cannot happen; with several lanes or nodes it can,
// as transaction B, begun after A, commits first. The fix is to know where history is
// settled: before which instant no event can still appear.
//
// Appends take the appending lock (APPENDING_LOCK_KEY) before they read the clock for
// recorded_at, and hold it until they end. So, looking first at the clock (now), then at
// who holds the lock:
// - an append holding it began no later than its events' recorded_at (pg_stat_activity's
//   xact_start is a lower bound for them);
// - an append not holding it yet takes it after the look, and stamps its events later
//   than now.
// History before min(now, every holder's start) is settled: nothing can still be added
// there. A read that must go further waits for those holders to end, after which history
// before `now` is settled. (importEvents, which loads history recorded elsewhere, writes
// the past by design and takes no lock: it is for setting a world up, not for a live one.)

/** A look at the live edge: the clock, and the appends in flight then. */
export interface LiveEdge {
  /** The database's clock (milliseconds) when looked: every event appended later is stamped at or after it. */
  now: Date;
  /**
   * Before this instant no event can still appear: min(now, the start of every append in
   * flight). null when an append in flight did not show when it began: then nothing is
   * known to be settled until it has ended.
   */
  settled: Date | null;
  /** The appends in flight that began before `now` (virtual transaction ids): a read up to `now` waits for them. */
  inFlight: string[];
}

/**
 * The appending lock's rows in the lock table (two int4 keys show as classid, objid and
 * objsubid 2). The functions behind the pg_locks and pg_stat_activity views: planning the
 * views took longer than running the query.
 */
const HOLDERS_OF_APPENDING_LOCK = `
  l.locktype = 'advisory' AND l.objsubid = 2
  AND l.classid = (${APPENDING_LOCK_KEY.waypoint}::bigint & 4294967295)::oid
  AND l.objid = (${APPENDING_LOCK_KEY.schema}::bigint & 4294967295)::oid
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.pid <> pg_backend_pid()`;

/** First of the two statements of a look: the clock is read strictly before the lock table. */
const CLOCK = { name: 'waypoint_live_edge_clock', text: `SELECT date_trunc('milliseconds', clock_timestamp()) AS now` };

/**
 * The holders and when their transactions began. pg_stat_get_activity may show a holder's
 * later transaction, or none at all, if it ended or began between the two reads; either
 * way that holder needs no bound (see lookAtLiveEdge).
 */
const HOLDERS = {
  name: 'waypoint_live_edge_holders',
  text: `
  SELECT l.virtualtransaction AS vxid, date_trunc('milliseconds', (SELECT s.xact_start FROM pg_stat_get_activity(l.pid) s)) AS since
  FROM pg_lock_status() l
  WHERE ${HOLDERS_OF_APPENDING_LOCK}`,
};

const STILL_IN_FLIGHT = {
  name: 'waypoint_live_edge_in_flight',
  text: `SELECT count(*)::int AS open FROM pg_lock_status() l WHERE l.virtualtransaction = ANY($1::text[]) AND ${HOLDERS_OF_APPENDING_LOCK}`,
};

/** Between looks at appends in flight while waiting for them: the first pause, and the longest. */
const FIRST_POLL_MS = 2;
const LAST_POLL_MS = 50;

/** Appends in flight did not end within the wait a read may spend on them. */
export class LiveEdgeNotSettled extends Error {
  constructor(
    readonly waitedMs: number,
    readonly appendsInFlight: number,
  ) {
    super(`${appendsInFlight} append(s) in flight did not commit within ${waitedMs} ms`);
  }
}

/**
 * One of the statements above, with its values: as a named prepared statement (each
 * pooled connection plans it once) when `prepared`, else as plain text (the embedded
 * database, whose connections share one session; see DatabaseCapabilities).
 */
function statement(named: { name: string; text: string }, prepared: boolean, values: unknown[] = []): { name?: string; text: string; values: unknown[] } {
  return prepared ? { ...named, values } : { text: named.text, values };
}

/** The database's clock, in milliseconds: the clock events are stamped with. */
export async function databaseClock(pool: Pool, prepared: boolean): Promise<Date> {
  return (await pool.query<{ now: Date }>(statement(CLOCK, prepared))).rows[0].now;
}

/** The clock, then the appends in flight and what of history is settled (see LiveEdge). */
export async function lookAtLiveEdge(pool: Pool, prepared: boolean): Promise<LiveEdge> {
  const now = await databaseClock(pool, prepared);
  const holders = (await pool.query<{ vxid: string; since: Date | null }>(statement(HOLDERS, prepared))).rows;
  let settled: number | null = now.getTime();
  const inFlight: string[] = [];
  for (const { vxid, since } of holders) {
    // Began at or after the clock was read: its events are stamped at or after now, so no
    // read that stops at now needs it.
    if (since !== null && since.getTime() >= now.getTime()) continue;
    inFlight.push(vxid);
    // No start shown: the holder ended between the two reads, began after the clock was
    // read, or its session is hidden from this role (or does not report, track_activities
    // off). Which, is unknown, so nothing counts as settled until it is gone.
    if (since === null) settled = null;
    else if (settled !== null && since.getTime() < settled) settled = since.getTime();
  }
  return { now, settled: settled === null ? null : new Date(settled), inFlight };
}

/**
 * Resolves once none of the appends `inFlight` is open; LiveEdgeNotSettled after `budgetMs`.
 * Each look takes the lock table's partition locks, as appends do, so the looks slow down
 * from every 2 ms to every 50 ms: a batch usually ends within the first few.
 */
export async function waitForAppends(pool: Pool, inFlight: string[], budgetMs: number, prepared: boolean): Promise<void> {
  if (inFlight.length === 0) return;
  const started = Date.now();
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(pause * 2, LAST_POLL_MS)) {
    const [{ open }] = (await pool.query<{ open: number }>(statement(STILL_IN_FLIGHT, prepared, [inFlight]))).rows;
    if (open === 0) return;
    const waited = Date.now() - started;
    if (waited >= budgetMs) throw new LiveEdgeNotSettled(budgetMs, open);
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, budgetMs - waited)));
  }
}
