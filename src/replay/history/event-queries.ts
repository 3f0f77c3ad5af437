import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { DEFAULT_LIVE_EDGE_WAIT_MS, SETTINGS, Settings } from '../../config/settings';
import { DATABASE_CAPABILITIES, DatabaseCapabilities } from '../../database/database-capabilities';
import { driverPool } from '../../database/data-source';
import { databaseClock, lookAtLiveEdge, waitForAppends } from './live-edge';
import type { Queryable } from '../../event-store';
import { exportBatchSql, exportJoinSql, exportLineSql, ExportSpec, jsonObjectSql, jsonPagePartSql, PAGE_SOURCE_COLUMNS } from './export.sql';
import {
  EVENT_AT_POSITION,
  latestOfStreamsAtSql,
  newestPerStreamBeforeSql,
  RANGE_COLUMNS,
  readAllRangeSql,
  readManyStreamsRangeSql,
  readStreamRangeSql,
  readStreamsRangeSql,
} from './event-queries.sql';

/** A time range of one event type, continued after a cursor; read in recorded order. */
export interface EventRange {
  type: string;
  /** Only these streams; null = every stream. */
  streamIds: string[] | null;
  /** Inclusive lower bound of recorded_at; null = from the first event. */
  from: Date | null;
  /** Exclusive upper bound of recorded_at; null = up to the latest event. */
  to: Date | null;
  /** Global position of the last event already read (a cursor); null = from the start of the range. */
  after: string | null;
}

/** An event as replays read it. */
export interface RangeEvent<Data = unknown> {
  /** Global position, a bigint as a decimal string: the cursor of the next read. */
  globalPosition: string;
  streamId: string;
  streamVersion: number;
  eventId: string;
  data: Data;
  /** ISO 8601, UTC, millisecond precision (as Date#toISOString). */
  recordedAt: string;
}

/** One batch of an export: its text (whole lines), how many events, the last one's position. */
export interface ExportBatch {
  text: string;
  count: number;
  /** Global position of the batch's last event: where the next batch continues. */
  last: string | null;
  /** recorded_at of the batch's first and last events, in epoch milliseconds (null when empty). */
  firstAtMs: number | null;
  lastAtMs: number | null;
}

/** A piece of an export's range read on its own, and the read of its first batch, started. */
interface ExportSegment {
  range: EventRange;
  first: Promise<ExportBatch>;
}

/** A page of a range as JSON text written by PostgreSQL. */
export interface JsonPage {
  /**
   * The items as JSON objects joined by commas, the inside of a JSON array, in pieces to
   * be written one after another: each half's text as node-postgres decoded it. Joined
   * into one string, they would be a rope that Node.js encodes for the socket several
   * times slower than the flat pieces (docs/performance.md, "Large answers sent as flat pieces").
   */
  items: string[];
  /** Global position of the page's last item when the range goes on after it (the next cursor); else null. */
  next: string | null;
}

/** Rows (first, last] of a range read, as jsonPagePartSql describes them. */
export interface PagePart {
  items: string;
  /** Position of row `last`; null when the read had fewer rows. */
  last: string | null;
  /** Position of row `first`, where this part continues the one before it; null when first = 0 or the read had fewer rows. */
  boundary: string | null;
  /** Rows the read had, up to last + 1. */
  count: number;
}

/** Pages of at least this many events are read in two halves at once, when the pool has two connections. */
export const SPLIT_PAGES_FROM = 2_000;

/**
 * A page from its two halves, read at once but each in its own snapshot: rows (0, half]
 * and (half, limit] of the range. Events are never deleted and one snapshot sees all an
 * earlier one saw, so if both reads agree on which event is row `half`, both counted the
 * same events up to it, and the halves join into the page a single read in the second
 * half's snapshot would have given (that snapshot may be the older of the two). null
 * when they disagree (an event inside the first half committed between the two
 * snapshots): read it again whole.
 */
export function joinPageParts(head: PagePart, tail: PagePart, half: number, limit: number): JsonPage | null {
  // The range ended inside the first half: that is the page, and the range's end.
  if (head.count <= half) return { items: [head.items], next: null };
  if (tail.boundary === null || tail.boundary !== head.last) return null;
  return {
    items: tail.items === '' ? [head.items] : [head.items, ',', tail.items],
    next: tail.count > limit ? tail.last : null,
  };
}

