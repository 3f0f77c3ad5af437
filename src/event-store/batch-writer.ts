import type { DataSource } from 'typeorm';
import { driverPool } from '../database/data-source';
import type { DatabaseCapabilities } from '../database/database-capabilities';
import { EmbeddedBatchWriter } from './embedded-batch-writer';
import type { InlineProjection } from './event-store.service';
import type { VersionedNewEvent } from './event-store.types';
import { PostgresBatchWriter } from './postgres-batch-writer';

/**
 * Appends a batch of events of many streams in one statement and one commit, inline
 * projections included, within a bounded time. One implementation per kind of database,
 * chosen once by its capabilities (EventStoreModule):
 *
 * - resolves once the batch is committed, with the recorded_at its events were stamped;
 * - ConcurrencyError: a stream version was taken by another writer; nothing is recorded;
 * - AppendNotRecorded: the batch is certainly not recorded (the database refused it, it
 *   never reached the database, or the database said so after its answer was lost);
 *   `noAnswer` when the database could not be reached at all;
 * - CommitOutcomeUnknown: the batch reached the database, its answer was lost, and
 *   whether it committed could not be learned in time.
 *
 * The caller is each stream's single writer and assigns consecutive versions.
 */
export interface BatchWriter {
  append(events: VersionedNewEvent[], projections: InlineProjection[]): Promise<{ recordedAt: Date }>;
}

export const BATCH_WRITER = Symbol('BATCH_WRITER');

/** The batch writer for the database's capabilities: the one place that choice is made. */
export function batchWriterFor(
  dataSource: DataSource,
  capabilities: DatabaseCapabilities,
  limits: { timeoutMs: number; outcomeCheckMs: number },
): BatchWriter {
  if (capabilities.embedded) return new EmbeddedBatchWriter(dataSource);
  return new PostgresBatchWriter(driverPool(dataSource)!, { appendTimeoutMs: limits.timeoutMs, outcomeCheckMs: limits.outcomeCheckMs });
}
