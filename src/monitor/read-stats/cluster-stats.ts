import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SETTINGS, Settings } from '../../config/settings';
import { SocketServerRef } from '../../world/socket-server.ref';
import { MonitorStats, NodeFigures } from './node-figures';
import { NodeStats } from './node-stats';

/** The server-side event every node answers with its own figures (REDIS_URL set). */
const ASK_FIGURES = 'monitor:figures';

/** Beyond CLUSTER_REQUEST_TIMEOUT_MS, for counting the nodes over this node's own Redis link. */
const OWN_LINK_MARGIN_MS = 1_000;

/**
 * Every node's figures. /metrics is per node, and the page is served by one of them; with
 * REDIS_URL that node asks the others over the Socket.IO Redis adapter (serverSideEmit
 * with an acknowledgement) and lists what came back within CLUSTER_REQUEST_TIMEOUT_MS.
 */
@Injectable()
export class ClusterStats implements OnApplicationBootstrap {
  private readonly logger = new Logger(ClusterStats.name);
  private readonly clustered: boolean;
  private readonly requestTimeoutMs: number;

  constructor(
    private readonly node: NodeStats,
    private readonly io: SocketServerRef,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.clustered = settings.redisUrl !== null;
    this.requestTimeoutMs = settings.clusterRequestTimeoutMs;
  }

  /** The gateway has handed the Socket.IO server over by now. */
  onApplicationBootstrap(): void {
    if (!this.clustered || !this.io.server) return;
    this.io.server.on(ASK_FIGURES, (answer: (figures: NodeFigures | null) => void) => {
      this.node.figures().then(answer, (error: unknown) => {
        this.logger.warn({ message: 'could not read this node\'s figures for another node', error: String(error) });
        answer(null);
      });
    });
  }

  async stats(): Promise<MonitorStats> {
    const mine = await this.node.figures();
    if (!this.clustered || !this.io.server) return { nodes: [mine], missing: null };
    const { answers, missing } = await this.askOthers();
    const others = answers.filter((f): f is NodeFigures => f !== null && typeof f === 'object' && typeof f.node?.id === 'string');
    others.sort((a, b) => a.node.id.localeCompare(b.node.id));
    return { nodes: [mine, ...others], missing };
  }

  private askOthers(): Promise<{ answers: (NodeFigures | null)[]; missing: string | null }> {
    const server = this.io.server!;
    return new Promise((resolve) => {
      const deadline = setTimeout(
        () => resolve({ answers: [], missing: 'the other nodes cannot be asked while Redis does not answer; only this node is shown' }),
        this.requestTimeoutMs + OWN_LINK_MARGIN_MS,
      );
      server.serverSideEmit(ASK_FIGURES, (error: Error | null, answers: (NodeFigures | null)[]) => {
        clearTimeout(deadline);
        resolve({
          answers: answers ?? [],
          missing: error ? `some nodes did not answer within ${this.requestTimeoutMs} ms (CLUSTER_REQUEST_TIMEOUT_MS): ${error.message}` : null,
        });
      });
    });
  }
}
