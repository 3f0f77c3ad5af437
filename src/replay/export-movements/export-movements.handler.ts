import { HttpException, HttpStatus } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Readable } from 'node:stream';
import { EventQueries, EventRange } from '../../event-store';
import { MovementRanges } from '../read-movements/movement-ranges';
import { CSV_HEADER, EXPORT_FIELDS, ExportFormat, formatBatch } from './export-format';
import { ExportMonitor, MAX_CONCURRENT_EXPORTS } from './export-monitor';
import { ExportMovements } from './export-movements.query';

/** Rows per keyset query of an export: a few MB of text, a few tens of ms of database time. */
export const EXPORT_BATCH_SIZE = 5_000;

/**
 * Streams a range without holding it: batches are read by keyset pages only as fast as
 * the client takes them (the Readable is pulled by the response's backpressure, with
 * one batch read ahead), and when the response closes early the stream is destroyed,
 * which aborts the reads: no further query is sent.
 */
@QueryHandler(ExportMovements)
export class ExportMovementsHandler implements IQueryHandler<ExportMovements> {
  constructor(
    private readonly ranges: MovementRanges,
    private readonly events: EventQueries,
    private readonly monitor: ExportMonitor,
  ) {}

  async execute({ playerIds, request, format }: ExportMovements): Promise<Readable> {
    const range = await this.ranges.resolve(playerIds, request);
    const id = this.monitor.tryStart();
    if (id === null) {
      throw new HttpException(`${MAX_CONCURRENT_EXPORTS} exports are already streaming from this server; retry when one ends`, HttpStatus.TOO_MANY_REQUESTS);
    }
    const abort = new AbortController();
    const stream = Readable.from(this.lines(id, range, format, abort.signal), { objectMode: false, highWaterMark: 64 * 1024 });
    let completed = false;
    stream.once('end', () => (completed = true));
    stream.once('close', () => {
      abort.abort();
      this.monitor.end(id, !completed);
    });
    return stream;
  }

  private async *lines(id: number, range: EventRange, format: ExportFormat, signal: AbortSignal): AsyncGenerator<string> {
    if (format === 'csv') yield CSV_HEADER;
    for await (const batch of this.events.streamRange(range, EXPORT_FIELDS, { batchSize: EXPORT_BATCH_SIZE, signal })) {
      this.monitor.read(id, batch.length);
      yield formatBatch(batch, format);
    }
  }
}
