import { Query } from '@nestjs/cqrs';
import { WorldSnapshotDto } from '../dto/replay.dto';

/** Where every player was at an instant, rebuilt from the movement events. */
export class GetWorldSnapshot extends Query<WorldSnapshotDto> {
  constructor(readonly at: Date) {
    super();
  }
}
