import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { WorldModule } from '../world/world.module';
import { MonitorAssetsController } from './monitor-assets.controller';
import { OperatorGuard } from './operator.guard';
import { ClusterStats } from './read-stats/cluster-stats';
import { MonitorStatsController } from './read-stats/monitor-stats.controller';
import { NodeStats } from './read-stats/node-stats';

/** The /monitor page's data (GET /monitor/stats, every node) and its chart library; the page itself is public/monitor/. */
@Module({
  imports: [AuthModule, WorldModule],
  controllers: [MonitorStatsController, MonitorAssetsController],
  providers: [NodeStats, ClusterStats, OperatorGuard],
})
export class MonitorModule {}
