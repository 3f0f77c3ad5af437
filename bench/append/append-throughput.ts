import { randomUUID } from 'node:crypto';
import { batchWriterFor } from '../../src/event-store';
import { databaseCapabilities } from '../../src/database/database-capabilities';
import { Client } from 'pg';
import { openDatabase } from '../../src/database/data-source';
import { EventStore } from '../../src/event-store';
import { LastPositionProjection } from '../../src/movement/last-position/last-position.projection';
import { PLAYER_MOVED } from '../../src/movement/position';
import { movementStreamId } from '../../src/players/player-streams';

/**
 * How fast the live write path's statement (batched append + inline last_positions
 * projection) goes on this machine, without sockets: batches of B movements spread over
 * P players, appended back to back for S seconds. Reports events/s and PostgreSQL CPU.
 *   node dist-bench/bench/append/append-throughput.js [--players 2000] [--batch 100,500,2000] [--seconds 10]
 *     [--no-projection] [--drop-indexes name,name] [--last-positions-fillfactor 100]   (what each part of the write costs)
 */
function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

async function postgresCpuTicks(client: Client): Promise<number> {
  const { readFileSync, readdirSync } = await import('node:fs');
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      /* process ended */
    }
  }
  void client;
  return ticks;
}

async function main(): Promise<void> {
  const url = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
  const schema = arg('schema', 'bench_append');
  const players = Number(arg('players', '2000'));
  const batches = arg('batch', '100,500,2000').split(',').map(Number);
  const seconds = Number(arg('seconds', '10'));
  const withProjection = !process.argv.includes('--no-projection');
  const admin = new Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  const { dataSource } = await openDatabase({ url, schema });
  const store = new EventStore(dataSource, batchWriterFor(dataSource, databaseCapabilities(false), { timeoutMs: 60_000, outcomeCheckMs: 5_000 }));
  for (const index of arg('drop-indexes', '').split(',').filter(Boolean)) {
    if (!/^[a-z_]+$/.test(index)) throw new Error(`--drop-indexes: "${index}" is not an index name`);
    await dataSource.query(`DROP INDEX ${index}`);
    console.log(`dropped index ${index} (for this measurement only)`);
  }
  const fillfactor = arg('last-positions-fillfactor', '');
  if (fillfactor) {
    if (!/^\d+$/.test(fillfactor)) throw new Error(`--last-positions-fillfactor: "${fillfactor}" is not a number`);
    await dataSource.query(`ALTER TABLE last_positions SET (fillfactor = ${fillfactor})`);
    console.log(`last_positions fillfactor ${fillfactor} (for this measurement only)`);
  }
  const projection = new LastPositionProjection();
  const ids = Array.from({ length: players }, () => randomUUID());
  await dataSource.query(
    `INSERT INTO players (id, username, password_hash) SELECT id, 'u' || ord, 'x' FROM unnest($1::uuid[]) WITH ORDINALITY AS t(id, ord)`,
    [ids],
  );
  const versions = new Map<string, number>();
  const correlation = randomUUID();
  console.log(`players ${players}, ${seconds} s per batch size, schema ${schema}`);
  for (const size of batches) {
    let events = 0;
    let next = 0;
    let dbNs = 0n;
    const cpuBefore = await postgresCpuTicks(admin);
    const started = Date.now();
    while (Date.now() - started < seconds * 1000) {
      const batch = [];
      for (let i = 0; i < size; i++) {
        const id = ids[next++ % players];
        const streamId = movementStreamId(id);
        const version = (versions.get(streamId) ?? 0) + 1;
        versions.set(streamId, version);
        batch.push({
          streamId,
          streamVersion: version,
          type: PLAYER_MOVED,
          data: { x: Math.random() * 1000, y: Math.random() * 1000, z: 0, heading: 1.5, seq: version },
          metadata: { eventId: randomUUID(), correlationId: correlation, causationId: randomUUID() },
        });
      }
      const t0 = process.hrtime.bigint();
      await store.appendBatch(batch, withProjection ? [projection] : []);
      dbNs += process.hrtime.bigint() - t0;
      events += size;
    }
    const elapsed = (Date.now() - started) / 1000;
    const pgCpu = ((await postgresCpuTicks(admin)) - cpuBefore) / 100 / elapsed;
    // Statistics reach the view at most once a second; HOT updates (no index entry, no
    // bloat) need free room on the row's own page.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const [updates] = await dataSource.query(
      `SELECT n_tup_upd::int AS updated, n_tup_hot_upd::int AS hot FROM pg_stat_user_tables WHERE relid = 'last_positions'::regclass`,
    );
    const hotShare = updates.updated > 0 ? Math.round((updates.hot / updates.updated) * 100) : 0;
    console.log(
      `batch ${String(size).padStart(5)}: ${Math.round(events / elapsed).toLocaleString('en')} events/s, PostgreSQL CPU ${Math.round(pgCpu * 100)}% of one core (${Math.round((pgCpu * 1e6) / (events / elapsed))} µs per event), ${Math.round((Number(dbNs) / 1e9 / elapsed) * 100)}% of the time waiting on the statement, last_positions updates so far ${hotShare}% HOT`,
    );
  }
  await dataSource.destroy();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
}

void main();
