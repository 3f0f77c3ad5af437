import { Inject, Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { BATCH_WRITER, BatchWriter } from './batch-writer';
import { ConcurrencyError, isUniqueViolation } from './event-store.errors';
import {
  APPEND_TO_STREAM,
  LAST_EVENT_OF_STREAM,
  LAST_GLOBAL_POSITION,
  projectPageSql,
  READ_ALL_AFTER,
  READ_STREAM,
  STREAM_VERSIONS,
  UNREAD_UP_TO,
} from './event-store.sql';
import { Checkpoint, ExpectedVersion, NewEvent, RecordedEvent, VersionedNewEvent } from './event-store.types';

/** Something that runs SQL: the data source, or a transaction's entity manager. */
export type Queryable = Pick<EntityManager, 'query'>;

/**
 * A read model updated in the same statement as the append (Emmett/Marten "inline"), so
 * it is never behind the events and survives any crash that the events survive. `sql` is
 * one data-modifying statement over the relation `appended` (stream_id, stream_version,
 * type, data, recorded_at, global_position): the rows just appended, or one page of
 * history during a rebuild, so live and replayed events go through the same SQL.
 * It must be idempotent (replays see events again).
 */
export interface InlineProjection {
  readonly name: string;
  /** The event types it reads; a rebuild replays only these. */
  readonly eventTypes: string[];
  readonly sql: string;
}

/**
 * The one module that touches the `events` table: append a batch, append to a
 * stream with an expected version, read a stream, read all after a checkpoint.
 */
@Injectable()
export class EventStore {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(BATCH_WRITER) private readonly writer: BatchWriter,
  ) {}

  /**
   * Appends events of many streams in one statement and one commit, inline projections
   * included, within a bounded time (see BatchWriter for what each outcome means). The
   * caller is each stream's single writer and assigns consecutive versions.
   */
  appendBatch(events: VersionedNewEvent[], projections: InlineProjection[] = []): Promise<{ recordedAt: Date }> {
    return this.writer.append(events, projections);
  }

  /**
   * Appends to one stream right after its last event (`'any'`), or only if the stream
   * is at `expected` (0 = new stream). Runs inside `tx` when given.
   */
  async appendToStream(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedVersion = 'any',
    tx: Queryable = this.dataSource,
  ): Promise<{ lastVersion: number; globalPositions: string[] }> {
    const params = [
      streamId,
      events.map((e) => e.type),
      events.map((e) => e.schemaVersion ?? 1),
      events.map((e) => JSON.stringify(e.data)),
      events.map((e) => JSON.stringify(e.metadata)),
      expected === 'any' ? null : expected,
    ];
    // 'any' may lose a race for the next version against another writer; take the next one.
    for (let attempt = 1; ; attempt++) {
      try {
        const rows: { globalPosition: string; streamVersion: number }[] = await tx.query(APPEND_TO_STREAM, params);
        if (rows.length === 0) {
          throw new ConcurrencyError([streamId], `expected version ${expected}, the stream has moved on`);
        }
        return { lastVersion: rows[rows.length - 1].streamVersion, globalPositions: rows.map((r) => r.globalPosition) };
      } catch (error) {
        const retry = expected === 'any' && isUniqueViolation(error) && attempt < 5 && tx === this.dataSource;
        if (retry) continue;
        if (isUniqueViolation(error)) throw new ConcurrencyError([streamId], 'a stream version is already taken');
        throw error;
      }
    }
  }

  /** Current last version of each stream (0 for a stream with no events). */
  async streamVersions(streamIds: string[]): Promise<Map<string, number>> {
    const rows: { streamId: string; version: number }[] = await this.dataSource.query(STREAM_VERSIONS, [streamIds]);
    const versions = new Map(streamIds.map((id) => [id, 0]));
    for (const row of rows) versions.set(row.streamId, row.version);
    return versions;
  }

  /** A stream's newest event, and how many milliseconds ago it was recorded (by the database's clock). */
  async lastEvent<Data>(streamId: string): Promise<(RecordedEvent<Data> & { ageMs: number }) | null> {
    const rows = await this.dataSource.query(LAST_EVENT_OF_STREAM, [streamId]);
    return rows[0] ?? null;
  }

  async readStream<Data>(streamId: string, afterVersion = 0, limit = 1000): Promise<RecordedEvent<Data>[]> {
    return this.dataSource.query(READ_STREAM, [streamId, afterVersion, limit]);
  }

  /** The highest global position committed so far (0 for an empty store). */
  async lastGlobalPosition(): Promise<string> {
    const [{ position }] = await this.dataSource.query(LAST_GLOBAL_POSITION);
    return position;
  }

  /**
   * Whether events up to `upTo` remain after `checkpoint`. When readAllAfter returns
   * nothing but this says yes, an older transaction still running holds them back.
   */
  async hasUnreadUpTo(checkpoint: Checkpoint, upTo: string, types: string[] | null = null): Promise<boolean> {
    const [{ unread }] = await this.dataSource.query(UNREAD_UP_TO, [checkpoint.transactionId, checkpoint.globalPosition, upTo, types]);
    return unread;
  }

  /**
   * Runs the next page after `checkpoint` through `projection` inside `tx`, the same SQL
   * as a live append; returns the page's size and last position (null when nothing is readable yet).
   */
  async projectPageAfter(
    checkpoint: Checkpoint,
    limit: number,
    projection: InlineProjection,
    tx: Queryable,
  ): Promise<{ events: number; last: Checkpoint } | null> {
    const rows: { events: number; transactionId: string; globalPosition: string }[] = await tx.query(projectPageSql([projection.sql]), [
      checkpoint.transactionId,
      checkpoint.globalPosition,
      limit,
      projection.eventTypes,
    ]);
    if (rows.length === 0) return null;
    const [{ events, transactionId, globalPosition }] = rows;
    return { events, last: { transactionId, globalPosition } };
  }

  /** The next page of all events after `checkpoint`, only from transactions that can no longer change. */
  async readAllAfter(
    checkpoint: Checkpoint,
    limit: number,
    types: string[] | null = null,
    tx: Queryable = this.dataSource,
  ): Promise<RecordedEvent[]> {
    return tx.query(READ_ALL_AFTER, [checkpoint.transactionId, checkpoint.globalPosition, limit, types]);
  }
}
