import { Controller, Get, Header, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiOkResponse, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ErrorDto, errorExample } from '../../common/error.dto';
import { NEEDS_ANALYST, OperatorGuard } from '../operator.guard';
import { ClusterStats } from './cluster-stats';
import { MonitorStats } from './node-figures';

@ApiTags('operations')
@Controller('monitor')
export class MonitorStatsController {
  constructor(private readonly cluster: ClusterStats) {}

  @Get('stats')
  @UseGuards(OperatorGuard)
  @Header('Cache-Control', 'no-store')
  @ApiBearerAuth()
  @ApiOkResponse({
    description:
      'every node\'s figures for the /monitor page, from the same registry as /metrics: `{nodes: [{node: {id, host, port, pid, startedAt}, at, windowSeconds, ' +
      'playersOnline, positionsPerSecond, rejectionsPerSecond, positionsTotal, ackSeconds: {p50, p99}, commitSeconds, batchEventsMean, broadcastDelaySeconds, ' +
      'queueDepth, slowClients}], missing}`; rates and quantiles cover the node\'s last second or so; this node first',
  })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'no, invalid or expired access token', example: errorExample(401, 'Unauthorized', 'a valid access token is required: Authorization: Bearer <token> from POST /auth/login') })
  @ApiForbiddenResponse({ type: ErrorDto, description: 'the account is not an analyst', example: errorExample(403, 'Forbidden', NEEDS_ANALYST) })
  stats(): Promise<MonitorStats> {
    return this.cluster.stats();
  }
}
