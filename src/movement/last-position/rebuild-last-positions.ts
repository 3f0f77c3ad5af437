import { Inject, Injectable, Logger } from '@nestjs/common';
import { DATABASE_CAPABILITIES, DatabaseCapabilities } from '../../database/database-capabilities';
import { DataSource } from 'typeorm';
import { Checkpoint, EventStore, START_OF_ALL } from '../../event-store';
import { LastPositionProjection } from './last-position.projection';
import { SELECT_CHECKPOINT, START_REBUILD, STORE_CHECKPOINT, TRUNCATE_LAST_POSITIONS } from './last-position.sql';

export interface RebuildReport {
  resumed: boolean;
  events: number;
  pages: number;
  checkpoint: Checkpoint;
}

/** Any value; the same lock id on every node keeps one rebuild at a time. */
const REBUILD_LOCK_ID = 0x57_61_79_70; // "Wayp"

/**
 * Rebuilds last_positions from the events: truncate, then replay every PlayerMoved
 * page by page. Each page's writes and its checkpoint commit together, so an
 * interrupted rebuild resumes where it stopped instead of starting over.
 */
@Injectable()
export class RebuildLastPositions {
  private readonly logger = new Logger(RebuildLastPositions.name);

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly projection: LastPositionProjection,
    @Inject(DATABASE_CAPABILITIES) private readonly capabilities: DatabaseCapabilities,
  ) {}

  async run(pageSize = 10_000): Promise<RebuildReport> {
    // The embedded database belongs to one process and serves one connection at a time,
    // so there is no one to lock out (and a held connection would stall the replay).
    if (this.capabilities.embedded) return this.replay(pageSize);
    // A session-level lock: taken and released on one dedicated connection, held meanwhile.
    const lock = this.dataSource.createQueryRunner();
    await lock.connect();
    try {
      const [{ locked }] = await lock.query(`SELECT pg_try_advisory_lock($1) AS locked`, [REBUILD_LOCK_ID]);
      if (!locked) throw new Error('another rebuild of last_positions is running; wait for it to finish');
      try {
        return await this.replay(pageSize);
      } finally {
        await lock.query(`SELECT pg_advisory_unlock($1)`, [REBUILD_LOCK_ID]);
      }
    } finally {
      await lock.release();
    }
  }

  private async replay(pageSize: number): Promise<RebuildReport> {
    const name = this.projection.name;
    const stored: { transactionId: string; globalPosition: string; rebuilding: boolean }[] = await this.dataSource.query(
      SELECT_CHECKPOINT,
      [name],
    );
    const resumed = stored[0]?.rebuilding === true;
    let checkpoint: Checkpoint = resumed ? stored[0] : START_OF_ALL;
    if (resumed) {
      this.logger.log({ message: 'resuming an interrupted rebuild', projection: name, checkpoint });
    } else {
      await this.dataSource.transaction(async (tx) => {
        await tx.query(START_REBUILD, [name]);
        await tx.query(TRUNCATE_LAST_POSITIONS);
      });
      this.logger.log({ message: 'rebuild started: projection truncated', projection: name });
    }

    // Replays what was committed when the rebuild began; later events are projected
    // inline by the live path anyway.
    const target = await this.store.lastGlobalPosition();
    const started = Date.now();
    let events = 0;
    let pages = 0;
    let lastWaitLog = 0;
    for (;;) {
      const page = await this.dataSource.transaction(async (tx) => {
        const projected = await this.store.projectPageAfter(checkpoint, pageSize, this.projection, tx);
        if (projected) await tx.query(STORE_CHECKPOINT, [name, projected.last.transactionId, projected.last.globalPosition, true]);
        return projected;
      });
      if (!page) {
        if (!(await this.store.hasUnreadUpTo(checkpoint, target, this.projection.eventTypes))) break;
        // Events exist past the checkpoint but an older transaction is still running:
        // reading past it could skip its events for good (the sequence-gap bug), so wait.
        if (Date.now() - lastWaitLog > 5000) {
          lastWaitLog = Date.now();
          this.logger.log({ message: 'rebuild waiting for older transactions to finish', projection: name, checkpoint });
        }
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      checkpoint = page.last;
      events += page.events;
      pages += 1;
      if (pages % 10 === 0) {
        const seconds = (Date.now() - started) / 1000;
        this.logger.log({ message: 'rebuild progress', projection: name, events, eventsPerSecond: Math.round(events / seconds) });
      }
    }
    await this.dataSource.query(STORE_CHECKPOINT, [name, checkpoint.transactionId, checkpoint.globalPosition, false]);
    this.logger.log({ message: 'rebuild finished', projection: name, events, pages, seconds: (Date.now() - started) / 1000 });
    return { resumed, events, pages, checkpoint };
  }
}
