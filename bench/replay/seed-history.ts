import 'reflect-metadata';
import { batchWriterFor } from '../../src/event-store';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { PasswordHasher } from '../../src/auth/password-hasher';
import { createLogger } from '../../src/common/logger';
import { loadSettings } from '../../src/config/settings';
import { connectDatabase } from '../../src/database/database-connection';
import { EventStore, HistoricalEvent, importEvents, settleAfterImport } from '../../src/event-store';
import { LastPositionProjection } from '../../src/movement/last-position/last-position.projection';
import { RebuildLastPositions } from '../../src/movement/last-position/rebuild-last-positions';
import { MovementData, PLAYER_MOVED } from '../../src/movement/position';
import { PlayerLifecycleEvent } from '../../src/players/player-lifecycle.events';
import { movementStreamId, playerStreamId } from '../../src/players/player-streams';
import { parseArgs } from './args';

/**
 * Fills a database with movement history for replay benchmarks, through the event
 * store's bulk import (INSERT … SELECT FROM unnest, one statement per chunk):
 *
 *   DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test DATABASE_SCHEMA=bench_replay \
 *     npm run seed:history -- --players 10000 --events 10000000
 *
 * Players `seed_000000` … are created (password `seed-password`) with their
 * PlayerRegistered events; every player then moves once per tick, in a shuffled order,
 * ticks spread evenly over the last --span-hours, so recorded_at grows with the global
 * position as it does live. Running it again appends more history after the existing
 * versions. At the end last_positions is rebuilt from the events (the projection's own
 * resumable rebuild, as `npm run projections:rebuild`), and the events table is vacuumed
 * and analysed.
 */
const OPTIONS = {
  players: 'number',
  events: 'number',
  'span-hours': 'number',
  chunk: 'number',
  concurrency: 'number',
  'rebuild-page': 'number',
  'no-vacuum': 'boolean',
  help: 'boolean',
} as const;

const USAGE = `usage: seed-history [--players 10000] [--events 10000000] [--span-hours 24] [--chunk 20000] [--concurrency 2] [--rebuild-page 50000] [--no-vacuum]
  DATABASE_URL and DATABASE_SCHEMA choose the database (the benchmarks use DATABASE_SCHEMA=bench_replay).`;

export const SEED_PASSWORD = 'seed-password';
export const seedUsername = (i: number): string => `seed_${String(i).padStart(6, '0')}`;

interface Walker {
  id: string;
  streamId: string;
  version: number;
  session: string;
  x: number;
  y: number;
  z: number;
  heading: number;
}

const INSERT_PLAYERS = `
  INSERT INTO players (id, username, password_hash)
  SELECT id, name, $3 FROM unnest($1::uuid[], $2::text[]) AS p(id, name)`;
const SEEDED_PLAYERS = `SELECT id::text, username FROM players WHERE username LIKE 'seed\\_%'`;

