import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import Redis from 'ioredis';
import { SETTINGS, Settings } from '../config/settings';

/**
 * Pings REDIS_URL for readiness on a connection of its own, opened at the first probe
 * (so CLI commands, which build the same modules, open none). It never queues a command
 * while disconnected (a ping then fails at once, and the probe says so), and it
 * reconnects by itself; the outage itself is logged by the node's Socket.IO clients.
 */
@Injectable()
export class RedisHealth implements OnModuleDestroy {
  private readonly client: Redis | null;
  private connecting: Promise<void> | null = null;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.client = settings.redisUrl
      ? new Redis(settings.redisUrl, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 0,
          disableClientInfo: true,
          connectTimeout: settings.healthRedisTimeoutMs,
          retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
        })
      : null;
    this.client?.on('error', () => undefined);
  }

  get configured(): boolean {
    return this.client !== null;
  }

  async ping(): Promise<void> {
    if (!this.client) return;
    // A failed first connect is retried by ioredis itself (retryStrategy).
    this.connecting ??= this.client.connect().catch(() => undefined);
    await this.connecting;
    if (this.client.status !== 'ready') throw new Error(`not connected (${this.client.status})`);
    await this.client.ping();
  }

  onModuleDestroy(): void {
    this.client?.disconnect();
  }
}
