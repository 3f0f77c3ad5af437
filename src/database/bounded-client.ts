import { Client, ClientConfig } from 'pg';

/** A query of this server's got no answer from the database within its deadline. */
export class DatabaseTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`the database did not answer within ${timeoutMs} ms`);
  }
}

export interface BoundedClientConfig extends ClientConfig {
  /** Deadline of every query on this connection (a query's own `query_timeout` wins). */
  query_timeout?: number;
}

/**
 * A node-postgres client whose queries all have a deadline, and that destroys its own
 * connection when one passes. node-postgres' own query_timeout only rejects the late
 * query: the connection stays checked in, with that query still at the head of its
 * queue, so every later query on it waits behind an answer that may never come (a
 * database host that crashed, or a middlebox that dropped the connection's state, leaves
 * it open and silent). Destroying the socket fails everything queued on it at once and
 * makes the pool (and TypeORM's query runner) drop the connection, so the next query
 * opens a new one. Streams (cursors, COPY) are left to their own consumers.
 */
export class BoundedClient extends Client {
  private readonly defaultTimeoutMs: number;

  constructor(config: BoundedClientConfig) {
    super(config);
    this.defaultTimeoutMs = config.query_timeout ?? 0;
  }

  // node-postgres' overloads are many; this forwards them all and adds the deadline.
  query(...args: any[]): any {
    const [first] = args;
    if (first && typeof first.submit === 'function') return (super.query as any)(...args);
    const timeoutMs: number = (first && typeof first === 'object' && first.query_timeout) || this.defaultTimeoutMs;
    if (!timeoutMs) return (super.query as any)(...args);
    const timer = setTimeout(() => this.abandon(timeoutMs), timeoutMs + 50);
    const callback = typeof args[args.length - 1] === 'function' ? args.pop() : undefined;
    if (callback) {
      return (super.query as any)(...args, (error: unknown, result: unknown) => {
        clearTimeout(timer);
        callback(error, result);
      });
    }
    const pending: Promise<unknown> = (super.query as any)(...args);
    return pending.finally(() => clearTimeout(timer));
  }

  /**
   * node-postgres' own timer (query_timeout, set on the pool) has just failed the late
   * query; close the connection under it so nothing else waits on it.
   */
  private abandon(timeoutMs: number): void {
    const stream = (this as unknown as { connection?: { stream?: { destroy(error?: Error): void } } }).connection?.stream;
    stream?.destroy(new DatabaseTimeout(timeoutMs));
  }
}