const round2 = (v: number) => Math.round(v * 100) / 100;

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    console.log(USAGE);
    return;
  }
  const playerCount = Math.floor(Number(args.players ?? 10_000));
  const eventCount = Math.floor(Number(args.events ?? 10_000_000));
  const spanMs = Number(args['span-hours'] ?? 24) * 3_600_000;
  const chunk = Math.floor(Number(args.chunk ?? 20_000));
  const concurrency = Math.max(1, Math.floor(Number(args.concurrency ?? 2)));
  const rebuildPageSize = Math.max(1, Math.floor(Number(args['rebuild-page'] ?? 50_000)));
  if (playerCount < 1 || chunk < 1) throw new Error('--players and --chunk must be at least 1');

  const settings = loadSettings(process.env, []);
  Logger.overrideLogger(createLogger({ logLevel: 'warn', logFormat: 'pretty' }));
  if (!settings.databaseUrl) console.warn('DATABASE_URL is not set: seeding the embedded PostgreSQL, which is far slower');
  const database = await connectDatabase(settings);
  const ds = database.dataSource;
  const store = new EventStore(ds, batchWriterFor(ds, database.capabilities, settings.appendBatch));
  const started = Date.now();
  try {
    console.log(`seeding schema "${settings.databaseSchema}": ${playerCount} players, ${eventCount} movement events, chunks of ${chunk}, ${concurrency} at a time`);

    // 1. Players and their PlayerRegistered events.
    const existing = new Map<string, string>(
      (await ds.query(SEEDED_PLAYERS)).map((r: { id: string; username: string }) => [r.username, r.id]),
    );
    const hash = await new PasswordHasher(settings).hash(SEED_PASSWORD);
    const walkers: Walker[] = [];
    const created: { id: string; username: string }[] = [];
    for (let i = 0; i < playerCount; i++) {
      const username = seedUsername(i);
      let id = existing.get(username);
      if (!id) {
        id = randomUUID();
        created.push({ id, username });
      }
      walkers.push({
        id,
        streamId: movementStreamId(id),
        version: 0,
        session: randomUUID(),
        x: round2((Math.random() - 0.5) * 20_000),
        y: round2((Math.random() - 0.5) * 20_000),
        z: 0,
        heading: round2(Math.random() * 2 * Math.PI),
      });
    }
    const historyStart = new Date(started - spanMs);
    for (let i = 0; i < created.length; i += 10_000) {
      const part = created.slice(i, i + 10_000);
      await ds.transaction(async (tx) => {
        await tx.query(INSERT_PLAYERS, [part.map((p) => p.id), part.map((p) => p.username), hash]);
        await importEvents(
          tx,
          part.map((p) => ({
            streamId: playerStreamId(p.id),
            streamVersion: 1,
            type: PlayerLifecycleEvent.Registered,
            data: { username: p.username },
            metadata: { eventId: randomUUID(), correlationId: p.id, causationId: p.id },
            recordedAt: historyStart,
          })),
        );
      });
    }
    console.log(`players: ${created.length} created, ${playerCount - created.length} already there`);

    // 2. Continue each movement stream after its current version.
    const versions = await store.streamVersions(walkers.map((w) => w.streamId));
    for (const w of walkers) w.version = versions.get(w.streamId) ?? 0;

    // 3. Movement history, chunk by chunk; the next chunk is generated while earlier ones insert.
    let generated = 0;
    let inserted = 0;
    let order = walkers.map((_, i) => i);
    let cursorInTick = playerCount;
    const nextChunk = (): HistoricalEvent<MovementData>[] => {
      const size = Math.min(chunk, eventCount - generated);
      const events = new Array<HistoricalEvent<MovementData>>(size);
      for (let j = 0; j < size; j++) {
        if (cursorInTick === playerCount) {
          order = shuffle(order);
          cursorInTick = 0;
        }
        const w = walkers[order[cursorInTick++]];
        w.heading = (w.heading + (Math.random() - 0.5) * 0.6 + 2 * Math.PI) % (2 * Math.PI);
        const step = 1 + Math.random() * 4;
        w.x = round2(clamp(w.x + Math.cos(w.heading) * step));
        w.y = round2(clamp(w.y + Math.sin(w.heading) * step));
        w.z = round2(Math.max(0, w.z + (Math.random() - 0.5)));
        w.version += 1;
        const k = generated + j;
        events[j] = {
          streamId: w.streamId,
          streamVersion: w.version,
          type: PLAYER_MOVED,
          data: { x: w.x, y: w.y, z: w.z, heading: round2(w.heading), seq: w.version },
          metadata: { eventId: randomUUID(), correlationId: w.session, causationId: randomUUID() },
          recordedAt: new Date(historyStart.getTime() + Math.floor((k * spanMs) / eventCount)),
        };
      }
      generated += size;
      return events;
    };

    let lastReport = Date.now();
    const report = (final = false) => {
      const seconds = (Date.now() - started) / 1000;
      const rate = inserted / seconds;
      const eta = rate > 0 ? Math.round((eventCount - inserted) / rate) : 0;
      console.log(
        `${final ? 'done' : 'progress'}: ${inserted.toLocaleString('en')} / ${eventCount.toLocaleString('en')} events ` +
          `(${((100 * inserted) / Math.max(1, eventCount)).toFixed(1)} %), ${Math.round(rate).toLocaleString('en')} events/s` +
          (final ? `, ${seconds.toFixed(0)} s` : `, about ${eta} s left`),
      );
    };
    const inflight = new Set<Promise<void>>();
    let failure: unknown = null;
    while (generated < eventCount && failure === null) {
      const events = nextChunk();
      const job: Promise<void> = importEvents(ds, events).then(
        (n) => {
          inserted += n;
          inflight.delete(job);
          if (Date.now() - lastReport >= 2000) {
            lastReport = Date.now();
            report();
          }
        },
        (error) => {
          failure = error;
          inflight.delete(job);
        },
      );
      inflight.add(job);
      if (inflight.size >= concurrency) await Promise.race(inflight);
    }
    await Promise.all(inflight);
    if (failure) throw failure;
    report(true);

    // 4. last_positions from the events, by the projection's own rebuild (resumable, gap-safe).
    // Statistics first: without them the planner guesses a handful of rows and answers each
    // rebuild page by scanning and sorting the whole table (20 s a page on 10 M events).
    await settleAfterImport(ds, false);
    const t4 = Date.now();
    const rebuilt = await new RebuildLastPositions(ds, store, new LastPositionProjection(), database.capabilities).run(rebuildPageSize);
    console.log(`last_positions rebuilt from ${rebuilt.events.toLocaleString('en')} events in ${((Date.now() - t4) / 1000).toFixed(0)} s`);

    // 5. Statistics (and the visibility map) for the planner.
    const vacuum = !args['no-vacuum'];
    const t = Date.now();
    await settleAfterImport(ds, vacuum);
    await ds.query('ANALYZE players');
    // The rebuild upserts every player once per page: vacuum away those row versions.
    await ds.query('VACUUM (ANALYZE) last_positions');
    console.log(`${vacuum ? 'VACUUM (ANALYZE)' : 'ANALYZE'} events: ${((Date.now() - t) / 1000).toFixed(0)} s`);
    console.log(JSON.stringify({ players: playerCount, events: inserted, seconds: Math.round((Date.now() - started) / 1000) }));
  } finally {
    await database.close();
  }
}

function clamp(v: number): number {
  return Math.max(-99_000, Math.min(99_000, v));
}

function shuffle(values: number[]): number[] {
  const a = values.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

if (require.main === module) {
  main().catch((error) => {
    console.error(`seed-history failed: ${(error as Error)?.message ?? error}`);
    process.exit(1);
  });
}
