import { Controller, Get, Inject, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SETTINGS, Settings } from '../config/settings';
import { ReadsEveryone } from './access/reader.guard';
import { HeatmapQueryDto, toAnalyticsRange, toCell, toPointCoordinate, toRadius, VisitsQueryDto } from './dto/analytics-query.dto';
import { HeatmapDto, VisitsDto } from './dto/analytics.dto';
import { parseIsoInstant } from './dto/iso-instant';
import { SnapshotQueryDto, toPlayerIds } from './dto/replay-query.dto';
import { ErrorDto, errorExample } from '../common/error.dto';
import { WorldSnapshotDto } from './dto/replay.dto';
import { JsonText } from './json-text';
import { AnalyticsRoute, LiveEdgeResponse, ReadingRoute, UnknownPlayerResponse } from './replay-api.decorators';
import { GetWorldHeatmap } from './world-heatmap/world-heatmap.query';
import { GetWorldVisits } from './world-visits/world-visits.query';
import { GetWorldSnapshot } from './world-snapshot/world-snapshot.query';

@ApiTags('world')
@Controller('world')
@ReadingRoute()
export class WorldController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  @Get('snapshot')
  @ReadsEveryone()
  @ApiOperation({ summary: "Every player's position as of an instant, rebuilt from the movement events (analysts)" })
  @ApiOkResponse({ type: WorldSnapshotDto })
  @ApiBadRequestResponse({
    type: ErrorDto,
    description: 'a malformed `at`, or an unknown parameter',
    example: errorExample(400, 'Bad Request', 'at must be one ISO 8601 instant such as 2025-11-26T10:00:00Z or 2025-11-26 (a date-time needs Z or an offset like +02:00); got "now"'),
  })
  @LiveEdgeResponse()
  snapshot(@Query() query: SnapshotQueryDto): Promise<JsonText<WorldSnapshotDto>> {
    const at = query.at === undefined ? new Date() : parseIsoInstant(query.at)!;
    return this.queries.execute(new GetWorldSnapshot(at));
  }

  @Get('heatmap')
  @ReadsEveryone()
  @ApiOperation({ summary: 'Movements counted per square grid cell in a time range, of every player or of `players` (analysts)' })
  @ApiOkResponse({ type: HeatmapDto })
  @AnalyticsRoute('cell ≤ 0 or not a number, more cells than HEATMAP_MAX_CELLS, a malformed `players`')
  @UnknownPlayerResponse()
  @LiveEdgeResponse()
  heatmap(@Query() query: HeatmapQueryDto): Promise<JsonText<HeatmapDto>> {
    const range = toAnalyticsRange(query, this.settings.analyticsMaxRangeHours);
    const cell = toCell(query.cell, this.settings);
    return this.queries.execute(new GetWorldHeatmap(range, cell, toPlayerIds(query.players)));
  }

  @Get('visits')
  @ReadsEveryone()
  @ApiOperation({ summary: 'Every player who came within `radius` of (`x`, `y`) in a time range: first and last time there, movements, closest distance (analysts)' })
  @ApiOkResponse({ type: VisitsDto })
  @AnalyticsRoute('x or y not a number or outside the world bounds, radius ≤ 0 or not a number')
  @LiveEdgeResponse()
  visits(@Query() query: VisitsQueryDto): Promise<VisitsDto> {
    const range = toAnalyticsRange(query, this.settings.analyticsMaxRangeHours);
    const x = toPointCoordinate('x', query.x, this.settings);
    const y = toPointCoordinate('y', query.y, this.settings);
    return this.queries.execute(new GetWorldVisits(range, x, y, toRadius(query.radius, this.settings)));
  }
}
