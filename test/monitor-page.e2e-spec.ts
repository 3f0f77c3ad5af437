import { Browser, BrowserContext, Page } from 'playwright-core';
import { Socket } from 'socket.io-client';
import Redis from 'ioredis';
import { connect, registerAndLogin, sendPosition, uniqueName } from './support/clients';
import { eventually, launchChromium } from './support/page-browser';
import { describeOnPostgres, startTestServer, TestServer } from './support/test-server';
import { analyst, get } from './replay-support';
import { runRoleCommand } from '../src/roles/role.commands';

const PASSWORD = 'password-123';

/** A real client walking east, one small step every 100 ms, until stopped. */
function walk(socket: Socket): () => Promise<void> {
  let seq = 0;
  let walking = true;
  const done = (async () => {
    while (walking) {
      seq += 1;
      await sendPosition(socket, { x: seq * 0.5, y: 1, seq });
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    walking = false;
    await done;
  };
}

describe('the monitor page at /monitor in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let errors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer();
    browser = await launchChromium();
  });
  beforeEach(async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    errors = [];
  });
  afterEach(async () => {
    await context.close();
    expect(errors).toEqual([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(`console: ${message.text()}`);
    });
    await page.goto(`${server.url}/monitor`);
    await page.locator('#login-form').waitFor();
    return page;
  }

  async function logIn(page: Page, username: string): Promise<void> {
    await page.fill('#username', username);
    await page.fill('#password', PASSWORD);
    await page.click('#login-button');
  }

  it('logs an analyst in and shows non-zero positions/s while a client moves, with this node named', async () => {
    const operator = await analyst(server);
    const walker = await registerAndLogin(server.url);
    const client = await connect(server.url, walker.token);
    const stop = walk(client.socket);
    try {
      const page = await open();
      await logIn(page, operator.player.username);
      await page.locator('#dashboard').waitFor({ state: 'visible' });
      expect(await page.locator('#login-form').isVisible()).toBe(false);

      const accepted = await eventually(
        () => page.evaluate(() => (window as any).__monitor.latest?.nodes?.[0]?.positionsPerSecond?.accepted ?? 0),
        (rate) => rate > 0,
        'accepted positions/s on the page',
      );
      expect(accepted).toBeGreaterThan(2); // ~10 a second are sent
      const shown = await eventually(
        async () => Number((await page.textContent('#chart-positions .value'))?.replace(/,/g, '')),
        (n) => n > 0,
        'the positions/s figure drawn',
      );
      expect(shown).toBeGreaterThan(0);
      const port = new URL(server.url).port;
      expect(await page.textContent('#nodes tbody')).toContain(`:${port}`);
      await eventually(
        () => page.textContent('#chart-players .value'),
        (text) => text === '1',
        'one player online',
      );
      // Every chart is drawn by the chart library: one canvas each.
      expect(await page.locator('#charts .chart canvas').count()).toBe(8);
      // Keeps updating every second.
      const polls = await page.evaluate(() => (window as any).__monitor.polls);
      await eventually(() => page.evaluate(() => (window as any).__monitor.polls), (n) => n >= polls + 2, 'two more polls', 5_000);

      if (process.env.MONITOR_SCREENSHOT) {
        // For the picture in the README: a second client, and some refusals.
        const other = await connect(server.url, (await registerAndLogin(server.url)).token);
        const stopOther = walk(other.socket);
        for (let i = 0; i < 16; i++) {
          await sendPosition(other.socket, { x: i % 2 ? 1e9 : Number.NaN, y: 0 });
          await page.waitForTimeout(500);
        }
        await stopOther();
        other.socket.close();
        await page.screenshot({ path: process.env.MONITOR_SCREENSHOT, fullPage: true });
      }
    } finally {
      await stop();
      client.socket.close();
    }
  });

  it('tells a player the monitor needs the analyst role, and how to get it', async () => {
    const player = await registerAndLogin(server.url, uniqueName('mon'), PASSWORD);
    const page = await open();
    await logIn(page, player.player.username);
    await page.waitForFunction(() => document.querySelector('#login-message')?.textContent?.includes('analyst role') === true);
    const message = await page.textContent('#login-message');
    expect(message).toContain(`npm run cli -- grant-role ${player.player.username} analyst`);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
  });

  it('stops showing the figures once the analyst role is revoked, and says why', async () => {
    const operator = await analyst(server);
    const page = await open();
    await logIn(page, operator.player.username);
    await page.waitForFunction(() => (window as any).__monitor.polls > 0);
    await runRoleCommand(server.running.app, 'revoke', [operator.player.username, 'analyst']);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    expect(await page.textContent('#login-message')).toContain('analyst role');
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
  });

  it('says why a wrong password is refused', async () => {
    const page = await open();
    await page.fill('#username', uniqueName('nobody'));
    await page.fill('#password', 'not-the-password');
    await page.click('#login-button');
    await page.waitForFunction(() => (document.querySelector('#login-message')?.textContent ?? '').length > 0);
    expect(await page.locator('#dashboard').isVisible()).toBe(false);
  });
});

