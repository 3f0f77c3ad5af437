import { readFileSync } from 'node:fs';

/**
 * Self time of a V8 .cpuprofile (from `node --cpu-prof` or the benchmark's --profile),
 * or bytes allocated in a sampling .heapprofile (the benchmark's --heap-profile),
 * aggregated by function and by where the code lives (our src/, a package, node itself).
 *
 *   node dist-bench/bench/profile-summary.js /tmp/prof/CPU.*.cpuprofile [--top 30]
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  name: string;
  where: string;
  ms: number;
  percent: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time the thread did no JavaScript work: (idle) and (program) are reported separately. */
  idleMs: number;
  functions: SelfTime[];
  byOrigin: SelfTime[];
}

/** "src/movement/…", "socket.io", "node:internal", "(garbage collector)", … */
export function origin(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (path.startsWith('node:')) return path.split('/')[0].replace(/^node:internal.*/, 'node:internal');
  const src = path.search(/\/(src|test)\//);
  if (src >= 0) return path.slice(src + 1).split('/').slice(0, 2).join('/');
  return path;
}

function shortWhere(url: string, line: number): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  const short = modules >= 0 ? path.slice(modules + '/node_modules/'.length) : path.replace(/^.*?\/((src|test)\/)/, '$1');
  return short ? `${short}:${line + 1}` : '';
}

export function summarizeProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // Each sample's time is the delta to the next sample.
    for (let i = 0; i < profile.samples.length; i++) {
      const next = profile.timeDeltas[i + 1] ?? 0;
      selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + Math.max(0, next));
    }
  } else {
    const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0));
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const origins = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const { callFrame } = byId.get(id)!;
    const name = callFrame.functionName || '(anonymous)';
    if (name === '(idle)') idleUs += us;
    const where = shortWhere(callFrame.url, callFrame.lineNumber);
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const o = origin(callFrame.url, name);
    origins.set(o, (origins.get(o) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / Math.max(1, totalUs)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  return {
    totalMs: ms(totalUs),
    idleMs: ms(idleUs),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, ms: ms(f.us), percent: pct(f.us) })),
    byOrigin: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([where, us]) => ({ name: where, where, ms: ms(us), percent: pct(us) })),
  };
}

interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children?: HeapNode[];
}

export interface HeapProfile {
  head: HeapNode;
}

export interface AllocationSummary {
  totalMb: number;
  functions: { name: string; where: string; mb: number; percent: number }[];
  byOrigin: { name: string; mb: number; percent: number }[];
}

/** Bytes allocated per function, from a sampling heap profile that kept collected objects. */
export function summarizeHeapProfile(profile: HeapProfile, top = 25): AllocationSummary {
  const functions = new Map<string, { name: string; where: string; bytes: number }>();
  const origins = new Map<string, number>();
  let total = 0;
  const stack: HeapNode[] = [profile.head];
  while (stack.length) {
    const node = stack.pop()!;
    stack.push(...(node.children ?? []));
    if (!node.selfSize) continue;
    total += node.selfSize;
    const name = node.callFrame.functionName || '(anonymous)';
    const where = shortWhere(node.callFrame.url, node.callFrame.lineNumber);
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, bytes: 0 };
    entry.bytes += node.selfSize;
    functions.set(key, entry);
    const o = origin(node.callFrame.url, name);
    origins.set(o, (origins.get(o) ?? 0) + node.selfSize);
  }
  const mb = (b: number) => Math.round((b / 1024 / 1024) * 10) / 10;
  const pct = (b: number) => Math.round((b / Math.max(1, total)) * 1000) / 10;
  return {
    totalMb: mb(total),
    functions: [...functions.values()]
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, top)
      .map((f) => ({ name: f.name, where: f.where, mb: mb(f.bytes), percent: pct(f.bytes) })),
    byOrigin: [...origins.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, bytes]) => ({ name, mb: mb(bytes), percent: pct(bytes) })),
  };
}

export function formatHeapSummary(summary: AllocationSummary): string {
  const lines = [`${summary.totalMb} MB allocated (sampled)`, '', 'allocated by function:'];
  for (const f of summary.functions) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${String(f.mb).padStart(8)} MB  ${f.name}  ${f.where}`);
  lines.push('', 'allocated by origin:');
  for (const o of summary.byOrigin) lines.push(`  ${o.percent.toFixed(1).padStart(5)}%  ${String(o.mb).padStart(8)} MB  ${o.name}`);
  return lines.join('\n');
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const lines = [`total ${summary.totalMs} ms sampled, of which idle ${summary.idleMs} ms`, '', 'self time by function:'];
  for (const f of summary.functions) lines.push(`  ${f.percent.toFixed(1).padStart(5)}%  ${String(f.ms).padStart(8)} ms  ${f.name}  ${f.where}`);
  lines.push('', 'self time by origin:');
  for (const o of summary.byOrigin) lines.push(`  ${o.percent.toFixed(1).padStart(5)}%  ${String(o.ms).padStart(8)} ms  ${o.name}`);
  return lines.join('\n');
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args.splice(topAt, 2)[1]) : 30;
  if (args.length === 0) {
    console.error('usage: node dist-bench/bench/profile-summary.js <file.cpuprofile|file.heapprofile>... [--top N]');
    process.exit(2);
  }
  for (const file of args) {
    console.log(`== ${file}`);
    const profile = JSON.parse(readFileSync(file, 'utf8'));
    if ('head' in profile) console.log(formatHeapSummary(summarizeHeapProfile(profile as HeapProfile, top)));
    else console.log(formatProfileSummary(summarizeProfile(profile as CpuProfile, top)));
  }
}
