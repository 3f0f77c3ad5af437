import { Controller, Get, Query, Req, StreamableFile } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ReadsPlayersQuery } from './access/reader.guard';
import { PlayersRangeQueryDto, toMovementRange, toPlayerIds } from './dto/replay-query.dto';
import { MovementPageDto } from './dto/replay.dto';
import { ExportMovements } from './export-movements/export-movements.query';
import { JsonText } from './json-text';
import { exportResponse, negotiateMovementFormat } from './movement-response';
import { ReadMovementPage } from './read-movements/read-movement-page.query';
import { LiveEdgeResponse, MovementsRoute, ReadingRoute, UnknownPlayerResponse } from './replay-api.decorators';

@ApiTags('movements')
@Controller('movements')
@ReadingRoute()
export class MovementsController {
  constructor(private readonly queries: QueryBus) {}

  @Get()
  @ReadsPlayersQuery()
  @ApiOperation({
    summary: 'Movements of every player (or of `players`) in a time range, in recorded order, by pages or streamed (analysts; a player for their own id only)',
  })
  @MovementsRoute()
  @UnknownPlayerResponse()
  @LiveEdgeResponse()
  async movements(@Query() query: PlayersRangeQueryDto, @Req() request: Request): Promise<JsonText<MovementPageDto> | StreamableFile> {
    const range = toMovementRange(query);
    const players = toPlayerIds(query.players);
    const format = negotiateMovementFormat(request);
    if (format === 'json') return this.queries.execute(new ReadMovementPage(players, range));
    return exportResponse(await this.queries.execute(new ExportMovements(players, range, format)), format, 'movements');
  }
}
