import { RangeEventText } from '../../event-store';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

/** The data fields an export reads, as JSON text, in this order. */
export const EXPORT_FIELDS = ['x', 'y', 'z', 'heading', 'seq'];

/** The columns of a CSV export, in PROTOCOL.md `Movement` order. */
export const CSV_HEADER = 'id,playerId,x,y,z,heading,seq,at,position\r\n';

const MOVEMENT_STREAM_PREFIX = 'movement-'.length;

/** RFC 4180: quoted only when it must be. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One batch of events as the text of its lines: one `Movement` (the same fields and
 * values as the JSON pages' toMovement) per NDJSON line or CSV row, written from the
 * database's text without parsing it: numbers stay the JSON text they are stored as.
 * Lines are joined once per batch (faster than appending to one string).
 */
export function formatBatch(batch: RangeEventText[], format: ExportFormat): string {
  if (batch.length === 0) return '';
  const lines = new Array<string>(batch.length);
  if (format === 'ndjson') {
    for (let i = 0; i < batch.length; i++) {
      const e = batch[i];
      const [x, y, z, heading, seq] = e.fields;
      lines[i] =
        `{"id":${e.eventIdJson},"playerId":${JSON.stringify(e.streamId.slice(MOVEMENT_STREAM_PREFIX))},"x":${x ?? 'null'},"y":${y ?? 'null'},` +
        `"z":${z ?? '0'},"heading":${heading ?? '0'},"seq":${seq ?? 'null'},"at":"${e.recordedAt}","position":${e.globalPosition}}`;
    }
    return lines.join('\n') + '\n';
  }
  for (let i = 0; i < batch.length; i++) {
    const e = batch[i];
    const [x, y, z, heading, seq] = e.fields;
    const id = JSON.parse(e.eventIdJson) as string;
    lines[i] =
      `${csvField(String(id))},${csvField(e.streamId.slice(MOVEMENT_STREAM_PREFIX))},${x ?? ''},${y ?? ''},${z ?? '0'},${heading ?? '0'},` +
      `${seq === null || seq === 'null' ? '' : seq},${e.recordedAt},${e.globalPosition}`;
  }
  return lines.join('\r\n') + '\r\n';
}
