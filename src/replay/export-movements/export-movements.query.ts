import { Query } from '@nestjs/cqrs';
import type { Readable } from 'node:stream';
import { MovementRangeRequest } from '../dto/replay-query.dto';
import { ExportFormat } from './export-format';

/** The whole range of movements of some players (null = every player), as a byte stream. */
export class ExportMovements extends Query<Readable> {
  constructor(
    readonly playerIds: string[] | null,
    readonly request: MovementRangeRequest,
    readonly format: ExportFormat,
  ) {
    super();
  }
}
