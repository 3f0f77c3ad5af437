import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { DEFAULT_OUTCOME_CHECK_MS, SETTINGS, Settings, mayPrepareStatements } from '../config/settings';
import type { PoolClient } from 'pg';
import { DataSource, EntityManager } from 'typeorm';
import { driverPool } from '../database/data-source';
import { toColumns } from './event-columns';
import { ConcurrencyError, isUniqueViolation } from './event-store.errors';
import { CommitOutcomeUnknown, replyWasLost, settleLostCommit } from './lost-commit-reply';
import {
  appendBatchSql,
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

/** What the append statement answers (appendBatchSql). */
interface AppendedRow {
  appended: number;
  recordedAt: Date;
}

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
  private readonly appendStatements = new Map<string, string>();
  /**
   * The batch append runs as a prepared statement on each pooled connection: planning
   * its CTE was a large share of a small batch's time (docs/benchmarks.md). Not on the
   * embedded database, whose connections share one session and so one statement namespace.
   */
  private readonly preparedStatements: boolean;
  /** How long to keep asking whether an append whose reply was lost committed (APPEND_OUTCOME_CHECK_MS). */
  private readonly outcomeCheckMs: number;
  private readonly logger = new Logger(EventStore.name);

  constructor(
    private readonly dataSource: DataSource,
    @Optional() @Inject(SETTINGS) settings?: Settings,
  ) {
    this.preparedStatements = mayPrepareStatements(settings);
    this.outcomeCheckMs = settings?.appendBatch.outcomeCheckMs ?? DEFAULT_OUTCOME_CHECK_MS;
  }

  /**
   * Appends events of many streams in one round trip and one commit. The caller is
   * each stream's single writer and assigns consecutive versions; a clash with a
   * version already stored (another writer) raises ConcurrencyError and appends nothing.
   */
  async appendBatch(events: VersionedNewEvent[], projections: InlineProjection[] = []): Promise<{ recordedAt: Date }> {
    if (events.length === 0) return { recordedAt: new Date() };
    const { name, text } = this.appendStatement(projections);
    const values = toColumns(events);
    if (!this.preparedStatements) {
      // The embedded database runs in this process: its replies cannot be lost on the way.
      try {
        const [{ recordedAt }]: AppendedRow[] = await this.dataSource.query(text, values);
        return { recordedAt };
      } catch (error) {
        throw clashOr(error, events);
      }
    }
    const client = await driverPool(this.dataSource)!.connect();
    client.on('error', hearLostConnection);
    try {
      const { rows } = await client.query<AppendedRow>({ name, text, values });
      client.release();
      return { recordedAt: rows[0].recordedAt };
    } catch (error) {
      const lost = replyWasLost(error);
      // A connection that answered with an error is sound (and keeps its prepared statement).
      client.release(lost ? (error as Error) : undefined);
      // The statement commits on its own: a lost reply may hide a commit.
      const recordedAt = lost ? await this.settleLostCommit(client, events[events.length - 1]) : null;
      if (recordedAt) return { recordedAt };
      throw clashOr(error, events);
    } finally {
      client.removeListener('error', hearLostConnection);
    }
  }

  /**
   * Whether an append whose reply was lost on `client`'s session committed its batch
   * (whose last event is `last`): its recorded_at if it did, else null; see
   * settleLostCommit. Logged either way: it is rare, and says the database connection is failing.
   */
  private async settleLostCommit(client: PoolClient, last: VersionedNewEvent): Promise<Date | null> {
    const backendPid = (client as unknown as { processID: number | null }).processID;
    if (backendPid === null) throw new CommitOutcomeUnknown('the session\'s backend is not known');
    const recordedAt = await settleLostCommit(driverPool(this.dataSource)!, backendPid, last, this.outcomeCheckMs);
    this.logger.warn({ message: 'an append\'s reply was lost; asked the database whether it committed', backendPid, recorded: recordedAt !== null });
    return recordedAt;
  }

  /**
   * A transaction on a pooled connection of its own, for appending a batch in parts as
   * it gathers and committing it in one go (see AppendTransaction). null on the embedded
   * database, whose connections share one session: a transaction held open there would
   * take in every other query of the server.
   */
  async beginAppend(projections: InlineProjection[] = []): Promise<AppendTransaction | null> {
    if (!this.preparedStatements) return null;
    const client = await driverPool(this.dataSource)!.connect();
    try {
      await client.query('BEGIN');
    } catch (error) {
      client.release(error as Error);
      throw error;
    }
    return new AppendTransaction(client, this.appendStatement(projections), (last) => this.settleLostCommit(client, last));
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

  /** The append statement for a set of projections, built once per set, named for preparing. */
  private appendStatement(projections: InlineProjection[]): { name: string; text: string } {
    const name = `waypoint_append_${projections.map((p) => p.name).join('_')}`;
    let text = this.appendStatements.get(name);
    if (!text) {
      text = appendBatchSql(projections.map((p) => p.sql));
      this.appendStatements.set(name, text);
    }
    return { name, text };
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

/**
 * The pool listens for errors of idle connections only, and node-postgres emits 'error'
 * on a client whose connection ends unexpectedly even while a query of it fails with the
 * same error. Unheard, on a checked-out connection (PostgreSQL restarted, the backend
 * terminated, the network cut) that event ends the process; the failed query already
 * tells its caller, so hearing it is all there is to do.
 */
const hearLostConnection = (): void => undefined;

/** A batch append's error: a taken stream version becomes a ConcurrencyError naming the batch's streams. */
function clashOr(error: unknown, events: VersionedNewEvent[]): unknown {
  if (!isUniqueViolation(error)) return error;
  return new ConcurrencyError([...new Set(events.map((e) => e.streamId))], 'a stream version is already taken');
}

/**
 * An open transaction that batch parts are appended into as they arrive, then committed
 * at once: the batch's inserts, index updates and projection writes happen while its
 * window is still gathering, and only the last part and the COMMIT stand between the
 * window's end and the acknowledgements. Parts are appended one at a time, in order; a
 * part's events are in recorded order after every earlier part's. Any failure leaves the
 * transaction to be rolled back: nothing of it is recorded.
 */
export class AppendTransaction {
  private ended = false;

  /** The last event appended so far: the one that tells whether the transaction committed. */
  private last: VersionedNewEvent | null = null;

  constructor(
    private readonly client: PoolClient,
    private readonly statement: { name: string; text: string },
    /** Whether the transaction committed (its last event's recorded_at, else null), when the COMMIT's reply was lost. */
    private readonly settleLostCommit: (last: VersionedNewEvent) => Promise<Date | null>,
  ) {
    // Checked out while it waits between parts: see hearLostConnection. A connection lost
    // then makes the next part or the COMMIT fail, and the batch takes the whole-batch path.
    client.on('error', hearLostConnection);
  }

  /** Appends one part; versions are assigned by the caller, continuing the earlier parts'. */
  async append(events: VersionedNewEvent[]): Promise<{ recordedAt: Date }> {
    if (events.length === 0) return { recordedAt: new Date() };
    try {
      const { rows } = await this.client.query<AppendedRow>({ ...this.statement, values: toColumns(events) });
      this.last = events[events.length - 1];
      return { recordedAt: rows[0].recordedAt };
    } catch (error) {
      throw clashOr(error, events);
    }
  }

  /** Commits every part; resolves also when the COMMIT's reply was lost but the database shows it committed. */
  async commit(): Promise<void> {
    try {
      await this.end('COMMIT');
    } catch (error) {
      if (this.last && replyWasLost(error) && (await this.settleLostCommit(this.last)) !== null) return;
      throw error;
    }
  }

  /** Undoes every part; safe to call after a failure or twice. */
  async rollback(): Promise<void> {
    await this.end('ROLLBACK').catch(() => undefined);
  }

  private async end(command: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    try {
      await this.client.query(command);
      this.client.release();
    } catch (error) {
      // A connection whose transaction state is unknown must not go back to the pool.
      this.client.release(error as Error);
      throw error;
    } finally {
      // Back in the pool (or closed by it), the pool's own listener takes over.
      this.client.removeListener('error', hearLostConnection);
    }
  }
}
