import { RangeEvent } from '../../event-store';
import { MovementData } from '../../movement/position';
import { toMovement } from '../read-movements/movement.mapper';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/** The columns of a CSV export, in PROTOCOL.md `Movement` order. */
export const CSV_HEADER = 'id,playerId,x,y,z,heading,seq,at,position\r\n';

/** RFC 4180: quoted only when it must be. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One batch of events as the text of its lines: one Movement per NDJSON line or CSV row. */
export function formatBatch(batch: RangeEvent<MovementData>[], format: ExportFormat): string {
  let out = '';
  if (format === 'ndjson') {
    for (const e of batch) out += JSON.stringify(toMovement(e)) + '\n';
    return out;
  }
  for (const e of batch) {
    const m = toMovement(e);
    out += `${csvField(m.id)},${csvField(m.playerId)},${m.x},${m.y},${m.z},${m.heading},${m.seq ?? ''},${m.at},${m.position}\r\n`;
  }
  return out;
}
