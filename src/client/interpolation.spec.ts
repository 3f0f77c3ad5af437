import { shortestTurn, SnapshotInterpolator } from './interpolation.mjs';

const T = 1_765_000_000_000;
const at = (t: number, x: number, heading = 0) => ({ x, y: -x, z: 0, heading, t });

describe('SnapshotInterpolator', () => {
  it('draws a player one delay behind the newest news, between the two positions around that moment', () => {
    const view = new SnapshotInterpolator({ delayMs: 50 });
    // Server time T arrives at local time 10 ms later: the offset is learnt as 10 ms.
    view.push('p', at(T, 0), T + 10);
    view.push('p', at(T + 50, 10), T + 60);
    view.push('p', at(T + 100, 20), T + 110);
    // At local T + 110 the drawn server time is T + 110 - 10 - 50 = T + 50.
    expect(view.poseAt('p', T + 110)).toEqual({ x: 10, y: -10, z: 0, heading: 0 });
    expect(view.poseAt('p', T + 135)).toEqual({ x: 15, y: -15, z: 0, heading: 0 });
    expect(view.poseAt('p', T + 120)!.x).toBeCloseTo(12);
  });

  it('moves smoothly between ticks instead of jumping at each one', () => {
    const view = new SnapshotInterpolator({ delayMs: 50 });
    for (let k = 0; k <= 10; k++) view.push('p', at(T + 50 * k, 5 * k), T + 50 * k);
    const xs = Array.from({ length: 20 }, (_, i) => view.poseAt('p', T + 100 + i * 10)!.x);
    const steps = xs.slice(1).map((x, i) => x - xs[i]);
    for (const step of steps) expect(step).toBeCloseTo(1); // 5 units per 50 ms, drawn every 10 ms
  });

  it('draws far enough behind that positions arriving with jitter are in before they are needed', () => {
    const view = new SnapshotInterpolator({ delayMs: 50 });
    const lag = (k: number) => (k % 3 === 0 ? 45 : 10); // every third position comes 35 ms late
    let stalls = 0;
    for (let k = 0; k < 200; k++) {
      view.push('p', at(T + 50 * k, 5 * k), T + 50 * k + lag(k));
      if (k < 40) continue; // learning the lag
      // Every frame until the next position arrives: is the drawn time still before the newest one?
      for (let now = T + 50 * k + lag(k); now < T + 50 * (k + 1) + lag(k + 1); now += 5) if (view.renderTime(now)! > T + 50 * k) stalls++;
    }
    expect(stalls).toBe(0);
  });

  it('holds the newest position rather than overshooting, and the oldest before it', () => {
    const view = new SnapshotInterpolator({ delayMs: 50 });
    view.push('p', at(T, 0), T);
    view.push('p', at(T + 50, 10), T + 50);
    expect(view.poseAt('p', T + 5_000)!.x).toBe(10);
    expect(view.poseAt('p', T - 5_000)!.x).toBe(0);
    expect(view.poseAt('nobody', T)).toBeNull();
  });

  it('turns the short way round across ±π', () => {
    expect(shortestTurn(3, -3)).toBeCloseTo(2 * Math.PI - 6);
    const view = new SnapshotInterpolator({ delayMs: 0 });
    view.push('p', at(T, 0, 3), T);
    view.push('p', at(T + 100, 0, -3), T + 100);
    expect(view.poseAt('p', T + 50)!.heading).toBeCloseTo(3 + (2 * Math.PI - 6) / 2);
  });

  it('ignores a position older than the newest and forgets players who left', () => {
    const view = new SnapshotInterpolator({ delayMs: 0 });
    view.push('p', at(T + 100, 10), T + 100);
    view.push('p', at(T, 99), T + 101);
    expect(view.poseAt('p', T + 200)!.x).toBe(10);
    view.forget('p');
    expect(view.posesAt(T + 200).size).toBe(0);
  });

  it('drops samples older than keepMs behind the drawn time', () => {
    const view = new SnapshotInterpolator({ delayMs: 0, keepMs: 100 });
    for (let k = 0; k <= 100; k++) view.push('p', at(T + 10 * k, k), T + 10 * k);
    expect((view as any).samples.get('p').length).toBeLessThanOrEqual(12);
  });
});
