import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { join } from 'node:path';
import { LoopDelay } from './load-protocol';

export interface ServerSpec {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  /** Extra node flags, e.g. --cpu-prof. */
  nodeArgs?: string[];
  logFile: string;
}

export interface ProbeMemory {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

/**
 * A server under test as a child process: started with the probe preloaded, ready once
 * GET /health answers 200, stopped with SIGTERM (SIGKILL if it hangs).
 */
export class ServerProcess {
  /** Servers started and not yet exited, so an interrupted run can stop them. */
  static readonly running = new Set<ServerProcess>();
  private nextProbe = 1;
  private readonly waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private exited: Promise<number | null>;
  private exitCode: number | null | undefined = undefined;
  /** Lines the server wrote (its log level is warn: each is a warning or an error). */
  logLines = 0;

  private constructor(
    readonly spec: ServerSpec,
    readonly child: ChildProcess,
    private readonly log: WriteStream,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        this.exitCode = code;
        ServerProcess.running.delete(this);
        for (const pending of this.waiting.values()) pending.reject(new Error(`${spec.name} exited`));
        this.waiting.clear();
        resolve(code);
      }),
    );
    // A send on a closed IPC channel (the server died) is reported here; the exit handler rejects the waiters.
    child.on('error', () => undefined);
    child.on('message', (message: { probe?: number; result?: unknown; error?: string }) => {
      if (typeof message?.probe !== 'number') return;
      const pending = this.waiting.get(message.probe);
      if (!pending) return;
      this.waiting.delete(message.probe);
      if (message.error) pending.reject(new Error(message.error));
      else pending.resolve(message.result);
    });
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.on('data', (chunk: Buffer) => {
        this.log.write(chunk);
        for (const byte of chunk) if (byte === 10) this.logLines++;
      });
    }
  }

  get alive(): boolean {
    return this.exitCode === undefined;
  }

  /** Why the server is gone, e.g. "exited with code 134 (see …log)"; null while it runs. */
  get death(): string | null {
    return this.alive ? null : `${this.spec.name} exited with code ${this.exitCode} (see ${this.spec.logFile})`;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  static async start(spec: ServerSpec, readyTimeoutMs = 120_000): Promise<ServerProcess> {
    const probe = join(__dirname, 'server-probe.js');
    const child = spawn(process.execPath, ['--expose-gc', '-r', probe, ...(spec.nodeArgs ?? []), spec.script], {
      // Only what the server needs: a stray DATABASE_URL or REDIS_URL of the caller must not leak in.
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...(process.env.NODE_PATH ? { NODE_PATH: process.env.NODE_PATH } : {}), ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const server = new ServerProcess(spec, child, createWriteStream(spec.logFile, { flags: 'a' }));
    ServerProcess.running.add(server);
    await server.waitReady(readyTimeoutMs);
    return server;
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exitCode !== undefined) throw new Error(`${this.spec.name} exited with code ${this.exitCode} before it was ready; see ${this.spec.logFile}`);
      try {
        const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(2000) });
        if (res.status === 200) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.stop();
    throw new Error(`${this.spec.name} was not ready within ${timeoutMs / 1000} s; see ${this.spec.logFile}`);
  }

  private probe<T>(request: Record<string, unknown>, timeoutMs = 60_000): Promise<T> {
    const probe = this.nextProbe++;
    if (!this.alive) return Promise.reject(new Error(this.death!));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(probe);
        reject(new Error(`probe ${String(request.type)} timed out`));
      }, timeoutMs);
      this.waiting.set(probe, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.child.send({ probe, ...request });
    });
  }

  memory(gc: boolean): Promise<ProbeMemory> {
    return this.probe({ type: 'memory', gc });
  }

  loopReset(): Promise<void> {
    return this.probe({ type: 'loop-reset' });
  }

  loopDelay(): Promise<LoopDelay> {
    return this.probe({ type: 'loop' });
  }

  profileStart(): Promise<void> {
    return this.probe({ type: 'profile-start' });
  }

  profileStop(file: string): Promise<string> {
    return this.probe({ type: 'profile-stop', file }, 120_000);
  }

  heapStart(): Promise<void> {
    return this.probe({ type: 'heap-start' });
  }

  heapStop(file: string): Promise<string> {
    return this.probe({ type: 'heap-stop', file }, 120_000);
  }

  async stop(timeoutMs = 30_000): Promise<number | null> {
    if (this.exitCode === undefined) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    await new Promise<void>((r) => this.log.end(r));
    return this.exitCode ?? null;
  }
}
