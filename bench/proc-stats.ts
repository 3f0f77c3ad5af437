import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Readers of Linux /proc: CPU ticks and resident memory of process trees, and TCP sockets. */

let clockTicks: number | null = null;

/** Jiffies per second (USER_HZ), usually 100. */
export function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime, in jiffies; threads included. */
  cpuTicks: number;
}

export function readStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // comm may contain spaces and parentheses: the fields after it start at the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { pid, comm, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]) };
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

/** The process and all its descendants. */
export function processTree(rootPid: number): number[] {
  const children = new Map<number, number[]>();
  for (const pid of allPids()) {
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const stack = [rootPid];
  while (stack.length) {
    const pid = stack.pop()!;
    tree.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return tree;
}

export function pidsByName(comm: string): number[] {
  return allPids().filter((pid) => readStat(pid)?.comm === comm);
}

/** Sum of utime + stime of the pids still alive, in jiffies. */
export function cpuTicks(pids: number[]): Map<number, number> {
  const ticks = new Map<number, number>();
  for (const pid of pids) {
    const stat = readStat(pid);
    if (stat) ticks.set(pid, stat.cpuTicks);
  }
  return ticks;
}

/** CPU used between two readings of the same pids, in % of one core; a pid gone by the end counts for nothing. */
export function cpuPercent(before: Map<number, number>, after: Map<number, number>, seconds: number): number {
  let used = 0;
  for (const [pid, end] of after) {
    const start = before.get(pid);
    if (start !== undefined) used += end - start;
  }
  return round1((used / ticksPerSecond() / seconds) * 100);
}

export function rssBytes(pid: number): number {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export function treeRssBytes(rootPid: number): number {
  return processTree(rootPid).reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** Whole machine: busy and total jiffies from the first line of /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  const idle = fields[3] + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

export interface TcpSocket {
  localPort: number;
  remotePort: number;
  state: string;
  /** Bytes in the kernel send queue (tx_queue). */
  txQueue: number;
  /** Bytes in the kernel receive queue (rx_queue). */
  rxQueue: number;
  inode: number;
}

const TCP_STATES: Record<string, string> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

export function tcpSockets(): TcpSocket[] {
  const sockets: TcpSocket[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let lines: string[];
    try {
      lines = readFileSync(file, 'utf8').split('\n').slice(1);
    } catch {
      continue;
    }
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      const [tx, rx] = f[4].split(':').map((h) => parseInt(h, 16));
      sockets.push({
        localPort: parseInt(f[1].split(':').pop()!, 16),
        remotePort: parseInt(f[2].split(':').pop()!, 16),
        state: TCP_STATES[f[3]] ?? f[3],
        txQueue: tx,
        rxQueue: rx,
        inode: Number(f[9]),
      });
    }
  }
  return sockets;
}

/** Socket inodes a process holds open. */
export function socketInodes(pid: number): Set<number> {
  const inodes = new Set<number>();
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(Number(match[1]));
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Local ports of a process's TCP connections to `remotePort` (e.g. its PostgreSQL pool). */
export function localPortsTo(pid: number, remotePort: number): number[] {
  const inodes = socketInodes(pid);
  return tcpSockets()
    .filter((s) => s.remotePort === remotePort && inodes.has(s.inode))
    .map((s) => s.localPort);
}

export const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * Time the threads of these processes spent running and waiting for a CPU (ns, from
 * /proc/<pid>/task/<tid>/schedstat). Waiting is what a shared machine costs a server:
 * a high share means its numbers are limited by neighbours, not by its own code.
 */
export function schedNs(pids: number[]): Map<string, { run: number; wait: number }> {
  const times = new Map<string, { run: number; wait: number }>();
  for (const pid of pids) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(' ').map(Number);
        times.set(`${pid}/${tid}`, { run, wait });
      } catch {
        // thread ended
      }
    }
  }
  return times;
}

/** Run-queue wait between two readings, in % of one core (100 = one thread always waiting). */
export function waitPercent(before: Map<string, { wait: number }>, after: Map<string, { wait: number }>, seconds: number): number {
  let waited = 0;
  for (const [task, end] of after) {
    const start = before.get(task);
    if (start) waited += end.wait - start.wait;
  }
  return round1((waited / 1e9 / seconds) * 100);
}
