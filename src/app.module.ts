import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import { CqrsErrorLog } from './common/cqrs-error-log';
import { SETTINGS, Settings } from './config/settings';
import { EventStoreModule } from './event-store';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { MovementModule } from './movement/movement.module';
import { ReplayModule } from './replay/replay.module';
import { RolesModule } from './roles/roles.module';
import { WorldModule } from './world/world.module';

@Module({})
export class AppModule {
  /** The settings and an open, migrated data source come from the caller (server, CLI or test). */
  static forRoot(settings: Settings, dataSource: DataSource): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [CqrsModule.forRoot(), MetricsModule, EventStoreModule, AuthModule, MovementModule, WorldModule, ReplayModule, RolesModule, HealthModule],
      providers: [{ provide: SETTINGS, useValue: settings }, { provide: DataSource, useValue: dataSource }, CqrsErrorLog],
      exports: [SETTINGS, DataSource],
    };
  }
}
