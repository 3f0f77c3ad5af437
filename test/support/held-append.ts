import type { DataSource } from 'typeorm';
import type { PoolClient } from 'pg';
import { driverPool } from '../../src/database/data-source';
import { appendStatement } from '../../src/event-store/append-statement';
import { toColumns } from '../../src/event-store/event-columns';
import type { InlineProjection, VersionedNewEvent } from '../../src/event-store';

/**
 * A movement append held open in a transaction of its own connection, as a batch is
 * while PostgreSQL works on it (a slow commit, a node that froze mid-batch): the
 * server's own append statement, so it takes the appending lock and stamps recorded_at
 * exactly as a live batch does, then waits for the test to commit or roll it back. It
 * runs on a connection of the server's pool, with the server's session settings.
 */
export class HeldAppend {
  private ended = false;

  private constructor(private readonly client: PoolClient) {}

  static async begin(dataSource: DataSource): Promise<HeldAppend> {
    const client = await driverPool(dataSource)!.connect();
    client.on('error', () => undefined); // a connection the test expects PostgreSQL to end
    await client.query('BEGIN');
    return new HeldAppend(client);
  }

  async append(events: VersionedNewEvent[], projections: InlineProjection[] = []): Promise<{ recordedAt: Date }> {
    const { rows } = await this.client.query(appendStatement(projections).text, toColumns(events));
    return { recordedAt: rows[0].recordedAt };
  }

  async commit(): Promise<void> {
    await this.end('COMMIT');
  }

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
      this.client.release(error as Error);
      throw error;
    }
  }
}
