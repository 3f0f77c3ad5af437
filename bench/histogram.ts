/**
 * A latency histogram with fixed 0.1 ms bins up to 10 s (one overflow bin beyond),
 * so worker threads can each fill one and the runner merges them by adding counts.
 */
export const BIN_MS = 0.1;
export const BINS = 100_000;

export interface HistogramData {
  counts: Uint32Array;
  n: number;
  sum: number;
  max: number;
}

export interface Percentiles {
  n: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

export class Histogram implements HistogramData {
  counts = new Uint32Array(BINS + 1);
  n = 0;
  sum = 0;
  max = 0;

  record(ms: number): void {
    const value = ms > 0 ? ms : 0;
    this.counts[Math.min(BINS, Math.floor(value / BIN_MS))]++;
    this.n++;
    this.sum += value;
    if (value > this.max) this.max = value;
  }

  merge(other: HistogramData): this {
    for (let i = 0; i <= BINS; i++) this.counts[i] += other.counts[i];
    this.n += other.n;
    this.sum += other.sum;
    if (other.max > this.max) this.max = other.max;
    return this;
  }

  /** Upper edge of the bin holding the p-th percentile (the max for the overflow bin). */
  percentile(p: number): number | null {
    if (this.n === 0) return null;
    const rank = Math.ceil((p / 100) * this.n);
    let seen = 0;
    for (let i = 0; i < BINS; i++) {
      seen += this.counts[i];
      if (seen >= rank) return Math.min(this.max, (i + 1) * BIN_MS);
    }
    return this.max;
  }

  summary(): Percentiles {
    const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);
    return {
      n: this.n,
      mean: this.n ? round(this.sum / this.n) : null,
      p50: round(this.percentile(50)),
      p90: round(this.percentile(90)),
      p99: round(this.percentile(99)),
      max: this.n ? round(this.max) : null,
    };
  }

  static from(data: HistogramData): Histogram {
    return new Histogram().merge(data);
  }
}
