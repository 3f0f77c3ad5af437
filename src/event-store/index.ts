export * from './event-store.types';
export * from './event-store.errors';
export { CommitOutcomeUnknown } from './lost-commit-reply';
export { EventStore, InlineProjection, Queryable } from './event-store.service';
export { BATCH_WRITER, BatchWriter, batchWriterFor } from './batch-writer';
export { EventStoreModule } from './event-store.module';
export { APPENDING_LOCK_KEY } from './event-store.sql';
export { HistoricalEvent, importEvents, settleAfterImport } from './event-store.bulk';
