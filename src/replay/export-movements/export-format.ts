import { csvHeader, ExportSpec } from '../history';
import { MOVER_USERNAME, PLAYER_OF_MOVEMENT } from '../replay.sql';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/**
 * `Movement`, field by field, as the event store writes it out for exports and JSON
 * pages alike: z and heading 0 and seq null when the event has none.
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

/**
 * Exports name the player too, last so that CSV readers of the columns before it keep
 * working. Usernames are 3-32 of [A-Za-z0-9_.-] (registration refuses anything else):
 * nothing to escape.
 */
const EXPORT_COLUMNS: ExportSpec['columns'] = [...MOVEMENT_COLUMNS, { name: 'username', text: MOVER_USERNAME, plain: true }];

export const MOVEMENT_EXPORTS: Record<ExportFormat, ExportSpec> = {
  ndjson: { format: 'ndjson', columns: EXPORT_COLUMNS, streamPrefixLength: 'movement-'.length, join: PLAYER_OF_MOVEMENT },
  csv: { format: 'csv', columns: EXPORT_COLUMNS, streamPrefixLength: 'movement-'.length, join: PLAYER_OF_MOVEMENT },
};

/** A Movement as one JSON object, for JSON pages: the export's objects without the username. */
export const MOVEMENT_JSON: ExportSpec = { format: 'ndjson', columns: MOVEMENT_COLUMNS, streamPrefixLength: 'movement-'.length };

/** `id,playerId,x,y,z,heading,seq,at,position,username` */
export const CSV_HEADER = csvHeader(MOVEMENT_EXPORTS.csv);
