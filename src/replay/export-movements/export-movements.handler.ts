import { HttpException, HttpStatus } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { Readable } from 'node:stream';
import { EventQueries, EventRange } from '../history';
import { MovementRanges } from '../read-movements/movement-ranges';
import { CSV_HEADER, ExportFormat, MOVEMENT_EXPORTS } from './export-format';
import { ExportMonitor } from './export-monitor';
import { ExportMovements } from './export-movements.query';

/** Events per keyset query of an export: about 1 MB of text and 20 ms of database time. */
export const EXPORT_BATCH_SIZE = 5_000;

/**
 * Streams a range without holding it: batches are read by keyset pages only as fast as
 * the client takes them (the Readable is pulled by the response's backpressure, with up
 * to two reads ahead, see EventQueries.streamExport), and when the response closes
 * early the stream is destroyed, which aborts the reads: no further query is sent.
 * PostgreSQL writes each batch's text; this process only passes one string per batch along.
 */
@QueryHandler(ExportMovements)
export class ExportMovementsHandler implements IQueryHandler<ExportMovements> {
  constructor(
    private readonly ranges: MovementRanges,
    private readonly events: EventQueries,
    private readonly monitor: ExportMonitor,
  ) {}

  async execute({ playerIds, request, format }: ExportMovements): Promise<Readable> {
    const resolved = await this.ranges.resolve(playerIds, request);
    const id = this.monitor.tryStart();
    if (id === null) {
      throw new HttpException(`${this.monitor.maxConcurrent} exports are already streaming from this server; retry when one ends`, HttpStatus.TOO_MANY_REQUESTS);
    }
    let range: EventRange;
    try {
      // Settled before the first byte (and counted among the exports while it waits): an
      // export ends where it was asked for, and a wait that runs out is still a clean 503,
      // not a broken stream.
      range = await this.events.settledRange(resolved);
    } catch (error) {
      this.monitor.end(id, true, 'export not started: the live edge did not settle');
      throw error;
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
    for await (const batch of this.events.streamExport(range, MOVEMENT_EXPORTS[format], { batchSize: EXPORT_BATCH_SIZE, signal })) {
      this.monitor.read(id, batch.count);
      yield batch.text;
    }
  }
}
