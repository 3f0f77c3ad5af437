import type { DataSource } from 'typeorm';
import { appendStatement } from './append-statement';
import type { BatchWriter } from './batch-writer';
import { toColumns } from './event-columns';
import { AppendNotRecorded, clashOr } from './event-store.errors';
import type { InlineProjection } from './event-store.service';
import type { VersionedNewEvent } from './event-store.types';

interface AppendedRow {
  appended: number;
  recordedAt: Date;
}

/**
 * Batch appends on the embedded PGlite: plain text (its connections share one session,
 * so one statement namespace), and an answer that cannot be lost, as the database runs
 * in this process: an error means nothing was recorded.
 */
export class EmbeddedBatchWriter implements BatchWriter {
  constructor(private readonly dataSource: DataSource) {}

  async append(events: VersionedNewEvent[], projections: InlineProjection[]): Promise<{ recordedAt: Date }> {
    if (events.length === 0) return { recordedAt: new Date() };
    try {
      const [{ recordedAt }]: AppendedRow[] = await this.dataSource.query(appendStatement(projections).text, toColumns(events));
      return { recordedAt };
    } catch (error) {
      const clash = clashOr(error, events.map((e) => e.streamId));
      throw clash === error ? new AppendNotRecorded(false, error) : clash;
    }
  }
}
