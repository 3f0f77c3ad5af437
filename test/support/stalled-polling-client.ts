/**
 * A minimal engine.io v4 long-polling client that reads only when told to, like a
 * stalled game client: the server's writes to it queue up between two polls.
 */
export class StalledPollingClient {
  private sid = '';
  constructor(private readonly base: string) {}

  private url(): string {
    return `${this.base}/socket.io/?EIO=4&transport=polling${this.sid ? `&sid=${this.sid}` : ''}`;
  }

  /** Opens the connection with these handshake `auth` fields, and reads the namespace connect and the welcome. */
  async open(auth: Record<string, unknown>): Promise<void> {
    const handshake = await (await fetch(this.url())).text();
    this.sid = JSON.parse(handshake.slice(1)).sid;
    await fetch(this.url(), { method: 'POST', body: `40${JSON.stringify(auth)}` });
    await this.packets();
  }

  /** One long-poll: the engine.io packets it carried, as text. */
  async packets(): Promise<string[]> {
    return (await (await fetch(this.url())).text()).split('\x1e');
  }

  /** One long-poll: the JSON Socket.IO events it carried, as [name, data]. */
  async events(): Promise<[string, any][]> {
    return (await this.packets()).filter((p) => p.startsWith('42')).map((p) => JSON.parse(p.slice(2)));
  }

  async close(): Promise<void> {
    await fetch(this.url(), { method: 'POST', body: '1' }).catch(() => undefined);
  }
}
