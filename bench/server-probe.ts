import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * Preloaded into a server under test (`node --expose-gc -r server-probe.js ...`) by the
 * benchmark runner, which talks to it over the IPC channel: memory after a forced GC,
 * event-loop delay, and a CPU profile of exactly the measured window. The server's
 * own code is untouched.
 */

type ProbeRequest =
  | { probe: number; type: 'memory'; gc: boolean }
  | { probe: number; type: 'loop-reset' }
  | { probe: number; type: 'loop' }
  | { probe: number; type: 'profile-start' }
  | { probe: number; type: 'profile-stop'; file: string }
  | { probe: number; type: 'heap-start' }
  | { probe: number; type: 'heap-stop'; file: string };

if (process.send) {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let session: Session | null = null;
  let heapSession: Session | null = null;

  const post = (method: string, params?: object, on: Session | null = session) =>
    new Promise<any>((resolve, reject) => on!.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result))));

  const handle = async (request: ProbeRequest): Promise<unknown> => {
    switch (request.type) {
      case 'memory': {
        const gc = (globalThis as { gc?: () => void }).gc;
        if (request.gc && gc) {
          gc();
          await new Promise((r) => setImmediate(r));
          gc();
        }
        return process.memoryUsage();
      }
      case 'loop-reset':
        loop.reset();
        return true;
      case 'loop':
        return { p50: loop.percentile(50) / 1e6, p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 };
      case 'profile-start':
        session = new Session();
        session.connect();
        await post('Profiler.enable');
        await post('Profiler.start');
        return true;
      case 'profile-stop': {
        const { profile } = await post('Profiler.stop');
        session!.disconnect();
        session = null;
        writeFileSync(request.file, JSON.stringify(profile));
        return request.file;
      }
      case 'heap-start':
        // Every allocation, also what the GC already collected: allocation rate, not retention.
        heapSession = new Session();
        heapSession.connect();
        await post('HeapProfiler.enable', {}, heapSession);
        await post(
          'HeapProfiler.startSampling',
          { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true },
          heapSession,
        );
        return true;
      case 'heap-stop': {
        const { profile } = await post('HeapProfiler.stopSampling', {}, heapSession);
        heapSession!.disconnect();
        heapSession = null;
        writeFileSync(request.file, JSON.stringify(profile));
        return request.file;
      }
    }
  };

  process.on('message', (message: ProbeRequest) => {
    if (typeof message?.probe !== 'number') return;
    handle(message).then(
      (result) => process.send!({ probe: message.probe, result }),
      (error) => process.send!({ probe: message.probe, error: String(error) }),
    );
  });
  // The channel must not keep a server alive that would otherwise exit.
  process.channel?.unref();
}
