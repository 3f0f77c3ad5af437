import { Controller, Get, Param, Query, Req, StreamableFile } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ErrorDto } from '../common/error.dto';
import { ReadsEveryone, ReadsPlayerParam } from './access/reader.guard';
import { MovementRangeQueryDto, toMovementRange } from './dto/replay-query.dto';
import { MovementPageDto, PlayerSummaryDto, PositionDto } from './dto/replay.dto';
import { ExportMovements } from './export-movements/export-movements.query';
import { ListPlayers } from './list-players/list-players.query';
import { JsonText } from './json-text';
import { exportResponse, negotiateMovementFormat } from './movement-response';
import { GetPlayerPosition } from './player-position/player-position.query';
import { ReadMovementPage } from './read-movements/read-movement-page.query';
import { MovementsRoute, ReadingRoute, UnknownPlayerResponse } from './replay-api.decorators';

@ApiTags('players')
@Controller('players')
@ReadingRoute()
export class PlayersController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ReadsEveryone()
  @ApiOperation({ summary: 'Every player with their last position and whether they are online (analysts)' })
  @ApiOkResponse({ type: [PlayerSummaryDto] })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'several nodes, and Redis does not answer, or a node does not answer within CLUSTER_REQUEST_TIMEOUT_MS: who is online on the others cannot be read' })
  list(): Promise<PlayerSummaryDto[]> {
    return this.queries.execute(new ListPlayers());
  }

  @Get(':id/position')
  @ReadsPlayerParam()
  @ApiOperation({ summary: "A player's last recorded position (analysts, or the player)" })
  @ApiParam({ name: 'id', description: 'player id' })
  @ApiOkResponse({ type: PositionDto })
  @ApiNotFoundResponse({ type: ErrorDto, description: 'no such player, or no position recorded yet' })
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
}
