import { BroadcastTicks } from './broadcast-ticks';

/** Broadcasts as the broadcaster makes them: each batch goes out at its commit end plus the wait. */
function broadcastTimes(ticks: BroadcastTicks, commitEnds: number[]): number[] {
  const sentAt: number[] = [];
  for (const end of commitEnds) {
    // A batch that must wait joins the one timer already pending (one broadcast carries both).
    if (sentAt.length > 0 && sentAt[sentAt.length - 1] > end) continue;
    const at = end + ticks.wait(end);
    ticks.sent(at);
    sentAt.push(at);
  }
  return sentAt;
}

describe('BroadcastTicks', () => {
  const interval = 50;
  const epoch = 1_000_000; // a multiple of the interval: tick k is [epoch + 50k, epoch + 50k + 50)

  it('lets the first broadcast of a tick out at once and holds a second one until the next tick begins', () => {
    const ticks = new BroadcastTicks(interval);
    expect(ticks.wait(epoch + 10)).toBe(0);
    ticks.sent(epoch + 10);
    expect(ticks.wait(epoch + 30)).toBe(20);
    expect(ticks.wait(epoch + 49)).toBe(1);
    expect(ticks.wait(epoch + 50)).toBe(0);
  });

  it('does not make a commit that ended early in its tick wait for a full interval after the last broadcast', () => {
    // Commits about one interval apart, each ending anywhere in its own tick. Counting an
    // interval from the last broadcast made each early one wait, and carried that wait on.
    const jitter = [30, 5, 20, 0, 45, 10, 35, 1, 25, 49];
    const commitEnds = jitter.map((j, k) => epoch + k * interval + j);
    const sentAt = broadcastTimes(new BroadcastTicks(interval), commitEnds);
    expect(sentAt).toEqual(commitEnds);
  });

  it('never carries one broadcast’s wait into the next tick', () => {
    const ticks = new BroadcastTicks(interval);
    // Two commits in tick 0: the second waits for tick 1 to begin, then goes out.
    const [, second] = broadcastTimes(ticks, [epoch + 5, epoch + 40]);
    expect(second).toBe(epoch + 50);
    // A commit early in tick 2, only 52 ms after that delayed broadcast, is not held back.
    expect(ticks.wait(epoch + 102)).toBe(0);
  });

  it('sends at most one broadcast per tick however often commits end', () => {
    const commitEnds = Array.from({ length: 300 }, (_, i) => epoch + 3 + i * 7); // every 7 ms for 2.1 s
    const sentAt = broadcastTimes(new BroadcastTicks(interval), commitEnds);
    const perTick = new Map<number, number>();
    for (const at of sentAt) perTick.set(Math.floor(at / interval), (perTick.get(Math.floor(at / interval)) ?? 0) + 1);
    expect(Math.max(...perTick.values())).toBe(1);
    expect(sentAt.length).toBeGreaterThanOrEqual(40); // one in nearly every tick of the 2.1 s
    expect(sentAt.length).toBeLessThanOrEqual(Math.ceil((300 * 7) / interval) + 1);
  });

  it('refuses an interval of 0 (one emit per movement has no ticks)', () => {
    expect(() => new BroadcastTicks(0)).toThrow(/positive interval/);
  });
});
