/** A histogram as prom-client holds it: cumulative counts per upper bound (`le`), the last one +Inf. */
export interface Buckets {
  le: number[];
  counts: number[];
  sum: number;
  count: number;
}

/** p50 and p99 of what a histogram saw in a window; null when it saw nothing. */
export interface Quantiles {
  p50: number | null;
  p99: number | null;
}

/** What `later` saw since `earlier` (two readings of one histogram, bucket for bucket). */
export function bucketsBetween(earlier: Buckets | null, later: Buckets): Buckets {
  if (!earlier) return later;
  return {
    le: later.le,
    counts: later.counts.map((c, i) => Math.max(0, c - (earlier.counts[i] ?? 0))),
    sum: Math.max(0, later.sum - earlier.sum),
    count: Math.max(0, later.count - earlier.count),
  };
}

/**
 * The q-quantile of cumulative buckets, interpolated linearly inside the bucket it falls
 * in, as Prometheus' histogram_quantile does: bucket bounds are all a histogram keeps, so
 * this is an estimate within one bucket. In the +Inf bucket the answer is the highest
 * finite bound.
 */
export function quantile(q: number, buckets: Buckets): number | null {
  const total = buckets.counts[buckets.counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < buckets.counts.length; i++) {
    if (buckets.counts[i] < rank) continue;
    const upper = buckets.le[i];
    const lower = i === 0 ? 0 : buckets.le[i - 1];
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : buckets.counts[i - 1];
    const inBucket = buckets.counts[i] - below;
    return inBucket <= 0 ? upper : lower + (upper - lower) * ((rank - below) / inBucket);
  }
  return buckets.le[buckets.le.length - 2] ?? null;
}

export function quantiles(buckets: Buckets): Quantiles {
  return { p50: quantile(0.5, buckets), p99: quantile(0.99, buckets) };
}

/** Per-second rates of counters between two readings `seconds` apart (labels seen only later count from 0). */
export function ratesBetween(earlier: Record<string, number> | null, later: Record<string, number>, seconds: number): Record<string, number> {
  const rates: Record<string, number> = {};
  for (const [key, value] of Object.entries(later)) {
    rates[key] = seconds > 0 ? Math.max(0, value - (earlier?.[key] ?? 0)) / seconds : 0;
  }
  return rates;
}
