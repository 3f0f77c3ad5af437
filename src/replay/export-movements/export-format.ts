import { csvHeader, ExportSpec } from '../../event-store';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/**
 * PROTOCOL.md `Movement`, field by field, as the event store writes it out for exports
 * and JSON pages alike: z and heading 0 and seq null when the event has none.
 */
const MOVEMENT_COLUMNS: ExportSpec['columns'] = [
  { name: 'id', event: 'eventId' },
  // Movement streams are named movement-<player UUID>: nothing in the id needs escaping.
  { name: 'playerId', event: 'streamSuffix', plain: true },
  { name: 'x', field: 'x', kind: 'number', missing: 'null' },
  { name: 'y', field: 'y', kind: 'number', missing: 'null' },
  { name: 'z', field: 'z', kind: 'number', missing: 'zero' },
  { name: 'heading', field: 'heading', kind: 'number', missing: 'zero' },
  { name: 'seq', field: 'seq', kind: 'number', missing: 'null' },
  { name: 'at', event: 'recordedAt' },
  { name: 'position', event: 'globalPosition' },
];

export const MOVEMENT_EXPORTS: Record<ExportFormat, ExportSpec> = {
  ndjson: { format: 'ndjson', columns: MOVEMENT_COLUMNS, streamPrefixLength: 'movement-'.length },
  csv: { format: 'csv', columns: MOVEMENT_COLUMNS, streamPrefixLength: 'movement-'.length },
};

/** A Movement as one JSON object: JSON pages use the NDJSON export's objects. */
export const MOVEMENT_JSON = MOVEMENT_EXPORTS.ndjson;

/** `id,playerId,x,y,z,heading,seq,at,position` */
export const CSV_HEADER = csvHeader(MOVEMENT_EXPORTS.csv);
