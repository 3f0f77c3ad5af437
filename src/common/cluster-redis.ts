import { Logger } from '@nestjs/common';
import Redis, { type RedisOptions } from 'ioredis';

/** REDIS_URL is set but Redis does not answer: the node must not start half-joined. */
export class RedisUnreachable extends Error {}

/** The URL without its password, for logs and messages. */
export const redactRedisUrl = (url: string): string => url.replace(/\/\/[^@]*@/, '//***@');

/**
 * Start-up check: a node whose Redis is down would start with no subscriptions (the
 * adapter subscribes once, and a subscription that never succeeded is not renewed on
 * reconnect), deaf to the other nodes without knowing it. So REDIS_URL must answer a
 * PING first, within `timeoutMs`.
 */
export async function assertRedisReachable(url: string, timeoutMs = 5_000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  // The socket's own error (ECONNREFUSED …) says more than connect()'s "Connection is closed".
  let cause: Error | undefined;
  client.on('error', (error: Error) => (cause ??= error));
  try {
    await client.connect();
    await client.ping();
  } catch (error) {
    throw new RedisUnreachable(
      `Cannot reach Redis at REDIS_URL (${redactRedisUrl(url)}: ${(cause ?? (error as Error)).message}); check that Redis runs and that the URL (host, port, password) is right, or unset REDIS_URL to run a single node.`,
    );
  } finally {
    client.disconnect();
  }
}

/**
 * Whether this node's Redis clients are connected, so that an outage is logged once per
 * node (when the first client loses its connection, and again when all are back) rather
 * than at every retry of every client.
 */
export class RedisLink {
  private readonly down = new Set<ClusterRedis>();
  private lostCommands = 0;

  constructor(private readonly logger: Logger) {}

  lost(client: ClusterRedis, error: Error): void {
    if (this.down.size === 0) {
      this.logger.error({
        message: 'lost the connection to Redis: messages to and from other nodes are lost, and new sessions refused, until it is back; retrying',
        error: String(error),
      });
    }
    this.down.add(client);
  }

  ready(client: ClusterRedis): void {
    if (!this.down.delete(client) || this.down.size > 0) return;
    this.logger.log({ message: 'Redis is back: messages to and from other nodes flow again', commandsLost: this.lostCommands });
    this.lostCommands = 0;
  }

  failed(error: Error): void {
    this.lostCommands++;
    // A command refused by a Redis that is up is not an outage, but it is not expected either.
    if (this.down.size === 0) this.logger.warn({ message: 'a Redis command failed', error: String(error) });
  }
}

/**
 * A Redis client for the Socket.IO adapter that survives Redis going away. ioredis
 * fails the commands it could not send after `maxRetriesPerRequest` reconnection
 * attempts, and the adapter publishes every broadcast without waiting for the result:
 * each failed publish was an unhandled rejection, and the first one ended the process,
 * so a Redis restart took every node down with it. Here every command's promise is
 * marked handled (callers that await it still see the failure) and the outage is
 * reported to the node's RedisLink; the node keeps serving its own clients,
 * cross-node messages are lost until Redis is back, and ioredis reconnects and renews
 * the subscriptions it holds by itself.
 *
 * `subscriber`: the adapter's subscribing client. Its SUBSCRIBEs wait for Redis however
 * long it takes (maxRetriesPerRequest null): one that failed would never be renewed,
 * and the node would stay deaf to the others. Publishes (the other client) give up
 * after three retries instead, so that an outage does not queue every broadcast.
 */
export class ClusterRedis extends Redis {
  private readonly link: RedisLink;

  constructor(url: string, link: RedisLink, role: 'publisher' | 'subscriber') {
    // disableClientInfo: ioredis would send CLIENT SETINFO on every connect, which Redis
    // before 7.2 refuses; harmless, but it read as a failing command at every reconnect.
    super(url, { maxRetriesPerRequest: role === 'subscriber' ? null : 3, disableClientInfo: true });
    this.link = link;
    this.on('error', (error: Error) => link.lost(this, error));
    this.on('ready', () => link.ready(this));
  }

  override sendCommand(...args: Parameters<Redis['sendCommand']>): ReturnType<Redis['sendCommand']> {
    const result = super.sendCommand(...args);
    // An arrow to a method, not a field: ioredis may send a command before the constructor's body runs.
    args[0].promise.catch((error: Error) => this.link?.failed(error));
    return result;
  }
}
