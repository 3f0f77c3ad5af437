import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * A port free when asked, for programs that cannot be told to pick their own (redis-server).
 * Waypoint's own processes listen on port 0 and report where: nothing can take their port
 * between asking and binding.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Sends `signal` to a child process and resolves once it has exited. */
export function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** A Redis of the test's own on `port`, to stop, pause or start again (no persistence). */
export function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout.on('data', () => {
      if (!out.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited with ${code}:\n${out}`)));
    child.on('error', (error) => reject(new Error(`cannot run redis-server (${error.message}); .ci/run expects the machine's Redis package`)));
  });
}
