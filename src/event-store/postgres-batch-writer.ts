import { Logger } from '@nestjs/common';
import type { Pool, PoolClient } from 'pg';
import { appendStatement } from './append-statement';
import type { BatchWriter } from './batch-writer';
import { toColumns } from './event-columns';
import { AppendNotRecorded, clashOr } from './event-store.errors';
import type { InlineProjection } from './event-store.service';
import type { VersionedNewEvent } from './event-store.types';
import { CommitOutcomeUnknown, replyWasLost, settleLostCommit } from './lost-commit-reply';

interface AppendedRow {
  appended: number;
  recordedAt: Date;
}

/**
 * Batch appends on PostgreSQL: the append runs as a named prepared statement (planning
 * its CTE was a large share of a small batch's time: docs/performance.md, "One prepared
 * statement per batch") on a pooled connection, as one autocommitted statement, with a
 * deadline of its own. When its answer does not come
 * (the deadline passed, the connection failed), the batch may or may not be committed:
 * the writer ends that session for certain and looks for the batch's last event
 * (settleLostCommit), so a batch is acknowledged exactly when it is stored.
 */
export class PostgresBatchWriter implements BatchWriter {
  private readonly logger = new Logger('EventStore');

  constructor(
    private readonly pool: Pool,
    private readonly limits: { appendTimeoutMs: number; outcomeCheckMs: number },
  ) {}

  async append(events: VersionedNewEvent[], projections: InlineProjection[]): Promise<{ recordedAt: Date }> {
    if (events.length === 0) return { recordedAt: new Date() };
    const { name, text } = appendStatement(projections);
    const values = toColumns(events);
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      // No connection: nothing was sent.
      throw new AppendNotRecorded(true, error);
    }
    client.on('error', hearLostConnection);
    try {
      const { rows } = await client.query<AppendedRow>({ name, text, values, query_timeout: this.limits.appendTimeoutMs } as never);
      client.release();
      return { recordedAt: rows[0].recordedAt };
    } catch (error) {
      const lost = replyWasLost(error);
      // A connection that answered with an error is sound (and keeps its prepared statement).
      client.release(lost ? (error as Error) : undefined);
      if (!lost) {
        const clash = clashOr(error, events.map((e) => e.streamId));
        throw clash === error ? new AppendNotRecorded(false, error) : clash;
      }
      const recordedAt = await this.settle(client, events[events.length - 1], error);
      if (recordedAt) return { recordedAt };
      // Not committed, as the database itself has just said: it answers again.
      throw new AppendNotRecorded(false, error);
    } finally {
      client.removeListener('error', hearLostConnection);
    }
  }

  /** Whether the batch whose answer was lost committed: its recorded_at, or null when it certainly did not. */
  private async settle(client: PoolClient, last: VersionedNewEvent, cause: unknown): Promise<Date | null> {
    const backendPid = (client as unknown as { processID: number | null }).processID;
    if (backendPid === null) throw new CommitOutcomeUnknown(cause);
    const recordedAt = await settleLostCommit(this.pool, backendPid, last, this.limits.outcomeCheckMs).catch((error) => {
      this.logger.warn({ message: 'an append got no answer, and whether it committed could not be learned', backendPid, error: String(error) });
      throw error;
    });
    this.logger.warn({ message: 'an append got no answer; asked the database whether it committed', backendPid, recorded: recordedAt !== null, cause: String(cause) });
    return recordedAt;
  }
}

/**
 * The pool listens for errors of idle connections only, and node-postgres emits 'error'
 * on a client whose connection ends unexpectedly even while a query of it fails with the
 * same error. Unheard, on a checked-out connection that event ends the process; the
 * failed query already tells its caller, so hearing it is all there is to do.
 */
const hearLostConnection = (): void => undefined;
