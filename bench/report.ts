import type { TierResult } from './run-bench';

const cell = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '–' : v.toFixed(digits));

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function verdict(t: TierResult): string {
  if (t.aborted) return 'aborted';
  if (t.generator.limited) return 'generator-limited';
  return t.holds ? 'holds' : 'fails';
}

/** One Markdown row per server and tier: who was the limit, beside the latencies. */
export function formatTable(tiers: TierResult[]): string {
  const header = [
    'server',
    'tier',
    'verdict',
    'sent/s',
    'acked/s',
    'moved p99 ms',
    'ack p50 / p99 ms',
    'server CPU %',
    'CPU wait %',
    'server RSS MB',
    'pg CPU %',
    'persisted/sent',
    'errors',
    'disc.',
    'gen. CPU % (per worker)',
    'gen. lag p99 ms (per worker)',
    'vs ceiling (acked/s, p99)',
  ];
  const repeated = tiers.some((t) => t.repeats);
  if (repeated) header.push('p99 of each run');
  const rows = tiers.map((t) => [
    t.server,
    t.label,
    verdict(t),
    cell(t.sentPerS),
    cell(t.ackedPerS),
    cell(t.latencyMs.p99, 1),
    `${cell(t.ackMs.p50, 1)} / ${cell(t.ackMs.p99, 1)}`,
    cell(t.serverCpuPct),
    cell(t.serverRunQueueWaitPct),
    cell(t.serverRssMb.max),
    t.postgres ? cell(t.postgres.backendsCpuPct) : '–',
    t.persisted ? `${t.persisted.events}/${t.persisted.sent}` : '–',
    String(t.errors.total),
    String(t.disconnects),
    `${cell(t.generator.cpuPct)} (${t.generator.workerCpuPct.map((v) => cell(v)).join(' / ')})`,
    t.generator.workerLagP99Ms.map((v) => cell(v, 1)).join(' / '),
    t.vsCeiling ? `${cell(t.vsCeiling.ackedPerS, 2)}×, ${cell(t.vsCeiling.p99, 1)}×` : '',
    ...(repeated ? [(t.repeats?.p99 ?? [t.latencyMs.p99]).map((v) => cell(v, 0)).join(' / ')] : []),
  ]);
  return table(header, rows);
}

/** p50 / p99 per write-path stage for the tiers whose server exposed its histograms; '' when none did. */
export function formatBudgetTable(tiers: TierResult[]): string {
  const measured = tiers.filter((t) => t.budget);
  if (measured.length === 0) return '';
  const stages = [...new Set(measured.flatMap((t) => t.budget!.stages.map((s) => s.stage)))];
  const header = ['server', 'tier', ...stages.map((s) => `${s} p50 / p99 ms`), 'server ack p50 / p99 ms', 'generator ack p50 / p99 ms'];
  const rows = measured.map((t) => [
    t.server,
    t.label,
    ...stages.map((name) => {
      const s = t.budget!.stages.find((x) => x.stage === name);
      return s ? `${cell(s.p50Ms, 1)} / ${cell(s.p99Ms, 1)}` : '–';
    }),
    t.budget!.ack ? `${cell(t.budget!.ack.p50Ms, 1)} / ${cell(t.budget!.ack.p99Ms, 1)}` : '–',
    `${cell(t.ackMs.p50, 1)} / ${cell(t.ackMs.p99, 1)}`,
  ]);
  return table(header, rows);
}
