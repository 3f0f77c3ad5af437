import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { WaypointMetrics } from './waypoint-metrics';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: WaypointMetrics) {}

  @Get()
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'this node\'s metrics in the Prometheus text format (no authentication)', schema: { type: 'string' } })
  async scrape(@Res() res: Response): Promise<void> {
    const body = await this.metrics.metrics();
    res.type(this.metrics.contentType).set('Cache-Control', 'no-store').send(body);
  }
}
