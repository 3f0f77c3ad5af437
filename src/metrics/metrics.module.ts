import { Global, Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { WaypointMetrics } from './waypoint-metrics';

/** The node's one metrics registry, injected wherever a figure is measured, and GET /metrics. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [WaypointMetrics],
  exports: [WaypointMetrics],
})
export class MetricsModule {}
