import 'reflect-metadata';
import { databaseCapabilities } from '../../src/database/database-capabilities';
import { Logger } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { startWaypoint } from '../../src/bootstrap';
import { createLogger } from '../../src/common/logger';
import { loadSettings } from '../../src/config/settings';
import { EventQueries } from '../../src/replay/history';
import { exportBatchSql, exportJoinSql, exportLineSql, jsonObjectSql, jsonPagePartSql, PAGE_SOURCE_COLUMNS } from '../../src/replay/history/export.sql';
import { latestOfStreamsAtSql, newestPerStreamBeforeSql, readAllRangeSql, readStreamRangeSql } from '../../src/replay/history/event-queries.sql';
import { PLAYER_MOVED } from '../../src/movement/position';
import { movementStreamId } from '../../src/players/player-streams';
import { EXPORT_BATCH_SIZE } from '../../src/replay/export-movements/export-movements.handler';
import { MOVEMENT_EXPORTS, MOVEMENT_JSON } from '../../src/replay/export-movements/export-format';
import { SNAPSHOT_POSITION, snapshotWindow } from '../../src/replay/world-snapshot/world-snapshot.handler';
import { driverPool } from '../../src/database/data-source';
import { TRAJECTORY_PARTS } from '../../src/replay/player-trajectory/player-trajectory.sql';
import { HEATMAP_ALL_PLAYERS } from '../../src/replay/world-heatmap/world-heatmap.sql';
import { VISITS_NEAR_POINT } from '../../src/replay/world-visits/world-visits.sql';
import { ChangeRole } from '../../src/roles/change-role/change-role.command';
import { median, parseArgs } from './args';

/**
 * Replay benchmarks against a seeded database (see seed-history.ts), through real HTTP
 * on a server started in this process:
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test DATABASE_SCHEMA=bench_replay \
 *     npm run bench:replay -- [--runs 15] [--export-runs 3] [--explain]
 *
 * - snapshot: GET /world/snapshot at a random instant of the history (its pages are
 *   usually not cached yet), and the same instant asked twice (the second time);
 * - page: GET /movements?from=<random instant>&limit=10000 (10,000 events across players),
 *   then the same continued with after=<its nextCursor>; and one player's whole history;
 * - export: GET /movements with Accept: application/x-ndjson over the whole history,
 *   counted line by line as it arrives (events/s), by a client on a worker thread;
 * - analytics: GET /world/heatmap (cell 1000), GET /world/visits (radius 1000 around a
 *   player's last position) over a random hour, and GET /players/:id/trajectory over 24
 *   hours (the longest range allowed by default), each against the SQL behind it run
 *   directly on the same range (the ratio of the medians).
 * Each figure is the median of --runs runs after one warm-up. --explain prints
 * EXPLAIN (ANALYZE, BUFFERS) of the SQL behind each.
 */
const OPTIONS = { runs: 'number', 'export-runs': 'number', 'export-format': 'string', only: 'string', explain: 'boolean', help: 'boolean' } as const;

/** The groups of figures, for --only (e.g. `--only snapshot,page` while working on those). */
const GROUPS = ['snapshot', 'page', 'history', 'export', 'analytics'] as const;

const ANALYST = { username: 'bench_replay_analyst', password: 'bench-replay-password' };

interface Timed {
  ms: number;
  bytes: number;
  status: number;
  body: string;
}

/**
 * The HTTP client runs on a worker thread, as a real client is not on the server's event
 * loop: reading a 2 MB body in this thread would be counted as the server's time.
 */
class HttpClientThread {
  private readonly worker = new Worker(
    `
    const { parentPort } = require('node:worker_threads');
    parentPort.on('message', async ({ id, url, token, accept }) => {
      try {
        const t0 = performance.now();
        const res = await fetch(url, { headers: { authorization: 'Bearer ' + token, accept } });
        const body = await res.text();
        parentPort.postMessage({ id, ms: performance.now() - t0, bytes: body.length, status: res.status, body });
      } catch (error) {
        parentPort.postMessage({ id, error: String(error) });
      }
    });`,
    { eval: true },
  );
  private readonly waiting = new Map<number, { resolve(t: Timed): void; reject(e: Error): void }>();
  private nextId = 0;

