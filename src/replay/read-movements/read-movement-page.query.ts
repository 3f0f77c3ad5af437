import { Query } from '@nestjs/cqrs';
import { MovementRangeRequest } from '../dto/replay-query.dto';
import { MovementPageDto } from '../dto/replay.dto';
import { JsonText } from '../json-text';

/** One page of movements of some players (null = every player) in a time range. */
export class ReadMovementPage extends Query<JsonText<MovementPageDto>> {
  constructor(
    readonly playerIds: string[] | null,
    readonly request: MovementRangeRequest,
  ) {
    super();
  }
}
