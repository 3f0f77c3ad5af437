import { AddressInfo, connect as tcpConnect, createServer, Server, Socket } from 'node:net';

/** A TCP proxy in front of the server whose link the test can cut: open connections die, new ones are refused. */
export class CuttableLink {
  private readonly open = new Set<Socket>();
  private blocked = false;
  private server!: Server;
  url = '';

  constructor(private readonly target: number) {}

  async start(): Promise<this> {
    this.server = createServer((client) => {
      if (this.blocked) return client.destroy();
      const upstream = tcpConnect(this.target, '127.0.0.1');
      for (const [a, b] of [[client, upstream], [upstream, client]] as const) {
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
        this.open.add(a);
        a.on('close', () => this.open.delete(a));
      }
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** Cuts every connection and refuses new ones for `ms`. */
  cut(ms: number): void {
    this.blocked = true;
    for (const s of this.open) s.destroy();
    setTimeout(() => (this.blocked = false), ms);
  }

  close(): Promise<void> {
    for (const s of this.open) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}
