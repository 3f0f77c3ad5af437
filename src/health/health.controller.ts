import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { DatabaseStatus } from '../database/database-status';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(private readonly database: DatabaseStatus) {}

  @Get()
  @ApiOkResponse({ description: 'the server and its database answer' })
  @ApiServiceUnavailableResponse({ description: 'the database does not answer (within HEALTH_DATABASE_TIMEOUT_MS), or movements cannot be recorded' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    // Known down (the write path's appends get no answer): say so without asking again.
    if (!this.database.up || !(await this.database.ping())) throw new ServiceUnavailableException('database unavailable');
    return { status: 'ok', database: 'up' };
  }
}