  constructor() {
    this.worker.on('message', (m: Timed & { id: number; error?: string }) => {
      const pending = this.waiting.get(m.id)!;
      this.waiting.delete(m.id);
      if (m.error !== undefined) pending.reject(new Error(m.error));
      else pending.resolve({ ms: m.ms, bytes: m.bytes, status: m.status, body: m.body });
    });
  }

  get(url: string, token: string, accept = 'application/json'): Promise<Timed> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, url, token, accept });
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    console.log(`usage: bench-replay [--runs 15] [--export-runs 3] [--export-format ndjson|csv] [--only ${GROUPS.join(',')}] [--explain]`);
    return;
  }
  const runs = Math.max(1, Math.floor(Number(args.runs ?? 15)));
  const exportRuns = Math.floor(Number(args['export-runs'] ?? 3));
  const exportAccept = args['export-format'] === 'csv' ? 'text/csv' : 'application/x-ndjson';
  const only = args.only === undefined ? [...GROUPS] : String(args.only).split(',');
  const unknownGroup = only.find((g) => !(GROUPS as readonly string[]).includes(g));
  if (unknownGroup !== undefined) throw new Error(`--only: unknown group "${unknownGroup}"; known: ${GROUPS.join(', ')}`);
  const wanted = (group: (typeof GROUPS)[number]) => only.includes(group);

  const settings = loadSettings({ PORT: '0', LOG_LEVEL: 'warn', JWT_SECRET: 'bench-replay-secret-long-enough', AUTH_THROTTLE_PER_ADDRESS: '0', ...process.env }, []);
  Logger.overrideLogger(createLogger(settings));
  if (!settings.databaseUrl) throw new Error('set DATABASE_URL (and DATABASE_SCHEMA=bench_replay) to the seeded database');
  const server = await startWaypoint(settings);
  const client = new HttpClientThread();
  const timedGet = (url: string, token: string) => client.get(url, token);
  const base = server.url;
  const ds = server.database.dataSource;
  try {
    // An analyst to read with (made once, through the same use case as the CLI).
    const register = await fetch(`${base}/auth/register`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ANALYST) });
    if (register.status !== 201 && register.status !== 409) throw new Error(`register: ${register.status}`);
    await server.app.get(CommandBus).execute(new ChangeRole(ANALYST.username, 'grant', 'analyst', 'cli'));
    const login = await (await fetch(`${base}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ANALYST) })).json();
    const token: string = login.accessToken;

    const queries = new EventQueries(ds, databaseCapabilities(false));
    const [first] = await queries.readRange({ type: PLAYER_MOVED, streamIds: null, from: null, to: null, after: null }, 1);
    const [{ last, players, events }] = await ds.query(
      `SELECT max(recorded_at) AS last, count(*)::int AS players, (SELECT reltuples::bigint FROM pg_class WHERE oid = 'events'::regclass) AS events FROM last_positions`,
    );
    if (!first) throw new Error(`no movements in schema ${settings.databaseSchema}: run seed-history first`);
    const start = new Date(first.recordedAt).getTime();
    const end = new Date(last).getTime();
    const randomInstant = () => new Date(start + Math.random() * (end - start)).toISOString();
    // Far enough from the end that two full pages of 10,000 follow.
    const pageStart = () => new Date(start + Math.random() * 0.95 * (end - start)).toISOString();
    const somePlayer: string = (await ds.query(`SELECT player_id::text AS id FROM last_positions ORDER BY random() LIMIT 1`))[0].id;
    console.log(
      `schema ${settings.databaseSchema}: ~${Number(events).toLocaleString('en')} events, ${players.toLocaleString('en')} players with positions, ` +
        `history ${new Date(start).toISOString()} … ${new Date(end).toISOString()}; ${runs} runs each`,
    );

    // Wall time per request; this process's CPU time per request (the server and the client
    // thread): it moves far less than wall time when the machine is shared; and how long
    // the server's event loop (the thread that also serves the game) was busy per request.
    const measure = async (name: string, run: () => Promise<Timed>, check: (t: Timed) => string) => {
      const warm = await run();
      if (warm.status !== 200) throw new Error(`${name}: HTTP ${warm.status} ${warm.body.slice(0, 200)}`);
      const times: number[] = [];
      const cpus: number[] = [];
      const loops: number[] = [];
      let note = '';
      for (let i = 0; i < runs; i++) {
        const cpu0 = process.cpuUsage();
        const elu0 = performance.eventLoopUtilization();
        const t = await run();
        const cpu = process.cpuUsage(cpu0);
        loops.push(performance.eventLoopUtilization(elu0).active);
        if (t.status !== 200) throw new Error(`${name}: HTTP ${t.status} ${t.body.slice(0, 200)}`);
        times.push(t.ms);
        cpus.push((cpu.user + cpu.system) / 1000);
        note = check(t);
      }
      const sorted = [...times].sort((a, b) => a - b);
      console.log(
        `${name.padEnd(44)} median ${median(times).toFixed(1).padStart(7)} ms   min ${sorted[0].toFixed(1).padStart(7)}   max ${sorted[sorted.length - 1].toFixed(1).padStart(7)}` +
          `   node cpu ${median(cpus).toFixed(1).padStart(5)} ms   server loop ${median(loops).toFixed(1).padStart(5)} ms   ${note}`,
      );
      return median(times);
    };

    const results: Record<string, number> = {};
    if (wanted('snapshot')) {
      results.snapshotMs = await measure(
        'world snapshot at a random instant',
        () => timedGet(`${base}/world/snapshot?at=${randomInstant()}`, token),
        (t) => `${JSON.parse(t.body).players.length} players`,
      );
      results.snapshotCachedMs = await measure(
        'world snapshot, same instant again (cached)',
        async () => {
          const at = randomInstant();
          await timedGet(`${base}/world/snapshot?at=${at}`, token);
          return timedGet(`${base}/world/snapshot?at=${at}`, token);
        },
        (t) => `${JSON.parse(t.body).players.length} players`,
      );
    }
    if (wanted('page')) {
      results.pageMs = await measure(
        'page of 10,000 movements (from=random)',
        () => timedGet(`${base}/movements?from=${pageStart()}&limit=10000`, token),
        (t) => `${JSON.parse(t.body).items.length} items, ${(t.bytes / 1e6).toFixed(1)} MB`,
      );
      results.cursorPageMs = await measure(
        'next page of 10,000 (after=nextCursor)',
        async () => {
          const firstPage = JSON.parse((await timedGet(`${base}/movements?from=${pageStart()}&limit=10000`, token)).body);
          return timedGet(`${base}/movements?from=${new Date(start).toISOString()}&after=${firstPage.nextCursor}&limit=10000`, token);
        },
        (t) => `${JSON.parse(t.body).items.length} items`,
      );
    }
    if (wanted('history')) {
      results.playerHistoryMs = await measure(
        "one player's whole history (limit=10000)",
        async () => {
          const [{ id }] = await ds.query(`SELECT player_id::text AS id FROM last_positions ORDER BY random() LIMIT 1`);
          return timedGet(`${base}/players/${id}/movements?limit=10000`, token);
        },
        (t) => `${JSON.parse(t.body).items.length} items`,
      );
    }

    if (wanted('analytics')) {
      const pool = driverPool(ds)!;
      const [{ x, y }] = await ds.query(`SELECT x, y FROM last_positions WHERE player_id = $1`, [somePlayer]);
      const randomRange = (hours: number): [string, string] => {
        const from = start + Math.random() * Math.max(0, end - start - hours * 3_600_000);
        return [new Date(from).toISOString(), new Date(from + hours * 3_600_000).toISOString()];
      };
      // Each run: the endpoint, then its SQL alone on the same range (params as the handler sends them).
      const versus = async (
        name: string,
        hours: number,
        url: (from: string, to: string) => string,
        sql: string,
        params: (from: string, to: string) => unknown[],
        note: (t: Timed) => string,
      ) => {
        const http: number[] = [];
        const direct: number[] = [];
        let last = '';
        for (let i = 0; i <= runs; i++) {
          const [from, to] = randomRange(hours);
          const t = await timedGet(url(from, to), token);
          if (t.status !== 200) throw new Error(`${name}: HTTP ${t.status} ${t.body.slice(0, 200)}`);
          const t0 = performance.now();
          await pool.query(sql, params(from, to));
          if (i === 0) continue; // warm-up
          http.push(t.ms);
          direct.push(performance.now() - t0);
          last = note(t);
        }
        const ratio = median(http) / median(direct);
        console.log(`${name.padEnd(44)} HTTP median ${median(http).toFixed(1).padStart(7)} ms   SQL median ${median(direct).toFixed(1).padStart(7)} ms   ratio ${ratio.toFixed(2)}   ${last}`);
        return { http: median(http), ratio };
      };
      const heatmap = await versus(
        'heatmap of an hour, every player, cell 1000',
        1,
        (from, to) => `${base}/world/heatmap?from=${from}&to=${to}&cell=1000`,
        HEATMAP_ALL_PLAYERS,
        (from, to) => [PLAYER_MOVED, from, to, 1000, settings.heatmapMaxCells + 1],
        (t) => `${JSON.parse(t.body).cells.length} cells`,
      );
      const visits = await versus(
        'visits of an hour, radius 1000',
        1,
        (from, to) => `${base}/world/visits?x=${x}&y=${y}&radius=1000&from=${from}&to=${to}`,
        VISITS_NEAR_POINT,
        (from, to) => [PLAYER_MOVED, from, to, x, y, 1000],
        (t) => `${JSON.parse(t.body).items.length} players`,
      );
      const trajectory = await versus(
        "one player's trajectory over 24 hours",
        24,
        (from, to) => `${base}/players/${somePlayer}/trajectory?from=${from}&to=${to}`,
        TRAJECTORY_PARTS,
        (from, to) => [somePlayer, movementStreamId(somePlayer), PLAYER_MOVED, from, to, settings.trajectoryMaxPoints + 1],
        (t) => `${JSON.parse(t.body).geometry.coordinates.length} points`,
      );
      Object.assign(results, {
        heatmapMs: heatmap.http,
        heatmapRatio: heatmap.ratio,
        visitsMs: visits.http,
        visitsRatio: visits.ratio,
        trajectoryMs: trajectory.http,
        trajectoryRatio: trajectory.ratio,
      });
    }

    const rates: number[] = [];
    for (let i = 0; wanted('export') && i < exportRuns; i++) {
      const elu0 = performance.eventLoopUtilization();
      const { events: eventsOut, bytes, seconds } = await exportInWorker(`${base}/movements`, token, exportAccept);
      const busy = performance.eventLoopUtilization(elu0).utilization;
      rates.push(eventsOut / seconds);
      console.log(
        `full export (${exportAccept}) run ${i + 1}: ${eventsOut.toLocaleString('en')} events, ${(bytes / 1e9).toFixed(2)} GB in ${seconds.toFixed(1)} s = ` +
          `${Math.round(eventsOut / seconds).toLocaleString('en')} events/s; server event loop busy ${(100 * busy).toFixed(0)} %`,
      );
    }
    if (rates.length) {
      results.exportEventsPerSecond = Math.round(median(rates));
      console.log(`${'full export rate'.padEnd(44)} median ${results.exportEventsPerSecond.toLocaleString('en')} events/s`);
    }

    if (args.explain) {
      const streams: string[] = (await ds.query(`SELECT id::text FROM players`)).map((r: { id: string }) => movementStreamId(r.id));
      const at = randomInstant();
      const from = pageStart();
      const page = JSON.parse((await timedGet(`${base}/movements?from=${from}&limit=10000`, token)).body);
      // The SQL the handlers send, with their JSON object columns.
      const position = jsonObjectSql(SNAPSHOT_POSITION);
      const item = jsonObjectSql(MOVEMENT_JSON);
      // A page of 10,000 is read as two halves at once (EventQueries.readJsonPage): each plan is one half.
      const half = (range: string, first: number) => jsonPagePartSql(range, item, String(first), String(first + 5_000));
      const plans: [string, string, unknown[]][] = [
        ['world snapshot: newest per stream in the window, one half of the streams (newestPerStreamBeforeSql)', newestPerStreamBeforeSql(position), [PLAYER_MOVED, at, snapshotWindow(streams.length), 0]],
        ['world snapshot: players the window missed, 100 of them (latestOfStreamsAtSql)', latestOfStreamsAtSql(position), [JSON.stringify(streams.slice(0, 100)), PLAYER_MOVED, at]],
        ['page of 10,000 across players, first half (jsonPagePartSql over readAllRangeSql)', half(readAllRangeSql(PAGE_SOURCE_COLUMNS), 0), [null, from, null, PLAYER_MOVED, 5_001]],
        ['page of 10,000 across players, second half (same)', half(readAllRangeSql(PAGE_SOURCE_COLUMNS), 5_000), [null, from, null, PLAYER_MOVED, 10_001]],
        ['next page after a cursor, second half (same)', half(readAllRangeSql(PAGE_SOURCE_COLUMNS), 5_000), [String(page.nextCursor), from, null, PLAYER_MOVED, 10_001]],
        ["one player's history (jsonPagePartSql over readStreamRangeSql)", jsonPagePartSql(readStreamRangeSql(PAGE_SOURCE_COLUMNS), item, '0', '10000'), [null, null, null, PLAYER_MOVED, movementStreamId(somePlayer), 10_001]],
        [
          `one export batch of ${EXPORT_BATCH_SIZE} as NDJSON text (exportBatchSql over readAllRangeSql)`,
          exportBatchSql(readAllRangeSql(`${exportLineSql(MOVEMENT_EXPORTS.ndjson)} AS line, recorded_at, global_position`, exportJoinSql(MOVEMENT_EXPORTS.ndjson))),
          [String(page.nextCursor), from, null, PLAYER_MOVED, EXPORT_BATCH_SIZE],
        ],
      ];
      const hourFrom = new Date(Math.max(start, end - 3_600_000)).toISOString();
      const hourTo = new Date(end + 1).toISOString();
      const [{ x, y }] = await ds.query(`SELECT x, y FROM last_positions WHERE player_id = $1`, [somePlayer]);
      plans.push(
        ['heatmap of the last hour, every player, cell 1000 (HEATMAP_ALL_PLAYERS)', HEATMAP_ALL_PLAYERS, [PLAYER_MOVED, hourFrom, hourTo, 1000, settings.heatmapMaxCells + 1]],
        ['visits of the last hour, radius 1000 (VISITS_NEAR_POINT)', VISITS_NEAR_POINT, [PLAYER_MOVED, hourFrom, hourTo, x, y, 1000]],
        ["one player's trajectory over the last hour (TRAJECTORY_PARTS)", TRAJECTORY_PARTS, [somePlayer, movementStreamId(somePlayer), PLAYER_MOVED, hourFrom, hourTo, settings.trajectoryMaxPoints + 1]],
      );
      for (const [title, sql, params] of plans) {
        await ds.query(sql, params); // warm, as in the runs above
        const rows: { 'QUERY PLAN': string }[] = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
        console.log(`\n--- ${title}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
      }
    }
    console.log(JSON.stringify(results));
  } finally {
    await client.close();
    await server.close();
  }
}

