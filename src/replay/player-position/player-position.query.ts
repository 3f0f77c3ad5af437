import { Query } from '@nestjs/cqrs';
import { PositionDto } from '../dto/replay.dto';

/** A player's last recorded position. */
export class GetPlayerPosition extends Query<PositionDto> {
  constructor(readonly playerId: string) {
    super();
  }
}
