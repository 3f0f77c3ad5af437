import type { TierResult } from './run-bench';

const cell = (v: number | null | undefined, digits = 0) => (v === null || v === undefined ? '–' : v.toFixed(digits));

/** One Markdown table row per server and tier (pasted as is into docs/benchmarks.md). */
export function formatTable(tiers: TierResult[]): string {
  const header = [
    'server',
    'tier',
    'sent/s',
    'acked/s',
    'p50 ms',
    'p99 ms',
    'max ms',
    'ack p99 ms',
    'server CPU %',
    'CPU wait %',
    'server RSS MB',
    'pg CPU %',
    'persisted/sent',
    'errors',
    'disc.',
    'generator',
    'vs ceiling (acked/s, p99)',
  ];
  const repeated = tiers.some((t) => t.repeats);
  if (repeated) header.push('p99 of each run');
  const rows = tiers.map((t) => [
    t.server,
    t.label,
    cell(t.sentPerS),
    cell(t.ackedPerS),
    cell(t.latencyMs.p50, 1),
    cell(t.latencyMs.p99, 1),
    cell(t.latencyMs.max, 0),
    cell(t.ackMs.p99, 1),
    cell(t.serverCpuPct),
    cell(t.serverRunQueueWaitPct),
    cell(t.serverRssMb.max),
    t.postgres ? cell(t.postgres.backendsCpuPct) : '–',
    t.persisted ? `${t.persisted.events}/${t.persisted.sent}` : '–',
    String(t.errors.total),
    String(t.disconnects),
    t.aborted ? 'aborted' : t.generator.saturated ? 'SATURATED' : t.generator.jitter.length ? `jitter (${cell(t.generator.cpuPct)}%)` : `ok (${cell(t.generator.cpuPct)}%)`,
    t.vsCeiling ? `${cell(t.vsCeiling.ackedPerS, 2)}×, ${cell(t.vsCeiling.p99, 1)}×` : '',
    ...(repeated ? [(t.repeats?.p99 ?? [t.latencyMs.p99]).map((v) => cell(v, 0)).join(' / ')] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
