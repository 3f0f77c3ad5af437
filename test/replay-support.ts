import { request as httpRequest, IncomingMessage } from 'node:http';
import { DataSource } from 'typeorm';
import { runRoleCommand } from '../src/roles/role.commands';
import { LoggedIn, registerAndLogin } from './support/clients';
import { TestServer } from './support/test-server';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** GET with an optional Bearer token and Accept header; JSON bodies are parsed. */
export async function get(url: string, token?: string | null, accept = 'application/json'): Promise<HttpAnswer> {
  const headers: Record<string, string> = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { headers });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('application/json');
  return { status: res.status, headers: res.headers, text, body: json && text ? JSON.parse(text) : null };
}

/** A registered player made analyst through the CLI's code path. */
export async function analyst(server: TestServer): Promise<LoggedIn> {
  const who = await registerAndLogin(server.url);
  await runRoleCommand(server.running.app, 'grant', [who.player.username, 'analyst']);
  return who;
}

/** Every page of a movements URL (query string included), following nextCursor (which replaces any `after`). */
export async function allPages(url: string, token: string): Promise<{ items: any[]; pages: number }> {
  const items: any[] = [];
  let pages = 0;
  let cursor: number | null = null;
  for (;;) {
    const page = new URL(url);
    if (cursor !== null) page.searchParams.set('after', String(cursor));
    const res = await get(page.toString(), token);
    if (res.status !== 200) throw new Error(`page ${pages + 1}: ${res.status} ${res.text}`);
    items.push(...res.body.items);
    pages += 1;
    cursor = res.body.nextCursor;
    if (cursor === null) return { items, pages };
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Resolves once the database's clock, in the milliseconds events are stamped in, is past
 * `instant` (by default, the clock's own reading now). A read across players at the live
 * edge ends before the millisecond it looked in, because an append that takes the lock just
 * after the look may still stamp events in it (docs/replay-api.md): a movement stamped in
 * that very millisecond is rightly left to the next read. Tests that expect what was
 * just acknowledged in their next read wait out its millisecond first.
 */
export async function untilClockPasses(db: DataSource, instant?: Date): Promise<void> {
  const clock = async (): Promise<Date> => (await db.query(`SELECT date_trunc('milliseconds', clock_timestamp()) AS now`))[0].now;
  const past = instant ?? (await clock());
  const deadline = Date.now() + 5_000;
  while ((await clock()).getTime() <= past.getTime()) {
    if (Date.now() > deadline) throw new Error(`the database clock did not pass ${past.toISOString()} within 5 s`);
    await sleep(1);
  }
}

/**
 * Follows a page chain from `base` (a movements URL with a query) while movements are
 * still being written, and on to the end once `writing()` says they no longer are: every
 * item seen, in order. At the live edge (nextCursor null) it asks again after
 * `pauseAtEdgeMs`, continuing after the last item it has.
 */
export async function pageWhileWriting(db: DataSource, base: string, token: string, writing: () => boolean, pauseAtEdgeMs = 10): Promise<any[]> {
  const seen: any[] = [];
  let cursor: number | null = null;
  let waitedOutClock = false;
  for (;;) {
    const stillWriting = writing();
    if (!stillWriting && !waitedOutClock) {
      // Everything is acknowledged: the reads from here on must see all of it.
      waitedOutClock = true;
      await untilClockPasses(db);
    }
    const res = await get(cursor === null ? base : `${base}&after=${cursor}`, token);
    expect(res.status).toBe(200);
    seen.push(...res.body.items);
    if (res.body.items.length) cursor = res.body.items[res.body.items.length - 1].position;
    if (res.body.nextCursor === null) {
      if (!stillWriting) return seen;
      if (pauseAtEdgeMs > 0) await sleep(pauseAtEdgeMs);
    }
  }
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await sleep(25);
  }
}

/** A raw GET whose body the test reads (or stops reading) itself, to exercise backpressure and aborts. */
export function openStream(url: string, token: string, accept: string): Promise<{ response: IncomingMessage; abort(): void }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers: { authorization: `Bearer ${token}`, accept } }, (response) =>
      resolve({ response, abort: () => req.destroy() }),
    );
    req.on('error', reject);
    req.end();
  });
}

/** Minimal CSV reader for the exports (fields quoted only when they must be). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\n') row.push(field.replace(/\r$/, '')), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}
