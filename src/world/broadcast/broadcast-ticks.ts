/**
 * The broadcast clock of the protocol's "at most once per broadcast tick": time is cut
 * into ticks of `intervalMs` (consecutive slots of the wall clock), and at most one
 * `players:moved` goes out per tick. A recorded batch that finds its tick without a
 * broadcast goes out at once; otherwise it waits for the next tick to begin.
 *
 * Why slots of a fixed clock, not "an interval after the last broadcast": commits end
 * about one batch window apart, with jitter. Measured from the last broadcast, every
 * commit that ended a little early had to wait, that wait pushed the next broadcast's
 * earliest time back as well, and the lag never caught up: under load a broadcast
 * waited 11 ms at the median after its commit (docs/performance.md, "Fixed broadcast
 * slots"). Fixed slots keep the rate (one per tick) without carrying one broadcast's
 * delay into the next.
 */
export class BroadcastTicks {
  private lastTick = Number.NEGATIVE_INFINITY;

  constructor(private readonly intervalMs: number) {
    if (!(intervalMs > 0)) throw new Error('a broadcast tick needs a positive interval');
  }

  /** Milliseconds until a broadcast may go out at `now` (epoch ms): 0 when its tick has had none. */
  wait(now: number): number {
    const tick = Math.floor(now / this.intervalMs);
    return tick > this.lastTick ? 0 : (tick + 1) * this.intervalMs - now;
  }

  /** A broadcast went out at `now`. */
  sent(now: number): void {
    this.lastTick = Math.floor(now / this.intervalMs);
  }
}