/** The newest state of many streams as of an instant: `jsons[i]` is stream `streamIds[i]`'s. */
export interface NewestStates {
  streamIds: string[];
  /** Each a JSON object per the caller's spec (see jsonObjectSql). */
  jsons: string[];
  /** The scan reached the first event: streams absent here had none by then. */
  exhaustive: boolean;
}

/** A stream's state as of an instant: its latest event then, as a JSON object written by PostgreSQL. */
export interface StreamState {
  streamId: string;
  /** The event as one JSON object per the caller's spec (see jsonObjectSql). */
  json: string;
}

export interface EventLocation {
  globalPosition: string;
  streamId: string;
  type: string;
  recordedAt: Date;
}

export interface StreamRangeOptions {
  /** Rows per query; each batch is one short keyset query, so no connection is held between batches. */
  batchSize?: number;
  /** Aborted: no further batch is read. */
  signal?: AbortSignal;
}

/**
 * Exports cut segments (read ahead of their turn) only this far behind now: every batch
 * recorded before then has committed, as batches commit within milliseconds.
 */
export const LIVE_EDGE_MARGIN_MS = 10_000;

/**
 * Whether a range spans several streams. One stream's events are appended by its single
 * writer one batch at a time, each committed before the next begins, so they commit in
 * recorded order and a read of one stream needs no wait at the live edge.
 */
function spansStreams(range: EventRange): boolean {
  return range.streamIds === null || range.streamIds.length > 1;
}

/** Whether the range ends at or before `instant` (its `to` is exclusive). */
function endsBy(range: EventRange, instant: Date): boolean {
  return range.to !== null && range.to.getTime() <= instant.getTime();
}

/** The range, cut to end at `instant` if it went further. */
function endingBy(range: EventRange, instant: Date): EventRange {
  return endsBy(range, instant) ? range : { ...range, to: instant };
}

/** Up to this many streams are merged stream by stream; more go through the time index. */
const MERGE_STREAMS_UP_TO = 64;

/**
 * Replay reads of the event store: time ranges in recorded order with keyset cursors,
 * streamed exports in batches, and the state of many streams as of an instant.
 * Read-only; the `events` table stays private to this module.
 */
@Injectable()
export class EventQueries {
  /**
   * Range reads go straight to the driver's pool: they return up to 10,000 rows at a
   * time, and a query runner per call plus TypeORM's result wrapping showed up in the
   * time of a page. A caller's transaction (a Queryable) is still honoured.
   */
  private readonly pool: Pool | null;
  /** Whether two reads can run at once (the embedded database has one connection). */
  private readonly twoConnections: boolean;

