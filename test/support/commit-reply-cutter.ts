import { createServer, Server, Socket, connect as connectTcp } from 'node:net';

/** What happens to the next append's commit once armed. */
export type CommitCut =
  /** PostgreSQL receives the COMMIT and carries it out; its answer never reaches the server. */
  | 'lose-reply'
  /** The COMMIT never reaches PostgreSQL; the connection closes, so the transaction rolls back. */
  | 'lose-commit';

/**
 * A TCP relay between the server and a real PostgreSQL that, when armed, cuts the
 * connection of the next commit of an append: the failure a dropped network or a
 * restarting database causes at the worst moment, placed exactly. Everything else
 * passes through unchanged.
 *
 * It reads just enough of the wire protocol to find that moment: the messages the
 * client sends (a type byte and a length, after the untyped startup message) and
 * the backend's ReadyForQuery, whose status byte says whether a transaction is open.
 * An append's commit is a simple-query COMMIT on a connection that sent the append
 * statement in its transaction (a batch gathered in parts), or the Sync of an
 * autocommitted append (a whole batch in one statement).
 */
export class CommitReplyCutter {
  private server: Server | null = null;
  private armed: { cut: CommitCut; done: () => void } | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly target: { host: string; port: number },
    /** Text that marks the append statement in a Parse or Bind message (its SQL or its prepared name). */
    private readonly marker: Buffer,
  ) {}

  /** Starts relaying to the PostgreSQL of `databaseUrl`; use `url` in its place. */
  static async start(databaseUrl: string, marker = 'waypoint_append_'): Promise<CommitReplyCutter & { url: string }> {
    const target = new URL(databaseUrl);
    const cutter = new CommitReplyCutter({ host: target.hostname, port: Number(target.port || 5432) }, Buffer.from(marker));
    const server = createServer((client) => cutter.relay(client));
    cutter.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return Object.assign(cutter, { url: url.toString() });
  }

  /** Cuts the next append's commit as `cut` says; resolves once it has. */
  cutNextCommit(cut: CommitCut): Promise<void> {
    return new Promise((done) => (this.armed = { cut, done }));
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  private relay(client: Socket): void {
    const backend = connectTcp(this.target.port, this.target.host);
    for (const socket of [client, backend]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      // A cut connection errors on the other side; that is the point, not a failure of the relay.
      socket.on('error', () => undefined);
    }
    client.on('close', () => backend.destroy());
    backend.on('close', () => client.destroy());

    let sentAppend = false;
    let inTransaction = false;
    /** Armed and reached: the backend's answers are swallowed until its next ReadyForQuery, then both sides are cut. */
    let cutting: (() => void) | null = null;
    const cutBoth = (done: () => void): void => {
      client.destroy();
      backend.destroy();
      done();
    };

    const fromClient = frames(true, (type, frame) => {
      if ((type === 'P' || type === 'B' || type === 'Q') && frame.includes(this.marker)) sentAppend = true;
      const commit = (type === 'Q' && frame.subarray(5, 11).toString() === 'COMMIT') || (type === 'S' && !inTransaction);
      if (commit && sentAppend && this.armed && !cutting) {
        const { cut, done } = this.armed;
        this.armed = null;
        if (cut === 'lose-commit') return cutBoth(done);
        cutting = () => cutBoth(done);
      }
      if (commit) sentAppend = false;
      backend.write(frame);
    });
    const fromBackend = frames(false, (type, frame) => {
      if (type === 'Z') inTransaction = frame[5] !== 'I'.charCodeAt(0);
      if (!cutting) return void client.write(frame);
      if (type === 'Z') cutting();
    });
    client.on('data', fromClient);
    backend.on('data', fromBackend);
  }
}

/**
 * Splits a PostgreSQL protocol byte stream into whole messages: a type byte and an
 * Int32 length counting itself. A client's first message (startup) has no type byte.
 */
function frames(fromClient: boolean, onFrame: (type: string, frame: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let startup = fromClient;
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    for (;;) {
      if (startup) {
        if (pending.length < 4) return;
        const length = pending.readInt32BE(0);
        if (pending.length < length) return;
        onFrame('', pending.subarray(0, length));
        pending = pending.subarray(length);
        startup = false;
        continue;
      }
      if (pending.length < 5) return;
      const length = 1 + pending.readInt32BE(1);
      if (pending.length < length) return;
      onFrame(String.fromCharCode(pending[0]), pending.subarray(0, length));
      pending = pending.subarray(length);
    }
  };
}
