import { INestApplicationContext, Logger } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Server, ServerOptions } from 'socket.io';
import { Settings } from '../config/settings';
import { WaypointMetrics } from '../metrics/waypoint-metrics';
import { ClusterRedis, redactRedisUrl, RedisLink } from './cluster-redis';

/**
 * Socket.IO with the limits from the settings (the gateway decorator only takes
 * constants) and, when REDIS_URL is set, the Redis adapter that joins several nodes
 * into one world: broadcasts, rooms and socket lookups span every node.
 */
export class ConfiguredIoAdapter extends IoAdapter {
  private readonly clusterLogger = new Logger('SocketIO');
  private redisClients: ClusterRedis[] = [];

  constructor(
    private readonly app: INestApplicationContext,
    private readonly settings: Settings,
  ) {
    super(app);
  }

  createIOServer(port: number, options?: Partial<ServerOptions>): Server {
    const server: Server = super.createIOServer(port, {
      ...(options as ServerOptions),
      maxHttpBufferSize: this.settings.maxMessageBytes,
      serveClient: true,
    });
    if (this.settings.redisUrl) {
      const link = new RedisLink(this.clusterLogger);
      const pub = new ClusterRedis(this.settings.redisUrl, link, 'publisher');
      const sub = new ClusterRedis(this.settings.redisUrl, link, 'subscriber');
      this.redisClients = [pub, sub];
      this.app.get(WaypointMetrics).watch('redisConnected', () => (this.redisClients.every((c) => c.status === 'ready') ? 1 : 0));
      // One channel family per database schema: nodes of one world share it, other worlds don't hear it.
      server.adapter(createAdapter(pub, sub, { key: `waypoint:${this.settings.databaseSchema}`, requestsTimeout: this.settings.clusterRequestTimeoutMs }));
      this.clusterLogger.log({ message: 'cluster mode: Socket.IO Redis adapter on', redis: redactRedisUrl(this.settings.redisUrl) });
    }
    return server;
  }

  async close(server: Server): Promise<void> {
    await super.close(server);
    await Promise.all(this.redisClients.map((c) => c.quit().catch(() => c.disconnect())));
    this.redisClients = [];
  }
}
