import { Query } from '@nestjs/cqrs';
import { WorldSnapshotDto } from '../dto/replay.dto';
import { JsonText } from '../json-text';

/** Where every player was at an instant, rebuilt from the movement events. */
export class GetWorldSnapshot extends Query<JsonText<WorldSnapshotDto>> {
  constructor(readonly at: Date) {
    super();
  }
}
