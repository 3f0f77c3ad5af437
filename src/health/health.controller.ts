import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction, HealthIndicatorService } from '@nestjs/terminus';
import { ErrorDto, errorExample } from '../common/error.dto';
import { SETTINGS, Settings } from '../config/settings';
import { DatabaseStatus } from '../database/database-status';
import { RedisHealth } from './redis-health';

/**
 * Probes. `/health` (v1) and `/health/ready` ask the parts a node needs, each bounded in
 * time (HEALTH_DATABASE_TIMEOUT_MS, HEALTH_REDIS_TIMEOUT_MS), so a part that hangs fails
 * the probe in time rather than hanging it. `/health/live` asks nothing: the process answers.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly databaseTimeoutMs: number;
  private readonly redisTimeoutMs: number;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly database: DatabaseStatus,
    private readonly redis: RedisHealth,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.databaseTimeoutMs = settings.database.healthTimeoutMs;
    this.redisTimeoutMs = settings.healthRedisTimeoutMs;
  }

  @Get()
  @ApiOkResponse({ description: 'the server and its database answer' })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'the database does not answer (within HEALTH_DATABASE_TIMEOUT_MS), or movements cannot be recorded',
    example: errorExample(503, 'Service Unavailable', 'database unavailable (no answer within 800 ms)'),
  })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    await this.run([this.databaseCheck()], (down) => `database unavailable (${down[0].reason})`);
    return { status: 'ok', database: 'up' };
  }

  @Get('live')
  @ApiOkResponse({ description: 'the process answers (nothing else is asked)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOkResponse({ description: 'the database and, with REDIS_URL, Redis answer: `{status: "ok", details: {database, redis}}`' })
  @ApiServiceUnavailableResponse({
    type: ErrorDto,
    description: 'a part does not answer (within HEALTH_DATABASE_TIMEOUT_MS, HEALTH_REDIS_TIMEOUT_MS); the message names it',
    example: errorExample(503, 'Service Unavailable', 'not ready: redis did not answer (not connected (reconnecting))'),
  })
  ready(): Promise<HealthCheckResult> {
    const checks = [this.databaseCheck()];
    if (this.redis.configured) checks.push(() => this.indicators.check('redis').attempt(() => this.redis.ping()).withTimeout(this.redisTimeoutMs));
    return this.run(checks, (down) => `not ready: ${down.map(({ part, reason }) => `${part} did not answer (${reason})`).join('; ')}`);
  }

  /** Known down (the write path's appends get no answer): say so without asking again. */
  private databaseCheck(): HealthIndicatorFunction {
    return () =>
      this.indicators.check('database').attempt(async () => {
        if (!this.database.up) throw new Error(this.database.downReason || 'movements cannot be recorded');
        if (!(await this.database.ping())) throw new Error(`no answer within ${this.databaseTimeoutMs} ms`);
      });
  }

  /** Terminus's result, or 503 in the error shape with a message naming each part that is down. */
  private async run(checks: HealthIndicatorFunction[], message: (down: { part: string; reason: string }[]) => string): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      const result = (error as ServiceUnavailableException).getResponse?.() as HealthCheckResult | undefined;
      if (!result?.error) throw error;
      const down = Object.entries(result.error).map(([part, detail]) => ({ part, reason: String((detail as { message?: unknown }).message ?? 'down') }));
      throw new ServiceUnavailableException(message(down));
    }
  }
}
