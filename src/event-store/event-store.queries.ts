import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Queryable } from './event-store.service';
import {
  EVENT_AT_POSITION,
  LATEST_OF_STREAMS_AT,
  READ_ALL_RANGE,
  READ_MANY_STREAMS_RANGE,
  READ_STREAM_RANGE,
  READ_STREAMS_RANGE,
} from './event-store.queries.sql';

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
  recordedAt: Date;
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

/** Up to this many streams are merged stream by stream; more go through the time index. */
const MERGE_STREAMS_UP_TO = 64;

/**
 * Replay reads of the event store: time ranges in recorded order with keyset cursors,
 * streamed exports in batches, and the state of many streams as of an instant.
 * Read-only; the `events` table stays private to this module.
 */
@Injectable()
export class EventQueries {
  constructor(private readonly dataSource: DataSource) {}

  /** The event a cursor points at, or null when there is none at that position. */
  async eventAt(globalPosition: string, db: Queryable = this.dataSource): Promise<EventLocation | null> {
    const rows: EventLocation[] = await db.query(EVENT_AT_POSITION, [globalPosition]);
    return rows[0] ?? null;
  }

  /** Up to `limit` events of the range, in recorded order (recorded_at, then global position). */
  readRange<Data>(range: EventRange, limit: number, db: Queryable = this.dataSource): Promise<RangeEvent<Data>[]> {
    const bounds = [range.after, range.from, range.to, range.type];
    const { streamIds } = range;
    if (streamIds === null) return db.query(READ_ALL_RANGE, [...bounds, limit]);
    if (streamIds.length === 0) return Promise.resolve([]);
    if (streamIds.length === 1) return db.query(READ_STREAM_RANGE, [...bounds, streamIds[0], limit]);
    if (streamIds.length <= MERGE_STREAMS_UP_TO) return db.query(READ_STREAMS_RANGE, [...bounds, streamIds, limit]);
    return db.query(READ_MANY_STREAMS_RANGE, [...bounds, streamIds, limit]);
  }

  /**
   * The whole range as batches of keyset pages, without holding it in memory or a
   * connection between batches. The next batch is read while the caller handles the
   * current one; stop by aborting the signal or leaving the loop.
   */
  async *streamRange<Data>(range: EventRange, options: StreamRangeOptions = {}): AsyncGenerator<RangeEvent<Data>[]> {
    const batchSize = options.batchSize ?? 10_000;
    const { signal } = options;
    let next: Promise<RangeEvent<Data>[]> | null = this.readRange<Data>(range, batchSize);
    try {
      while (next && !signal?.aborted) {
        const batch: RangeEvent<Data>[] = await next;
        next = null;
        if (batch.length === 0 || signal?.aborted) return;
        if (batch.length === batchSize) {
          next = this.readRange<Data>({ ...range, after: batch[batch.length - 1].globalPosition }, batchSize);
        }
        yield batch;
      }
    } finally {
      // Left early: the prefetched batch is dropped, and its failure is nobody's concern.
      next?.catch(() => undefined);
    }
  }

  /** The latest event of `type` in each stream recorded at or before `at`; streams without one are absent. */
  latestOfStreamsAt<Data>(streamIds: string[], type: string, at: Date, db: Queryable = this.dataSource): Promise<RangeEvent<Data>[]> {
    if (streamIds.length === 0) return Promise.resolve([]);
    return db.query(LATEST_OF_STREAMS_AT, [streamIds, type, at]);
  }
}
