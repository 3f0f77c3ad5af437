/**
 * The server's own latency budget, read from its Prometheus histograms at GET /metrics:
 * scraped before and after a tier's measured window, the difference of the cumulative
 * buckets is that window's distribution, and p50/p99 are interpolated inside buckets
 * (as PromQL's histogram_quantile does).
 */

/** The write path's stages in route order: the only place the benchmark names them. */
export const POSITION_STAGES: { stage: string; aliases: string[] }[] = [
  { stage: 'received_decided', aliases: ['decided'] },
  { stage: 'decided_appended', aliases: ['appended'] },
  { stage: 'appended_committed', aliases: ['committed'] },
  { stage: 'committed_acked', aliases: ['acked'] },
  { stage: 'committed_emitted', aliases: ['emitted'] },
];
export const STAGE_HISTOGRAM = 'waypoint_position_stage_seconds';
export const STAGE_LABEL = 'stage';
export const ACK_HISTOGRAM = 'waypoint_position_ack_seconds';

/** Cumulative bucket counts of one histogram series: upper bound (s, Infinity last) → count. */
export interface Buckets {
  le: number[];
  counts: number[];
}

/** Histogram series by metric name, then by their labels other than `le` (`stage="x"`, or '' without labels). */
export type Scrape = Map<string, Map<string, Buckets>>;

export interface Quantiles {
  n: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)_bucket(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The `_bucket` series of every histogram in a Prometheus text exposition. */
export function parseHistograms(text: string): Scrape {
  const scrape: Scrape = new Map();
  for (const line of text.split('\n')) {
    const m = SAMPLE.exec(line);
    if (!m) continue;
    const [, name, labelText = '', value] = m;
    let le: number | null = null;
    const others: string[] = [];
    for (const [, key, v] of labelText.matchAll(LABEL)) {
      if (key === 'le') le = v === '+Inf' ? Infinity : Number(v);
      else others.push(`${key}="${v}"`);
    }
    if (le === null || Number.isNaN(le)) continue;
    const series = others.sort().join(',');
    let byName = scrape.get(name);
    if (!byName) scrape.set(name, (byName = new Map()));
    let buckets = byName.get(series);
    if (!buckets) byName.set(series, (buckets = { le: [], counts: [] }));
    buckets.le.push(le);
    buckets.counts.push(Number(value));
  }
  for (const byName of scrape.values()) {
    for (const b of byName.values()) {
      const order = b.le.map((_, i) => i).sort((x, y) => b.le[x] - b.le[y]);
      b.le = order.map((i) => b.le[i]);
      b.counts = order.map((i) => b.counts[i]);
    }
  }
  return scrape;
}

/** after − before, bucket by bucket (a series absent before counts from zero). */
export function delta(before: Buckets | undefined, after: Buckets): Buckets {
  const counts = after.counts.map((c, i) => {
    const j = before ? before.le.indexOf(after.le[i]) : -1;
    return c - (j >= 0 ? before!.counts[j] : 0);
  });
  return { le: after.le, counts };
}

/**
 * The q-quantile (0..1) in seconds by linear interpolation inside its bucket, from 0 for the
 * first bucket; in the +Inf bucket, the largest finite bound (all that is known). Null when empty.
 */
export function quantile(b: Buckets, q: number): number | null {
  const total = b.counts[b.counts.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < b.le.length; i++) {
    if (b.counts[i] < rank) continue;
    if (b.le[i] === Infinity) return i > 0 ? b.le[i - 1] : null;
    const lower = i > 0 ? b.le[i - 1] : 0;
    const below = i > 0 ? b.counts[i - 1] : 0;
    const inBucket = b.counts[i] - below;
    return inBucket > 0 ? lower + (b.le[i] - lower) * ((rank - below) / inBucket) : b.le[i];
  }
  return null;
}

function summarize(b: Buckets): Quantiles {
  const ms = (s: number | null) => (s === null ? null : Math.round(s * 10_000) / 10);
  return { n: b.counts[b.counts.length - 1] ?? 0, p50Ms: ms(quantile(b, 0.5)), p99Ms: ms(quantile(b, 0.99)) };
}

export interface StageBudget {
  /** Per stage in route order (the names of POSITION_STAGES; a label the list does not know comes after, as is). */
  stages: { stage: string; n: number; p50Ms: number | null; p99Ms: number | null }[];
  ack: Quantiles | null;
}

/** The window's per-stage budget from two scrapes, or null when the server exposes none of it. */
export function stageBudget(before: Scrape, after: Scrape): StageBudget | null {
  const stageSeries = after.get(STAGE_HISTOGRAM);
  const ackSeries = after.get(ACK_HISTOGRAM)?.get('');
  if (!stageSeries && !ackSeries) return null;
  const budget: StageBudget = { stages: [], ack: ackSeries ? summarize(delta(before.get(ACK_HISTOGRAM)?.get(''), ackSeries)) : null };
  const found = new Map<string, Buckets>();
  for (const [series, buckets] of stageSeries ?? []) {
    const label = new RegExp(`(?:^|,)${STAGE_LABEL}="([^"]*)"`).exec(series)?.[1];
    if (label !== undefined) found.set(label, delta(before.get(STAGE_HISTOGRAM)?.get(series), buckets));
  }
  for (const { stage, aliases } of POSITION_STAGES) {
    const name = [stage, ...aliases].find((n) => found.has(n));
    if (name === undefined) continue;
    budget.stages.push({ stage, ...summarize(found.get(name)!) });
    found.delete(name);
  }
  for (const [label, buckets] of found) budget.stages.push({ stage: label, ...summarize(buckets) });
  return budget;
}

/** GET /metrics, parsed; null when the server has no such endpoint or does not answer. */
export async function scrapeMetrics(baseUrl: string): Promise<Scrape | null> {
  try {
    const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return null;
    return parseHistograms(await res.text());
  } catch {
    return null;
  }
}
