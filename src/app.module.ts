import { DynamicModule, Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { AuthModule } from './auth/auth.module';
import { CqrsErrorLog } from './common/cqrs-error-log';
import { SETTINGS, Settings } from './config/settings';
import { DATABASE_CAPABILITIES } from './database/database-capabilities';
import { DatabaseConnection } from './database/database-connection';
import { DatabaseStatus } from './database/database-status';
import { EventStoreModule } from './event-store';
import { HealthModule } from './health/health.module';
import { MetricsModule } from './metrics/metrics.module';
import { MonitorModule } from './monitor/monitor.module';
import { MovementModule } from './movement/movement.module';
import { ReplayModule } from './replay/replay.module';
import { RolesModule } from './roles/roles.module';
import { WorldModule } from './world/world.module';

@Module({})
export class AppModule {
  /** The settings and an open, migrated database come from the caller (server, CLI or test). */
  static forRoot(settings: Settings, database: Pick<DatabaseConnection, 'dataSource' | 'capabilities'>): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [CqrsModule.forRoot(), MetricsModule, EventStoreModule, AuthModule, MovementModule, WorldModule, ReplayModule, RolesModule, HealthModule, MonitorModule],
      providers: [
        { provide: SETTINGS, useValue: settings },
        { provide: DataSource, useValue: database.dataSource },
        { provide: DATABASE_CAPABILITIES, useValue: database.capabilities },
        DatabaseStatus,
        CqrsErrorLog,
      ],
      exports: [SETTINGS, DataSource, DATABASE_CAPABILITIES, DatabaseStatus],
    };
  }
}
