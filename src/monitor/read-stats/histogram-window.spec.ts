import { Buckets, bucketsBetween, quantile, quantiles, ratesBetween } from './histogram-window';

const le = [0.001, 0.01, 0.1, Infinity];
const buckets = (counts: number[], sum = 0): Buckets => ({ le, counts, sum, count: counts[counts.length - 1] });

describe('histogram windows', () => {
  it('gives nothing for a histogram that saw nothing', () => {
    expect(quantiles(buckets([0, 0, 0, 0]))).toEqual({ p50: null, p99: null });
  });

  it('interpolates inside the bucket the rank falls in', () => {
    // 10 observations, all between 1 ms and 10 ms: the median is halfway through that bucket.
    expect(quantile(0.5, buckets([0, 10, 10, 10]))).toBeCloseTo(0.0055, 6);
    // 100 observations: 90 under 1 ms, 10 between 10 and 100 ms; p99 is 90% into the last finite bucket.
    expect(quantile(0.99, buckets([90, 90, 100, 100]))).toBeCloseTo(0.01 + 0.09 * 0.9, 6);
    expect(quantile(0.5, buckets([90, 90, 100, 100]))).toBeCloseTo(0.001 * (50 / 90), 6);
  });

  it('answers the highest finite bound for ranks in the +Inf bucket', () => {
    expect(quantile(0.99, buckets([0, 0, 1, 10]))).toBe(0.1);
  });

  it('reads only what was observed between two readings', () => {
    const earlier = buckets([5, 5, 5, 5], 0.002);
    const later = buckets([5, 5, 9, 9], 0.202);
    expect(bucketsBetween(earlier, later)).toEqual({ le, counts: [0, 0, 4, 4], sum: 0.2, count: 4 });
    expect(quantile(0.5, bucketsBetween(earlier, later))).toBeCloseTo(0.055, 6);
  });

  it('turns counters into per-second rates, a label new in the later reading counting from zero', () => {
    expect(ratesBetween({ accepted: 10 }, { accepted: 30, too_fast: 4 }, 2)).toEqual({ accepted: 10, too_fast: 2 });
    expect(ratesBetween(null, { accepted: 30 }, 0)).toEqual({ accepted: 0 });
  });
});
