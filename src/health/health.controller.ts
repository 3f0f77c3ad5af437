import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorFunction, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { DataSource } from 'typeorm';
import { ErrorDto } from '../common/error.dto';
import { SETTINGS, Settings } from '../config/settings';
import { RedisHealth } from './redis-health';

/**
 * Probes. `/health` (v1) and `/health/ready` ask the parts a node needs; each check is
 * bounded by HEALTH_CHECK_TIMEOUT_MS, so a hung database makes the probe fail in time
 * rather than hang it. `/health/live` asks nothing: the process answers.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly timeoutMs: number;

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    private readonly dataSource: DataSource,
    private readonly redis: RedisHealth,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.timeoutMs = settings.healthCheckTimeoutMs;
  }

  @Get()
  @ApiOkResponse({ description: 'the server and its database answer' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'the database does not answer within HEALTH_CHECK_TIMEOUT_MS' })
  async check(): Promise<{ status: 'ok'; database: 'up' }> {
    await this.run([this.database()], (down) => `database unavailable (${down[0].reason})`);
    return { status: 'ok', database: 'up' };
  }

  @Get('live')
  @ApiOkResponse({ description: 'the process answers (nothing else is asked)' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @ApiOkResponse({ description: 'the database and, with REDIS_URL, Redis answer: `{status: "ok", details: {database, redis}}`' })
  @ApiServiceUnavailableResponse({ type: ErrorDto, description: 'a part does not answer within HEALTH_CHECK_TIMEOUT_MS; the message names it' })
  ready(): Promise<HealthCheckResult> {
    const checks = [this.database()];
    if (this.redis.configured) checks.push(() => this.indicators.check('redis').attempt(() => this.redis.ping()).withTimeout(this.timeoutMs));
    return this.run(checks, (down) => `not ready: ${down.map(({ part, reason }) => `${part} did not answer (${reason})`).join('; ')}`);
  }

  private database(): HealthIndicatorFunction {
    return () => this.typeOrm.pingCheck('database', { connection: this.dataSource }).withTimeout(this.timeoutMs);
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
