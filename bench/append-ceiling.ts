import 'reflect-metadata';
import { batchWriterFor } from '../src/event-store';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { Client } from 'pg';
import { createLogger } from '../src/common/logger';
import { loadSettings } from '../src/config/settings';
import { connectDatabase } from '../src/database/database-connection';
import { EventStore, VersionedNewEvent } from '../src/event-store';
import { LastPositionProjection } from '../src/movement/last-position/last-position.projection';
import { PLAYER_MOVED } from '../src/movement/position';
import { movementStreamId } from '../src/players/player-streams';
import { cpuPercent, cpuTicks, machineTicks, pidsByName, round1 } from './proc-stats';
import { parseArgs } from './replay/args';

/**
 * The write path's ceiling on this machine: movement batches appended through the very
 * statement the server uses (EventStore.appendBatch with the last-position projection,
 * prepared), as fast as PostgreSQL takes them, with no sockets, no movement rules and no
 * load generator. Whatever the live benchmark reaches stays below this figure:
 *
 *   npm run bench:append -- --players 2000 --batch 2000 --lanes "1 2" --events 200000
 *
 * Each run uses a fresh schema (dropped at the end) with --players players, each
 * `--batch` events holding one movement of as many players in turn, `--lanes` batches in
 * flight at once. Reports events/s and the CPU of PostgreSQL's processes, of this one and
 * of the whole machine (100 % = one core).
 */
const OPTIONS = { players: 'number', batch: 'number', lanes: 'string', events: 'number', help: 'boolean' } as const;
const USAGE = `usage: append-ceiling [--players 2000] [--batch 2000] [--lanes "1 2"] [--events 200000]
  DATABASE_URL chooses the PostgreSQL (default postgresql://postgres@127.0.0.1:5432/test).`;

interface Result {
  lanes: number;
  batch: number;
  events: number;
  seconds: number;
  eventsPerSecond: number;
  postgresCpuPct: number;
  appenderCpuPct: number;
  machineCpuPct: number;
}

async function runOnce(databaseUrl: string, players: number, batch: number, lanes: number, total: number): Promise<Result> {
  const schema = `append_ceiling_${randomUUID().slice(0, 8)}`;
  const settings = loadSettings({ DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, JWT_SECRET: 'append-ceiling-secret-0123456789', LOG_LEVEL: 'warn' });
  const database = await connectDatabase(settings);
  const store = new EventStore(database.dataSource, batchWriterFor(database.dataSource, database.capabilities, settings.appendBatch));
  const projection = new LastPositionProjection();
  try {
    const ids = Array.from({ length: players }, () => randomUUID());
    await database.dataSource.query(`INSERT INTO players (id, username, password_hash) SELECT id, 'ceiling_' || id, '-' FROM unnest($1::uuid[]) AS id`, [ids]);
    const streams = ids.map(movementStreamId);
    const versions = new Array<number>(players).fill(0);
    // Lane l writes the players p with p % lanes = l, so each stream keeps one writer.
    const perLane = Math.ceil(players / lanes);
    let next = 0;
    const nextBatch = (lane: number): VersionedNewEvent[] => {
      const events = new Array<VersionedNewEvent>(batch);
      for (let i = 0; i < batch; i++) {
        const p = lane + lanes * ((next + i) % perLane);
        const player = p < players ? p : lane;
        const version = ++versions[player];
        events[i] = {
          streamId: streams[player],
          streamVersion: version,
          type: PLAYER_MOVED,
          data: { x: i % 1000, y: -(i % 1000), z: 0, heading: 0, seq: version },
          metadata: { eventId: randomUUID(), correlationId: 'append-ceiling', causationId: randomUUID() },
        };
      }
      return events;
    };
    // One batch per lane first: the pool's connections (and their backends, counted below)
    // exist and have prepared the statement before the clock starts.
    await Promise.all(Array.from({ length: lanes }, (_, lane) => store.appendBatch(nextBatch(lane), [projection])));
    next += batch;
    let appended = 0;
    const postgres = pidsByName('postgres');
    const before = { pg: cpuTicks(postgres), me: cpuTicks([process.pid]), machine: machineTicks() };
    const started = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        while (appended < total) {
          const events = nextBatch(lane);
          next += batch;
          appended += events.length;
          await store.appendBatch(events, [projection]);
        }
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const machine = machineTicks();
    return {
      lanes,
      batch,
      events: appended,
      seconds: round1(seconds),
      eventsPerSecond: Math.round(appended / seconds),
      postgresCpuPct: cpuPercent(before.pg, cpuTicks(postgres), seconds),
      appenderCpuPct: cpuPercent(before.me, cpuTicks([process.pid]), seconds),
      machineCpuPct: round1(((machine.busy - before.machine.busy) / (machine.total - before.machine.total)) * 100 * cpus().length),
    };
  } finally {
    await database.close();
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).finally(() => client.end());
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  Logger.overrideLogger(createLogger({ logLevel: 'warn', logFormat: 'pretty' }));
  const databaseUrl = process.env.DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
  const players = Math.max(1, Math.floor(Number(args.players ?? 2_000)));
  const batch = Math.max(1, Math.floor(Number(args.batch ?? 2_000)));
  const total = Math.max(batch, Math.floor(Number(args.events ?? 200_000)));
  const laneCounts = String(args.lanes ?? '1 2')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map((n) => Math.max(1, Math.floor(Number(n))));
  const results: Result[] = [];
  console.log('| lanes | batch | events | seconds | events/s | PostgreSQL CPU % | appender CPU % | machine CPU % |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const lanes of laneCounts) {
    const r = await runOnce(databaseUrl, players, batch, lanes, total);
    results.push(r);
    console.log(`| ${r.lanes} | ${r.batch} | ${r.events} | ${r.seconds} | ${r.eventsPerSecond} | ${r.postgresCpuPct} | ${r.appenderCpuPct} | ${r.machineCpuPct} |`);
  }
  console.log(JSON.stringify({ players, batch, results }));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
