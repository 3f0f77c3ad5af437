import { NotAcceptableException, StreamableFile } from '@nestjs/common';
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { EXPORT_CONTENT_TYPES, ExportFormat } from './export-movements/export-format';

/** What the Accept header asks of a movements endpoint: a JSON page, or a streamed export. */
export function negotiateMovementFormat(request: Request): 'json' | ExportFormat {
  const chosen = request.accepts(['application/json', 'application/x-ndjson', 'text/csv']);
  if (chosen === 'application/x-ndjson') return 'ndjson';
  if (chosen === 'text/csv') return 'csv';
  if (chosen === 'application/json') return 'json';
  throw new NotAcceptableException('movements are served as application/json (pages), application/x-ndjson or text/csv (whole-range exports)');
}

/** An export as a response body: Nest pipes it (backpressure) and destroys it when the client goes away. */
export function exportResponse(stream: Readable, format: ExportFormat, name: string): StreamableFile {
  return new StreamableFile(stream, {
    type: EXPORT_CONTENT_TYPES[format],
    disposition: format === 'csv' ? `attachment; filename="${name}.csv"` : undefined,
  });
}
