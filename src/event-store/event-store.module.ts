import { Global, Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SETTINGS, Settings } from '../config/settings';
import { DATABASE_CAPABILITIES, DatabaseCapabilities } from '../database/database-capabilities';
import { BATCH_WRITER, batchWriterFor } from './batch-writer';
import { EventStore } from './event-store.service';

@Global()
@Module({
  providers: [
    {
      provide: BATCH_WRITER,
      inject: [DataSource, DATABASE_CAPABILITIES, SETTINGS],
      useFactory: (dataSource: DataSource, capabilities: DatabaseCapabilities, settings: Settings) =>
        batchWriterFor(dataSource, capabilities, settings.appendBatch),
    },
    EventStore,
  ],
  exports: [EventStore, BATCH_WRITER],
})
export class EventStoreModule {}
