import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { RedisHealth } from './redis-health';

/** GET /health (v1), /health/live and /health/ready, on @nestjs/terminus. */
@Module({
  // Terminus's own failure log repeats what the 503 and the request log say.
  imports: [TerminusModule.forRoot({ logger: false })],
  controllers: [HealthController],
  providers: [RedisHealth],
})
export class HealthModule {}