/**
 * Downloads an export on a worker thread, counting lines as they arrive, so the client's
 * reading does not share the server's event loop (as a real client would not).
 */
function exportInWorker(url: string, token: string, accept: string): Promise<{ events: number; bytes: number; seconds: number }> {
  const code = `
    const { parentPort, workerData: { url, token, accept } } = require('node:worker_threads');
    (async () => {
      const t0 = performance.now();
      const res = await fetch(url, { headers: { authorization: 'Bearer ' + token, accept } });
      if (res.status !== 200) throw new Error('export: HTTP ' + res.status);
      let lines = 0, bytes = 0;
      for await (const chunk of res.body) {
        bytes += chunk.length;
        for (let j = chunk.indexOf(10); j !== -1; j = chunk.indexOf(10, j + 1)) lines++;
      }
      parentPort.postMessage({ lines, bytes, seconds: (performance.now() - t0) / 1000 });
    })().catch((error) => parentPort.postMessage({ error: String(error) }));`;
  return new Promise((resolve, reject) => {
    const worker = new Worker(code, { eval: true, workerData: { url, token, accept } });
    worker.once('message', (m: { lines: number; bytes: number; seconds: number; error?: string }) => {
      void worker.terminate();
      if (m.error) return reject(new Error(m.error));
      resolve({ events: accept === 'text/csv' ? m.lines - 1 : m.lines, bytes: m.bytes, seconds: m.seconds });
    });
    worker.once('error', reject);
  });
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`bench-replay failed: ${(error as Error)?.stack ?? error}`);
    process.exit(1);
  });
}
