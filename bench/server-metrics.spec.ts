import { parseHistograms, quantile, stageBudget } from './server-metrics';

const exposition = (decided: number[], committed: number[], ack: number[]) => {
  const le = ['0.001', '0.01', '0.1', '+Inf'];
  const lines = ['# HELP waypoint_position_stage_seconds write path latency by stage', '# TYPE waypoint_position_stage_seconds histogram'];
  le.forEach((l, i) => lines.push(`waypoint_position_stage_seconds_bucket{le="${l}",stage="decided"} ${decided[i]}`));
  lines.push(`waypoint_position_stage_seconds_sum{stage="decided"} 1`, `waypoint_position_stage_seconds_count{stage="decided"} ${decided[3]}`);
  le.forEach((l, i) => lines.push(`waypoint_position_stage_seconds_bucket{stage="new_stage",le="${l}"} ${committed[i]}`));
  le.forEach((l, i) => lines.push(`waypoint_position_ack_seconds_bucket{le="${l}"} ${ack[i]}`));
  lines.push('process_cpu_seconds_total 12.5');
  return lines.join('\n') + '\n';
};

describe('the per-stage budget from /metrics', () => {
  it('interpolates a quantile inside its bucket, and stops at the last finite bound in +Inf', () => {
    const b = { le: [0.001, 0.01, 0.1, Infinity], counts: [0, 50, 100, 100] };
    expect(quantile(b, 0.5)).toBeCloseTo(0.01);
    expect(quantile(b, 0.25)).toBeCloseTo(0.0055);
    expect(quantile(b, 0.99)).toBeCloseTo(0.0982);
    expect(quantile({ le: [0.1, Infinity], counts: [0, 10] }, 0.5)).toBe(0.1);
    expect(quantile({ le: [0.1, Infinity], counts: [0, 0] }, 0.5)).toBeNull();
  });

  it('reads only the window: the after scrape minus the before one, stages in route order', () => {
    const before = parseHistograms(exposition([0, 10, 10, 10], [0, 0, 0, 0], [0, 0, 10, 10]));
    const after = parseHistograms(exposition([0, 10, 110, 110], [5, 5, 5, 5], [0, 0, 110, 110]));
    const budget = stageBudget(before, after)!;
    // 100 new samples, all in (0.01, 0.1]: p50 at the middle of that bucket.
    expect(budget.stages[0]).toEqual({ stage: 'received_decided', n: 100, p50Ms: 55, p99Ms: 99.1 });
    // A stage label the list does not know is still reported, after the known ones.
    expect(budget.stages[1]).toEqual({ stage: 'new_stage', n: 5, p50Ms: 0.5, p99Ms: 1 });
    expect(budget.ack).toEqual({ n: 100, p50Ms: 55, p99Ms: 99.1 });
  });

  it('says there is no budget when the server exposes none of the histograms', () => {
    expect(stageBudget(new Map(), parseHistograms('process_cpu_seconds_total 1\n'))).toBeNull();
  });
});
