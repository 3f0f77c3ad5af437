import { createServer, Server, Socket, connect as connectTcp } from 'node:net';

/**
 * A TCP relay the test controls, between a client and a real server (the server and
 * PostgreSQL, or a game client and the server), for the network failures a test cannot
 * get from the real parts on demand:
 *
 * - `silence()`: the far side goes silent without closing anything, as after a host
 *   crash or a middlebox losing the connection's state. Connections open now stop
 *   forwarding for good; new ones are accepted and forward nothing until `heal()`.
 * - `cut()`: every open connection is closed at once, as when a network drops.
 *
 * Everything else passes through unchanged.
 */
export class TcpRelay {
  private server: Server | null = null;
  private silent = false;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket; dead: boolean }>();
  private constructor(private readonly target: { host: string; port: number }) {}

  /** Relays 127.0.0.1:<port> to `target`; `port` is where to connect instead. */
  static async start(target: { host: string; port: number }): Promise<TcpRelay & { port: number }> {
    const relay = new TcpRelay(target);
    const server = createServer((client) => relay.accept(client));
    relay.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return Object.assign(relay, { port: (server.address() as { port: number }).port });
  }

  /** A database URL with its host and port replaced by this relay's. */
  static urlThrough(url: string, port: number): string {
    const through = new URL(url);
    through.hostname = '127.0.0.1';
    through.port = String(port);
    return through.toString();
  }

  silence(): void {
    this.silent = true;
    for (const pair of this.pairs) {
      if (!pair.dead) this.caught++;
      pair.dead = true;
    }
  }

  heal(): void {
    this.silent = false;
  }

  cut(): void {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    this.pairs.clear();
  }

  /** Connections a silence caught, open then or opened during it: they forward nothing. */
  caught = 0;

  get isSilent(): boolean {
    return this.silent;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private accept(client: Socket): void {
    const upstream = connectTcp(this.target.port, this.target.host);
    const pair = { client, upstream, dead: this.silent };
    if (pair.dead) this.caught++;
    this.pairs.add(pair);
    const end = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end);
    client.on('close', end);
    // A silent far side says nothing, not even that it closed.
    const upstreamEnded = () => (pair.dead ? upstream.destroy() : end());
    upstream.on('error', upstreamEnded);
    upstream.on('close', upstreamEnded);
    // A dead pair swallows what it gets, and never closes by itself: silence, not failure.
    client.on('data', (chunk) => void (pair.dead || upstream.write(chunk)));
    upstream.on('data', (chunk) => void (pair.dead || client.write(chunk)));
  }
}
