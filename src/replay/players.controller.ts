import { Controller, Get, Inject, Param, Query, Req, StreamableFile } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiExtraModels, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorDto, errorExample } from '../common/error.dto';
import { SETTINGS, Settings } from '../config/settings';
import { AnalyticsRangeQueryDto, toAnalyticsRange } from './dto/analytics-query.dto';
import { TrajectoryDto } from './dto/analytics.dto';
import { GEOJSON_CONTENT_TYPE } from './player-trajectory/player-trajectory.handler';
import { GetPlayerTrajectory } from './player-trajectory/player-trajectory.query';
import { ReadsEveryone, ReadsPlayerParam } from './access/reader.guard';
import { MovementRangeQueryDto, toMovementRange } from './dto/replay-query.dto';
import { MovementPageDto, PlayerSummaryDto, PositionDto } from './dto/replay.dto';
import { ExportMovements } from './export-movements/export-movements.query';
import { ListPlayers } from './list-players/list-players.query';
import { JsonText } from './json-text';
import { exportResponse, negotiateMovementFormat } from './movement-response';
import { GetPlayerPosition } from './player-position/player-position.query';
import { ReadMovementPage } from './read-movements/read-movement-page.query';
import { AnalyticsRoute, MovementsRoute, ReadingRoute, UnknownPlayerResponse } from './replay-api.decorators';

@ApiTags('players')
@Controller('players')
@ReadingRoute()
export class PlayersController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get()
  @ReadsEveryone()
  @ApiOperation({ summary: 'Every player with their last position and whether they are online (analysts)' })
  @ApiOkResponse({ type: [PlayerSummaryDto] })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'several nodes, and Redis does not answer, or a node does not answer within CLUSTER_REQUEST_TIMEOUT_MS: who is online on the others cannot be read',
    example: errorExample(503, 'Service Unavailable', 'who is online on the other nodes cannot be read while Redis does not answer; retry shortly'),
  })
  list(): Promise<PlayerSummaryDto[]> {
    return this.queries.execute(new ListPlayers());
  }

  @Get(':id/position')
  @ReadsPlayerParam()
  @ApiOperation({ summary: "A player's last recorded position (analysts, or the player)" })
  @ApiParam({ name: 'id', description: 'player id' })
  @ApiOkResponse({ type: PositionDto })
  @ApiNotFoundResponse({
    type: ErrorDto,
    description: 'no such player, or no position recorded yet',
    example: errorExample(404, 'Not Found', 'player 7b0c1f9e-3d2a-4c5b-9e8f-0a1b2c3d4e5f has no recorded position yet'),
  })
  position(@Param('id') id: string): Promise<PositionDto> {
    return this.queries.execute(new GetPlayerPosition(id));
  }

  @Get(':id/movements')
  @ReadsPlayerParam()
  @ApiOperation({ summary: "A player's movement history in recorded order, by pages or streamed (analysts, or the player)" })
  @ApiParam({ name: 'id', description: 'player id' })
  @MovementsRoute()
  @UnknownPlayerResponse()
  async movements(@Param('id') id: string, @Query() query: MovementRangeQueryDto, @Req() request: Request): Promise<JsonText<MovementPageDto> | StreamableFile> {
    const range = toMovementRange(query);
    const format = negotiateMovementFormat(request);
    if (format === 'json') return this.queries.execute(new ReadMovementPage([id], range));
    return exportResponse(await this.queries.execute(new ExportMovements([id], range, format)), format, `movements-${id}`);
  }

  @Get(':id/trajectory')
  @ReadsPlayerParam()
  @ApiOperation({ summary: "A player's path in a time range as a GeoJSON Feature (LineString of [x, y, z], times and seqs in its properties), application/geo+json (analysts, or the player)" })
  @ApiParam({ name: 'id', description: 'player id' })
  @ApiExtraModels(TrajectoryDto)
  @ApiOkResponse({ content: { [GEOJSON_CONTENT_TYPE]: { schema: { $ref: getSchemaPath(TrajectoryDto) } } }, description: 'a GeoJSON Feature (RFC 7946); opens as it is in QGIS or kepler.gl' })
  @AnalyticsRoute('more movements in the range than TRAJECTORY_MAX_POINTS')
  @UnknownPlayerResponse()
  trajectory(@Param('id') id: string, @Query() query: AnalyticsRangeQueryDto): Promise<JsonText<TrajectoryDto>> {
    return this.queries.execute(new GetPlayerTrajectory(id, toAnalyticsRange(query, this.settings.analyticsMaxRangeHours)));
  }
}
