import type { AppendTransaction } from '../../event-store';
import type { AppendLane } from './append-lane';

/** What the lane's next batch finds already appended when its window ends. */
export interface Gathered {
  /** The open transaction; null when opening it failed. */
  tx: AppendTransaction | null;
  /** The batch's first `count` items are appended into `tx`. */
  count: number;
  /** Stream versions assigned so far in this transaction (the next parts continue them). */
  versions: Map<string, number>;
  /** A part or the BEGIN failed: roll back, and append the whole batch another way. */
  failed: boolean;
}

/** One transaction being gathered: what its parts appended, and how that went. */
interface Gathering {
  tx: Promise<AppendTransaction | null> | null;
  count: number;
  versions: Map<string, number>;
  failed: boolean;
  /** The part being appended, if any. */
  part: Promise<void> | null;
}

const fresh = (): Gathering => ({ tx: null, count: 0, versions: new Map(), failed: false, part: null });

/**
 * Appends a lane's queued movements into an open transaction while the lane's batch
 * window is still gathering them, at most every `partIntervalMs`. When the window ends
 * the batch only appends what came since the last part and commits: the inserts, index
 * updates and projection writes of a batch no longer stand between the window's end and
 * its acknowledgements and broadcast (a commit of 400 movements took ~18 ms, all of it on
 * every movement's latency; docs/benchmarks.md).
 *
 * Parts are appended one at a time, in queue order, and only while no batch of the lane
 * is being committed, so transactions still commit one after another in recorded order.
 * A part is not begun when the batch is due within half an interval: the batch takes
 * those movements itself, and a lone movement after a quiet spell still goes in one
 * statement.
 */
export class GatheringTransaction<Item> {
  private current = fresh();
  private lastPartAt = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly lane: AppendLane<Item>,
    private readonly partIntervalMs: number,
    private readonly maxEvents: number,
    private readonly begin: () => Promise<AppendTransaction | null>,
    /** Appends `items` into `tx`, assigning versions after those in `versions` (and recording them there). */
    private readonly appendPart: (tx: AppendTransaction, items: Item[], versions: Map<string, number>) => Promise<void>,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** Appends what is queued and not yet appended, now or when the interval allows. Call after each push and each commit. */
  soon(): void {
    const g = this.current;
    if (g.failed || g.part || this.timer || this.lane.busy) return;
    if (Math.min(this.lane.queue.length, this.maxEvents) <= g.count) return;
    if (this.lane.untilNextBatch() <= this.partIntervalMs / 2) return;
    const wait = this.lastPartAt + this.partIntervalMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.soon();
      }, wait);
      return;
    }
    this.appendNextPart(g);
  }

  private appendNextPart(g: Gathering): void {
    const items = this.lane.queue.slice(g.count, Math.min(this.lane.queue.length, this.maxEvents));
    g.count += items.length;
    this.lastPartAt = Date.now();
    g.part = (async () => {
      try {
        g.tx ??= this.begin();
        const tx = await g.tx;
        if (!tx) throw new Error('no transaction could be opened');
        await this.appendPart(tx, items, g.versions);
      } catch (error) {
        g.failed = true;
        this.onFailure(error);
      }
    })();
    void g.part.then(() => {
      g.part = null;
      if (g === this.current) this.soon();
    });
  }

  /**
   * Hands the open transaction over to the batch that the lane just took from its queue
   * (its first `count` items are those appended), once the part in flight is done, and
   * starts afresh for the next batch. null when nothing was appended.
   */
  async take(): Promise<Gathered | null> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const g = this.current;
    this.current = fresh();
    if (!g.tx) return null;
    await g.part;
    const tx = await g.tx.catch(() => null);
    return { tx, count: g.count, versions: g.versions, failed: g.failed || tx === null };
  }
}
