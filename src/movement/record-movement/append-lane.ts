/**
 * One queue of movements with at most one batch in flight, and at most one batch begun
 * per window: a movement after a quiet spell is appended at once; what arrives within
 * the window after a batch began, or while it is being committed, joins the next one,
 * which begins when the window is over (at once if that commit took longer). Batches
 * grow with load instead of commits piling up; with the window as long as the broadcast
 * interval (the default) there is one commit per broadcast, each broadcast following its
 * commit at once.
 */
export class AppendLane<Item> {
  queue: Item[] = [];
  inFlight: Item[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** When the pending timer fires (epoch ms). */
  private timerDue = 0;
  private flushing: Promise<void> | null = null;
  private lastBegunAt = 0;

  constructor(
    private readonly windowMs: number,
    private readonly maxEvents: number,
    private readonly append: (batch: Item[]) => Promise<void>,
    private readonly afterFlush: () => void,
  ) {}

  push(item: Item): void {
    this.queue.push(item);
    this.flushSoon(this.untilNextBatch());
  }

  /** A batch is being appended; what is queued waits for the next one. */
  get busy(): boolean {
    return this.inFlight.length > 0;
  }

  /** How long until the next batch may begin: at once when one is full, else a window after the last began (at once after a quiet spell). */
  untilNextBatch(): number {
    if (this.queue.length >= this.maxEvents) return 0;
    return Math.max(0, this.lastBegunAt + this.windowMs - Date.now());
  }

  /**
   * Schedules the next batch, keeping a pending timer that fires no later than asked.
   * Replacing it on every arrival instead turned "at once" into "after the first pause of
   * a millisecond": under load positions arrive closer than that, and batches began up to
   * hundreds of milliseconds after their window was over (docs/benchmarks.md).
   */
  private flushSoon(delayMs: number): void {
    if (this.flushing) return; // the running flush picks the queue up when it ends
    const due = Date.now() + delayMs;
    if (this.timer) {
      if (this.timerDue <= due) return;
      clearTimeout(this.timer);
    }
    this.timerDue = due;
    this.timer = setTimeout(() => void this.flush(), delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    const batch = this.queue.splice(0, this.maxEvents);
    if (batch.length === 0) return;
    this.lastBegunAt = Date.now();
    this.inFlight = batch;
    this.flushing = this.append(batch);
    await this.flushing;
    this.flushing = null;
    this.inFlight = [];
    this.afterFlush();
    if (this.queue.length > 0) this.flushSoon(this.untilNextBatch());
  }

  /** Commits everything queued, for shutdown. */
  async drain(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    while (this.flushing || this.queue.length > 0) {
      if (this.flushing) await this.flushing;
      else await this.flush();
    }
  }
}
