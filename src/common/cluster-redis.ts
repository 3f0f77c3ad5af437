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
      `Cannot reach Redis at REDIS_URL (${redactRedisUrl(url)}: ${(cause ?? (error as Error)).message}); start Redis, or unset REDIS_URL to run a single node.`,
    );
  } finally {
    client.disconnect();
  }
}

/**
 * A Redis client for the Socket.IO adapter that survives Redis going away. ioredis
 * fails the commands it could not send after `maxRetriesPerRequest` reconnection
 * attempts, and the adapter publishes every broadcast without waiting for the result:
 * each failed publish was an unhandled rejection, and the first one ended the process,
 * so a Redis restart took every node down with it. Here every command's promise is
 * marked handled (callers that await it still see the failure) and the outage is
 * logged once; the node keeps serving its own clients, cross-node messages are lost
 * until Redis is back, and ioredis reconnects and renews the subscriptions by itself.
 */
export class ClusterRedis extends Redis {
  private down = false;
  private lostCommands = 0;
  private readonly log: Logger;

  constructor(url: string, logger: Logger, options: RedisOptions = {}) {
    // disableClientInfo: ioredis would send CLIENT SETINFO on every connect, which Redis
    // before 7.2 refuses; harmless, but it read as a failing command at every reconnect.
    super(url, { maxRetriesPerRequest: 3, disableClientInfo: true, ...options });
    this.log = logger;
    // Logged once per outage: ioredis retries every few hundred milliseconds, each retry an 'error'.
    this.on('error', (error: Error) => {
      if (this.down) return;
      this.down = true;
      logger.error({ message: 'lost the connection to Redis: messages to and from other nodes are lost until it is back; retrying', error: String(error) });
    });
    this.on('ready', () => {
      if (this.down) logger.log({ message: 'Redis is back: messages to and from other nodes flow again', commandsLost: this.lostCommands });
      this.down = false;
      this.lostCommands = 0;
    });
  }

  override sendCommand(...args: Parameters<Redis['sendCommand']>): ReturnType<Redis['sendCommand']> {
    const result = super.sendCommand(...args);
    // (An arrow to a method, not a field: ioredis may send a command before the constructor's body runs.)
    args[0].promise.catch((error: Error) => this.noteFailedCommand(error));
    return result;
  }

  private noteFailedCommand(error: Error): void {
    this.lostCommands++;
    // A command refused by a Redis that is up is not an outage, but it is not expected either.
    if (!this.down) this.log?.warn({ message: 'a Redis command failed', error: String(error) });
  }
}
