/**
 * The positions a client has sent and not yet seen acknowledged, in `seq` order. They
 * are what a resumed session resends: the server says in `welcome.resume.lastSeq` which
 * of them it recorded, the rest go again with the same `seq`, so nothing is lost and
 * (with a server that deduplicates) nothing is recorded twice.
 */

export interface OutgoingPosition {
  x: number;
  y: number;
  z?: number;
  heading?: number;
  seq: number;
}

export class SendBuffer {
  private readonly waiting: OutgoingPosition[] = [];
  private lastSeq: number;

  /**
   * `firstSeq`: the seq of the first position (seqs must increase within a client session).
   * `pending`: positions an earlier holder of the client session left unacknowledged (a
   * reloaded page), kept to be sent first; new seqs continue above them.
   */
  constructor(
    private readonly maxWaiting: number,
    firstSeq = 1,
    pending: readonly OutgoingPosition[] = [],
  ) {
    this.waiting.push(...[...pending].sort((a, b) => a.seq - b.seq).slice(-maxWaiting));
    this.lastSeq = Math.max(firstSeq - 1, ...this.waiting.map((p) => p.seq));
  }

  /**
   * Numbers `position` with the next seq and keeps it until it is acknowledged. When the
   * buffer is full, the oldest waiting position is dropped and returned.
   */
  add(position: Omit<OutgoingPosition, 'seq'>): { entry: OutgoingPosition; dropped: OutgoingPosition | null } {
    const entry = { ...position, seq: ++this.lastSeq };
    this.waiting.push(entry);
    const dropped = this.waiting.length > this.maxWaiting ? this.waiting.shift()! : null;
    return { entry, dropped };
  }

  /** The position with `seq` was answered (recorded, a duplicate, or refused for good). */
  settle(seq: number): void {
    const at = this.waiting.findIndex((p) => p.seq === seq);
    if (at >= 0) this.waiting.splice(at, 1);
  }

  /**
   * A session (re)started. `lastSeq` is the server's `welcome.resume.lastSeq`: everything
   * up to it is recorded and dropped; `null` = none recorded, `undefined` = the server
   * does not resume (everything waiting is resent). Returns what to send again, in order.
   * The next seq continues above both, so seqs keep increasing.
   */
  resume(lastSeq: number | null | undefined): OutgoingPosition[] {
    if (typeof lastSeq === 'number') {
      while (this.waiting.length > 0 && this.waiting[0].seq <= lastSeq) this.waiting.shift();
      if (lastSeq > this.lastSeq) this.lastSeq = lastSeq;
    }
    return [...this.waiting];
  }

  /** The seq the next position gets. */
  get nextSeq(): number {
    return this.lastSeq + 1;
  }

  get size(): number {
    return this.waiting.length;
  }

  /** The positions waiting, oldest first. */
  pending(): readonly OutgoingPosition[] {
    return this.waiting;
  }
}
