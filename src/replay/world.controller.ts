import { Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ReadsEveryone } from './access/reader.guard';
import { parseIsoInstant } from './dto/iso-instant';
import { SnapshotQueryDto } from './dto/replay-query.dto';
import { ErrorDto } from '../common/error.dto';
import { WorldSnapshotDto } from './dto/replay.dto';
import { JsonText } from './json-text';
import { LiveEdgeResponse, ReadingRoute } from './replay-api.decorators';
import { GetWorldSnapshot } from './world-snapshot/world-snapshot.query';

@ApiTags('world')
@Controller('world')
@ReadingRoute()
export class WorldController {
  constructor(private readonly queries: QueryBus) {}

  @Get('snapshot')
  @ReadsEveryone()
  @ApiOperation({ summary: "Every player's position as of an instant, rebuilt from the movement events (analysts)" })
  @ApiOkResponse({ type: WorldSnapshotDto })
  @ApiBadRequestResponse({ type: ErrorDto, description: 'a malformed `at`, or an unknown parameter' })
  @LiveEdgeResponse()
  snapshot(@Query() query: SnapshotQueryDto): Promise<JsonText<WorldSnapshotDto>> {
    const at = query.at === undefined ? new Date() : parseIsoInstant(query.at)!;
    return this.queries.execute(new GetWorldSnapshot(at));
  }
}
