export { LiveEdgeNotSettled } from './live-edge';
export { EventQueries, LIVE_EDGE_MARGIN_MS, SPLIT_PAGES_FROM, EventRange, RangeEvent, ExportBatch, JsonPage, NewestStates, StreamState, EventLocation, StreamRangeOptions } from './event-queries';
export { ExportColumn, ExportSpec, csvHeader } from './export.sql';
