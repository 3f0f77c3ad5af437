import { ChildProcess } from 'node:child_process';
import { scrape } from './support/metrics-text';
import { freePort, startRedis, stop } from './support/processes';
import { TcpRelay } from './support/tcp-relay';
import { describeOnPostgres, startTestServer, TestServer } from './support/test-server';

async function get(url: string): Promise<{ status: number; body: any; ms: number }> {
  const started = Date.now();
  const res = await fetch(url);
  return { status: res.status, body: await res.json(), ms: Date.now() - started };
}

describe('health probes', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('/health/live answers while the process runs', async () => {
    expect(await get(`${server.url}/health/live`)).toMatchObject({ status: 200, body: { status: 'ok', info: {}, error: {}, details: {} } });
  });

  it('/health/ready asks the database; without REDIS_URL nothing else', async () => {
    const { status, body } = await get(`${server.url}/health/ready`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'ok', details: { database: { status: 'up' } } });
    expect(body.error).toEqual({});
    expect(Object.keys(body.details)).toEqual(['database']);
  });

  it('/health keeps its v1 answer', async () => {
    expect(await get(`${server.url}/health`)).toMatchObject({ status: 200, body: { status: 'ok', database: 'up' } });
  });

  it('documents the probes, /metrics and the auth throttle in OpenAPI', async () => {
    const { paths } = (await get(`${server.url}/docs-json`)).body;
    for (const path of ['/health', '/health/live', '/health/ready', '/metrics']) expect([path, Object.keys(paths[path]?.get?.responses ?? {})]).toEqual([path, expect.arrayContaining(['200'])]);
    expect(Object.keys(paths['/health/ready'].get.responses)).toContain('503');
    for (const path of ['/auth/login', '/auth/register']) expect(Object.keys(paths[path].post.responses)).toContain('429');
  });
});

describe('/health/ready with REDIS_URL', () => {
  let server: TestServer;
  let redis: ChildProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    server = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await server?.close();
    if (redis) await stop(redis, 'SIGKILL');
  });

  it('is 200 with Redis up, 503 naming redis within a second once it is gone, and 200 again when it is back; /metrics shows the link', async () => {
    const up = await get(`${server.url}/health/ready`);
    expect(up).toMatchObject({ status: 200, body: { details: { database: { status: 'up' }, redis: { status: 'up' } } } });

    expect((await scrape(server.url)).value('waypoint_redis_connected')).toBe(1);

    await stop(redis, 'SIGKILL');
    const down = await get(`${server.url}/health/ready`);
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: expect.stringMatching(/^not ready: redis did not answer \(/) });
    expect(down.body.message).not.toMatch(/database/);
    expect(down.ms).toBeLessThan(1000);
    // v1: the server and its database answer.
    expect((await get(`${server.url}/health`)).status).toBe(200);

    // The node's own Redis clients see it too.
    await until(async () => (await scrape(server.url)).value('waypoint_redis_connected') === 0, 5_000);

    redis = await startRedis(port);
    await until(async () => (await get(`${server.url}/health/ready`)).status === 200, 10_000);
    await until(async () => (await scrape(server.url)).value('waypoint_redis_connected') === 1, 10_000);
  });
});

describeOnPostgres('probes when the database hangs', () => {
  let server: TestServer;
  let relay: Awaited<ReturnType<typeof TcpRelay.start>>;

  beforeAll(async () => {
    const target = new URL(process.env.DATABASE_URL!);
    relay = await TcpRelay.start({ host: target.hostname, port: Number(target.port || 5432) });
    // A short query deadline, so the connections the silence left hanging are replaced soon after.
    server = await startTestServer({
      DATABASE_URL: TcpRelay.urlThrough(process.env.DATABASE_URL!, relay.port),
      HEALTH_DATABASE_TIMEOUT_MS: '300',
      DATABASE_QUERY_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    relay?.heal();
    await server?.close();
    await relay?.close();
  });

  it('/health/ready and /health answer 503 naming the database within a second; /health/live still 200', async () => {
    expect((await get(`${server.url}/health/ready`)).status).toBe(200);
    relay.silence();
    const ready = await get(`${server.url}/health/ready`);
    expect(ready).toMatchObject({ status: 503, body: { statusCode: 503, message: expect.stringMatching(/^not ready: database did not answer \(/) } });
    expect(ready.ms).toBeLessThan(1000);
    const v1 = await get(`${server.url}/health`);
    expect(v1).toMatchObject({ status: 503, body: { statusCode: 503, message: expect.stringMatching(/^database unavailable \(/) } });
    expect(v1.ms).toBeLessThan(1000);
    expect((await get(`${server.url}/health/live`)).status).toBe(200);
    relay.heal();
    await until(async () => (await get(`${server.url}/health/ready`)).status === 200, 10_000);
  });
});

async function until(condition: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`not so within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