describe('GET /monitor/stats', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('answers analysts only: 401 without a token, 403 naming the role for a player', async () => {
    expect((await get(`${server.url}/monitor/stats`)).status).toBe(401);
    const player = await registerAndLogin(server.url);
    const refused = await get(`${server.url}/monitor/stats`, player.token);
    expect(refused.status).toBe(403);
    expect(refused.body.message).toMatch(/analyst role.*grant-role/);
  });

  it('counts what was sent: accepted and refused positions per second, ack latency, players online', async () => {
    const operator = await analyst(server);
    const first = await get(`${server.url}/monitor/stats`, operator.token);
    expect(first.status).toBe(200);
    expect(first.body.nodes).toHaveLength(1);
    expect(first.body.missing).toBeNull();
    const before = first.body.nodes[0];
    expect(before.node).toMatchObject({ port: Number(new URL(server.url).port), pid: process.pid });

    const mover = await registerAndLogin(server.url);
    const client = await connect(server.url, mover.token);
    try {
      for (let seq = 1; seq <= 5; seq++) expect(await sendPosition(client.socket, { x: seq, y: 0, seq })).toMatchObject({ ok: true });
      expect(await sendPosition(client.socket, { x: 1e12, y: 0, seq: 6 })).toMatchObject({ ok: false });
      await new Promise((r) => setTimeout(r, 1_000));
      const after = (await get(`${server.url}/monitor/stats`, operator.token)).body.nodes[0];
      expect(after.playersOnline).toBe(1);
      expect(after.windowSeconds).toBeGreaterThanOrEqual(1);
      expect((after.positionsTotal.accepted ?? 0) - (before.positionsTotal.accepted ?? 0)).toBe(5);
      expect(after.positionsPerSecond.accepted * after.windowSeconds).toBeCloseTo(5, 5);
      const refusedCodes = Object.keys(after.rejectionsPerSecond);
      expect(refusedCodes).toHaveLength(1);
      expect(after.rejectionsPerSecond[refusedCodes[0]]).toBeGreaterThan(0);
      expect(after.rejectionsPerSecond.accepted).toBeUndefined();
      expect(after.ackSeconds.p50).toBeGreaterThan(0);
      expect(after.ackSeconds.p99).toBeGreaterThanOrEqual(after.ackSeconds.p50);
      expect(after.commitSeconds.p99).toBeGreaterThan(0);
      expect(after.batchEventsMean).toBeGreaterThanOrEqual(1);
    } finally {
      client.socket.close();
    }
  });

  it('is documented in OpenAPI with its 401 and 403; the chart library is not', async () => {
    const { paths } = (await get(`${server.url}/docs-json`)).body;
    expect(Object.keys(paths['/monitor/stats'].get.responses)).toEqual(expect.arrayContaining(['200', '401', '403']));
    expect(Object.keys(paths).filter((path) => path.startsWith('/monitor/vendor'))).toEqual([]);
  });

  it('serves the chart library from the installed package', async () => {
    const script = await fetch(`${server.url}/monitor/vendor/uplot.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain('uPlot');
    const style = await fetch(`${server.url}/monitor/vendor/uplot.css`);
    expect(style.status).toBe(200);
    expect(style.headers.get('content-type')).toMatch(/css/);
  });
});

/** Two nodes of one world (the same PostgreSQL schema, a real Redis), as in the cluster test. */
describeOnPostgres('GET /monitor/stats with several nodes', () => {
  const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  let one: TestServer;
  let two: TestServer;
  beforeAll(async () => {
    one = await startTestServer({ REDIS_URL, CLUSTER_REQUEST_TIMEOUT_MS: '300' });
    two = await startTestServer({ REDIS_URL, CLUSTER_REQUEST_TIMEOUT_MS: '300', DATABASE_SCHEMA: one.settings.databaseSchema });
  });
  afterAll(async () => {
    await two?.running.close();
    await one?.close();
  });

  it('lists every node, this one first, each with its own figures', async () => {
    const operator = await analyst(one);
    const mover = await registerAndLogin(two.url);
    const client = await connect(two.url, mover.token);
    try {
      for (let seq = 1; seq <= 3; seq++) expect(await sendPosition(client.socket, { x: seq, y: 0, seq })).toMatchObject({ ok: true });
      const { status, body } = await get(`${one.url}/monitor/stats`, operator.token);
      expect(status).toBe(200);
      expect(body.missing).toBeNull();
      const ports = body.nodes.map((f: any) => f.node.port);
      expect(ports).toEqual([Number(new URL(one.url).port), Number(new URL(two.url).port)]);
      const [first, second] = body.nodes;
      expect(second.playersOnline).toBe(1);
      expect(second.positionsTotal.accepted).toBe(3);
      expect(first.playersOnline).toBe(0);
      expect(first.positionsTotal.accepted ?? 0).toBe(0);
    } finally {
      client.socket.close();
    }
  });

  it('lists the nodes that answered and says some did not when a node is silent', async () => {
    const operator = await analyst(one);
    // A subscriber to the nodes' request channel that never answers, as a frozen node would be.
    const silent = new Redis(REDIS_URL);
    try {
      await silent.subscribe(`waypoint:${one.settings.databaseSchema}-request#/#`);
      const started = Date.now();
      const { status, body } = await get(`${one.url}/monitor/stats`, operator.token);
      expect(status).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(body.nodes.map((f: any) => f.node.port)).toEqual([Number(new URL(one.url).port), Number(new URL(two.url).port)]);
      expect(body.missing).toMatch(/did not answer within 300 ms \(CLUSTER_REQUEST_TIMEOUT_MS\)/);
    } finally {
      silent.disconnect();
    }
  });
});
