import { Query } from '@nestjs/cqrs';
import { PlayerSummaryDto } from '../dto/replay.dto';

/** Every player with their last position and whether they are online. */
export class ListPlayers extends Query<PlayerSummaryDto[]> {}
