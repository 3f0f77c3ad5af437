export * from './event-store.types';
export * from './event-store.errors';
export { CommitOutcomeUnknown } from './lost-commit-reply';
export { AppendTransaction, EventStore, InlineProjection, Queryable } from './event-store.service';
export { EventStoreModule } from './event-store.module';
export { LiveEdgeNotSettled } from './live-edge';
export { EventQueries, LIVE_EDGE_MARGIN_MS, SPLIT_PAGES_FROM, EventRange, RangeEvent, ExportBatch, JsonPage, NewestStates, StreamState, EventLocation, StreamRangeOptions } from './event-store.queries';
export { ExportColumn, ExportSpec, csvHeader } from './event-store.export.sql';
export { HistoricalEvent, importEvents, settleAfterImport } from './event-store.bulk';
