/**
 * Snapshot interpolation of other players: positions arrive once per broadcast tick, and
 * drawing each as it comes makes players jump every tick. Instead a player is drawn a
 * little in the past (about one tick behind the newest news), between the two received
 * positions around that moment, so they glide.
 *
 * Times are the server's `t` (ms since the epoch, when the movement was recorded). How
 * long after `t` a position arrives (the clock difference plus commit, broadcast tick and
 * network) is learnt from arrivals, as a smoothed mean plus twice the smoothed deviation
 * (as TCP estimates its retransmission timeout): late enough that the positions around
 * the drawn moment have almost always arrived, so a player does not stall and then jump.
 */

export interface Pose {
  x: number;
  y: number;
  z: number;
  heading: number;
}

export interface Sample extends Pose {
  /** Server time the position was recorded, ms since the epoch. */
  t: number;
}

export interface InterpolationOptions {
  /** How far behind the newest news players are drawn, in ms: about one broadcast tick. Default 50. */
  delayMs?: number;
  /** Samples older than this (behind the drawn time) are dropped, in ms. Default 1000. */
  keepMs?: number;
}

/** Weight of each new sample in the smoothed lag and its deviation: slow, so one late frame does not shift everyone. */
const LAG_GAIN = 0.05;

export class SnapshotInterpolator<Key = string> {
  private readonly delayMs: number;
  private readonly keepMs: number;
  private readonly samples = new Map<Key, Sample[]>();
  private lagMean: number | null = null;
  private lagDeviation = 0;

  constructor(options: InterpolationOptions = {}) {
    this.delayMs = options.delayMs ?? 50;
    this.keepMs = options.keepMs ?? 1000;
  }

  /** A position of `key` received at `receivedAt` (this clock, ms). Older-than-newest samples are ignored. */
  push(key: Key, sample: Sample, receivedAt: number = Date.now()): void {
    const lag = receivedAt - sample.t;
    if (this.lagMean === null) this.lagMean = lag;
    else {
      this.lagDeviation += (Math.abs(lag - this.lagMean) - this.lagDeviation) * LAG_GAIN;
      this.lagMean += (lag - this.lagMean) * LAG_GAIN;
    }
    let list = this.samples.get(key);
    if (!list) this.samples.set(key, (list = []));
    const newest = list[list.length - 1];
    if (newest && sample.t < newest.t) return;
    if (newest && sample.t === newest.t) list[list.length - 1] = { ...sample };
    else list.push({ ...sample });
    const horizon = sample.t - this.delayMs - this.keepMs;
    while (list.length > 2 && list[1].t < horizon) list.shift();
  }

  /** Forget a player (they left). */
  forget(key: Key): void {
    this.samples.delete(key);
  }

  /** The server time drawn at `now` (this clock): the newest news minus the delay. */
  renderTime(now: number = Date.now()): number | null {
    return this.lagMean === null ? null : now - (this.lagMean + 2 * this.lagDeviation) - this.delayMs;
  }

  /**
   * Where `key` is drawn at `now`: between the two samples around the render time; before
   * the first, the first; past the newest, the newest (players stop rather than overshoot).
   */
  poseAt(key: Key, now: number = Date.now()): Pose | null {
    const list = this.samples.get(key);
    const at = this.renderTime(now);
    if (!list || list.length === 0 || at === null) return null;
    if (at <= list[0].t) return pose(list[0]);
    const last = list[list.length - 1];
    if (at >= last.t) return pose(last);
    let i = list.length - 2;
    while (i > 0 && list[i].t > at) i--;
    const a = list[i];
    const b = list[i + 1];
    const k = (at - a.t) / (b.t - a.t);
    return {
      x: a.x + (b.x - a.x) * k,
      y: a.y + (b.y - a.y) * k,
      z: a.z + (b.z - a.z) * k,
      heading: a.heading + shortestTurn(a.heading, b.heading) * k,
    };
  }

  /** Every known player's pose at `now`. */
  posesAt(now: number = Date.now()): Map<Key, Pose> {
    const poses = new Map<Key, Pose>();
    for (const key of this.samples.keys()) {
      const p = this.poseAt(key, now);
      if (p) poses.set(key, p);
    }
    return poses;
  }
}

const pose = ({ x, y, z, heading }: Sample): Pose => ({ x, y, z, heading });

/** The signed turn from heading `a` to `b` the short way round, in radians. */
export function shortestTurn(a: number, b: number): number {
  const full = 2 * Math.PI;
  let d = (b - a) % full;
  if (d > Math.PI) d -= full;
  if (d < -Math.PI) d += full;
  return d;
}