  /** How long a read at the live edge waits for appends in flight (REPLAY_LIVE_EDGE_WAIT_MS). */
  private readonly liveEdgeWaitMs: number;
  /** See DatabaseCapabilities.preparedStatements. */
  private readonly preparedStatements: boolean;
  /**
   * Whether reads look at the live edge: not on the embedded database, whose one session
   * runs one statement at a time, so no append is ever in flight beside a read.
   */
  private readonly watchesLiveEdge: boolean;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(DATABASE_CAPABILITIES) capabilities: DatabaseCapabilities,
    @Optional() @Inject(SETTINGS) settings?: Settings,
  ) {
    this.pool = driverPool(dataSource);
    this.twoConnections = capabilities.concurrentSessions && (this.pool?.options.max ?? 1) > 1;
    this.liveEdgeWaitMs = settings?.replayLiveEdgeWaitMs ?? DEFAULT_LIVE_EDGE_WAIT_MS;
    this.preparedStatements = capabilities.preparedStatements;
    this.watchesLiveEdge = capabilities.concurrentSessions;
  }

  /** The event a cursor points at, or null when there is none at that position. */
  async eventAt(globalPosition: string, db: Queryable = this.dataSource): Promise<EventLocation | null> {
    const rows: EventLocation[] = await db.query(EVENT_AT_POSITION, [globalPosition]);
    return rows[0] ?? null;
  }

  /** Up to `limit` events of the range, in recorded order (recorded_at, then global position). */
  readRange<Data>(range: EventRange, limit: number, db?: Queryable): Promise<RangeEvent<Data>[]> {
    return this.run(range, limit, RANGE_COLUMNS, db);
  }

  /**
   * Up to `limit` events of the range, in recorded order, as JSON objects per `spec`
   * (an ndjson spec) joined by PostgreSQL: for pages answered as JSON without parsing
   * and re-serialising every event here.
   */
  async readJsonPage(range: EventRange, spec: ExportSpec, limit: number): Promise<JsonPage> {
    if (!this.pool || !this.watchesLiveEdge || !spansStreams(range)) return this.readJsonPageAsIs(range, spec, limit);
    // Across streams, appends in flight may still add events before the live edge (see
    // live-edge.ts). Read up to where history is settled; only when the page ends there,
    // short of the range's end, wait for those appends and read up to when we looked.
    const edge = await lookAtLiveEdge(this.pool, this.preparedStatements);
    const { settled } = edge;
    if (settled !== null) {
      const page = await this.readJsonPageAsIs(endingBy(range, settled), spec, limit);
      if (page.next !== null || edge.inFlight.length === 0 || endsBy(range, settled)) return page;
    }
    await waitForAppends(this.pool, edge.inFlight, this.liveEdgeWaitMs, this.preparedStatements);
    return this.readJsonPageAsIs(endingBy(range, edge.now), spec, limit);
  }

  /**
   * The range, ending where no event can still be added to it: when it spans streams and
   * reaches past the settled part of history, waits for the appends in flight (see
   * live-edge.ts) and ends it at the instant looked. A read of the result in recorded
   * order cannot be passed by a later commit. LiveEdgeNotSettled when the appends outlast
   * REPLAY_LIVE_EDGE_WAIT_MS.
   */
  async settledRange(range: EventRange): Promise<EventRange> {
    if (!this.pool || !this.watchesLiveEdge || !spansStreams(range)) return range;
    const edge = await lookAtLiveEdge(this.pool, this.preparedStatements);
    if (edge.settled !== null && endsBy(range, edge.settled)) return range;
    await waitForAppends(this.pool, edge.inFlight, this.liveEdgeWaitMs, this.preparedStatements);
    return endingBy(range, edge.now);
  }

  /**
   * Resolves once every event recorded at or before `at` that will ever be is committed,
   * when `at` is in the past by the database's clock: reads of the world as of `at` then
   * always agree. The present and the future are never settled, so for them it does not wait.
   */
  async settledThrough(at: Date): Promise<void> {
    if (!this.pool || !this.watchesLiveEdge) return;
    const edge = await lookAtLiveEdge(this.pool, this.preparedStatements);
    if (at.getTime() >= edge.now.getTime()) return;
    if (edge.settled !== null && at.getTime() < edge.settled.getTime()) return;
    await waitForAppends(this.pool, edge.inFlight, this.liveEdgeWaitMs, this.preparedStatements);
  }

  /** A page of `range` read as it is, whatever appends are in flight. */
  private async readJsonPageAsIs(range: EventRange, spec: ExportSpec, limit: number): Promise<JsonPage> {
    const item = jsonObjectSql(spec);
    if (limit >= SPLIT_PAGES_FROM && this.twoConnections) {
      // Turning events into JSON is most of a page's time, and one backend does it on one
      // core: each half of the page is built by its own backend, at the same time.
      const half = Math.floor(limit / 2);
      const [head, tail] = await Promise.all([this.readPagePart(range, item, 0, half), this.readPagePart(range, item, half, limit)]);
      const joined = joinPageParts(head, tail, half, limit);
      if (joined) return joined;
      // An event inside the first half committed between the two reads' snapshots: read it whole.
    }
    const whole = await this.readPagePart(range, item, 0, limit);
    return { items: [whole.items], next: whole.count > limit ? whole.last : null };
  }

  /** Rows (first, last] of the range as JSON text, read with one row past `last` (see jsonPagePartSql). */
  private async readPagePart(range: EventRange, item: string, first: number, last: number): Promise<PagePart> {
    const rows: PagePart[] = await this.run(
      range,
      last + 1,
      PAGE_SOURCE_COLUMNS,
      undefined,
      (sql, nextParam) => jsonPagePartSql(sql, item, `$${nextParam}`, `$${nextParam + 1}`),
      [first, last],
    );
    return rows[0] ?? { items: '', last: null, boundary: null, count: 0 };
  }

  /** One batch of an export: up to `limit` events of the range, as text written by PostgreSQL (see exportLineSql). */
  async readExportBatch(range: EventRange, spec: ExportSpec, limit: number, line = exportLineSql(spec)): Promise<ExportBatch> {
    const rows: ExportBatch[] = await this.run(range, limit, `${line} AS line, recorded_at, global_position`, undefined, exportBatchSql, [], exportJoinSql(spec));
    return rows[0] ?? { text: '', count: 0, last: null, firstAtMs: null, lastAtMs: null };
  }

  /**
   * The whole range as batches of text, without holding it in memory or a connection
   * between batches: each batch is one keyset query continuing after the previous one.
   * Stop by aborting the signal or leaving the loop.
   *
   * One backend turning 10 M events into text is the limit of an export, so two reads
   * run at once: after the first batch, the rest of the range is cut at instants into
   * segments expected to hold about one batch each (from how densely the batches read so
   * far were filled), and the next segment's first batch is read while the current one
   * is continued and written. A segment's bounds do not depend on another's last row, so
   * the order of the output is still recorded order. At most two reads are in flight, so
   * at most three batches are held (those two and the one being written).
   *
   * Segments are cut only up to `range.to` or LIVE_EDGE_MARGIN_MS before now, whichever
   * is earlier: a segment read ahead of its turn must not be able to gain events
   * afterwards, or a later one read later could hold events recorded after it and the
   * export would have a gap. The rest is one open segment read by keyset to its end, so
   * an export meets the live edge as a page chain would.
   */
  async *streamExport(range: EventRange, spec: ExportSpec, options: StreamRangeOptions = {}): AsyncGenerator<ExportBatch> {
    const batchSize = Math.max(1, options.batchSize ?? 10_000);
    const { signal } = options;
    const line = exportLineSql(spec);
    const read = (r: EventRange): Promise<ExportBatch> => {
      const batch = this.readExportBatch(r, spec, batchSize, line);
      // A read ahead may fail long before it is awaited (which still throws): never an unhandled rejection.
      batch.catch(() => undefined);
      return batch;
    };
    // By the clock events are stamped with, the database's, whatever this node's says.
    const now = this.pool ? (await databaseClock(this.pool, this.preparedStatements)).getTime() : Date.now();
    const cutUntil = Math.min(range.to?.getTime() ?? Infinity, now - LIVE_EDGE_MARGIN_MS);
    const ahead: ExportSegment[] = [];
    let first = true;
    let current: EventRange = range;
    let currentRead: Promise<ExportBatch> | null = read(range);
    let spanMs = 0;
    /** Where the next segment starts (epoch ms), while segments are still being cut. */
    let nextFrom: number | null = null;
    /** The current segment's events so far and where it started (epoch ms), to refine spanMs when it ends. */
    let segmentEvents = 0;
    let segmentStartMs = 0;

    const cut = (): void => {
      const from = nextFrom!;
      const to = from + spanMs;
      const open = to >= cutUntil;
      const segment: EventRange = { ...range, after: null, from: new Date(from), to: open ? range.to : new Date(to) };
      nextFrom = open ? null : to;
      ahead.push({ range: segment, first: read(segment) });
    };

    while (currentRead && !signal?.aborted) {
      const batch: ExportBatch = await currentRead;
      currentRead = null;
      if (signal?.aborted) return;
      segmentEvents += batch.count;
      if (batch.count === batchSize) {
        if (first && batch.lastAtMs !== null && batch.firstAtMs !== null) {
          // The first batch: start cutting the rest of the range after it.
          spanMs = Math.max(1, Math.ceil(batch.lastAtMs - batch.firstAtMs));
          segmentStartMs = batch.firstAtMs;
          const boundary = Math.floor(batch.lastAtMs) + spanMs;
          if (boundary < cutUntil) {
            current = { ...range, to: new Date(boundary) };
            nextFrom = boundary;
            cut();
          }
        }
        current = { ...current, after: batch.last };
        currentRead = read(current);
      } else {
        // The current segment ends with this batch: continue with the one read ahead.
        const finished = ahead.shift();
        if (finished) {
          const lengthMs = current.to!.getTime() - segmentStartMs;
          spanMs = segmentEvents === 0 ? spanMs * 2 : Math.max(1, Math.round((lengthMs * batchSize) / segmentEvents));
          current = finished.range;
          currentRead = finished.first;
          segmentEvents = 0;
          segmentStartMs = current.from!.getTime();
          if (nextFrom !== null) cut();
        }
      }
      first = false;
      if (batch.count > 0) yield batch;
    }
  }

  /**
   * The newest event of `type` of each stream among the `window` newest events (of any
   * type) recorded at or before `at` (see newestPerStreamBeforeSql), each as a JSON
   * object per `spec`. `exhaustive`: the window reached the first event, so streams
   * absent from `streamIds` have none before `at`; when false, ask latestOfStreamsAt for
   * the streams you need that are absent.
   */
  async newestPerStreamBefore(type: string, at: Date, window: number, spec: ExportSpec): Promise<NewestStates> {
    if (!Number.isInteger(window) || window < 1) throw new RangeError(`the window must be a whole number of events, at least 1; got ${window}`);
    const sql = newestPerStreamBeforeSql(jsonObjectSql(spec));
    // Each half of the streams on its own backend, at once (see newestPerStreamBeforeSql).
    const halves = this.twoConnections ? [0, 1] : [null];
    const parts = await Promise.all(
      halves.map(async (half) => (await this.query<{ streamIds: string; jsons: string; count: number; exhaustive: boolean }>(sql, [type, at, window, half]))[0]),
    );
    const exhaustive = parts.every((p) => p.exhaustive);
    // concat, not push(...): a half may hold up to the whole window (100,000 streams), too many arguments for a call.
    const filled = parts.filter((p) => p.count > 0);
    const streamIds = ([] as string[]).concat(...filled.map((p) => JSON.parse(p.streamIds) as string[]));
    const jsons = ([] as string[]).concat(...filled.map((p) => p.jsons.split('\n')));
    if (jsons.length !== streamIds.length) {
      // Only a raw newline inside a state would do this: a text value where the spec
      // expects a number (an import that skipped the movement rules). Refuse rather than
      // pair positions with the wrong streams.
      throw new Error(`states of ${streamIds.length} streams came back as ${jsons.length} lines: a state holds a raw newline`);
    }
    return { streamIds, jsons, exhaustive };
  }

  /** The latest event of `type` in each stream recorded at or before `at`, as JSON per `spec`; streams without one are absent. */
  async latestOfStreamsAt(streamIds: string[], type: string, at: Date, spec: ExportSpec, db?: Queryable): Promise<StreamState[]> {
    if (streamIds.length === 0) return [];
    return this.query(latestOfStreamsAtSql(jsonObjectSql(spec)), [JSON.stringify(streamIds), type, at], db);
  }

  /**
   * A range read selecting `columns`, optionally wrapped (`wrap` gets the number of the
   * first of `extra`, parameters appended for the wrapper), optionally joined (see
   * event-store.queries.sql.ts).
   */
  private run<Row>(
    range: EventRange,
    limit: number,
    columns: string,
    db?: Queryable,
    wrap: (sql: string, nextParam: number) => string = (sql) => sql,
    extra: unknown[] = [],
    join = '',
  ): Promise<Row[]> {
    const bounds = [range.after, range.from, range.to, range.type];
    const { streamIds } = range;
    if (streamIds?.length === 0) return Promise.resolve([]);
    const [sql, params] =
      streamIds === null
        ? [readAllRangeSql(columns, join), [...bounds, limit]]
        : [
            streamIds.length === 1
              ? readStreamRangeSql(columns, join)
              : streamIds.length <= MERGE_STREAMS_UP_TO
                ? readStreamsRangeSql(columns, join)
                : readManyStreamsRangeSql(columns, join),
            [...bounds, streamIds.length === 1 ? streamIds[0] : streamIds, limit],
          ];
    return this.query(wrap(sql, params.length + 1), [...params, ...extra], db);
  }

  private async query<Row>(sql: string, params: unknown[], db?: Queryable): Promise<Row[]> {
    if (db) return db.query(sql, params);
    if (!this.pool) return this.dataSource.query(sql, params);
    return (await this.pool.query({ text: sql, values: params })).rows as Row[];
  }
}
