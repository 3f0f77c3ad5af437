import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTING_DOCS } from '../src/config/settings';
import { productionNodeFlags } from './support/production-start';
import { connect, registerAndLogin, sendPosition } from './support/clients';
import { scrape } from './support/metrics-text';
import { freePort, startRedis, stop } from './support/processes';
import { startTestServer } from './support/test-server';

/**
 * docker/ cannot be built here (no Docker engine on these machines), so these checks
 * keep it in line with what is tested: the start command, the build's inputs, the
 * settings and the nodes behind the balancer.
 */
const ROOT = join(__dirname, '..');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Dockerfile instructions of the last stage (the image that runs), as [keyword, rest]. */
function runtimeStage(dockerfile: string): [string, string][] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: [string, string][][] = [];
  for (const line of lines) {
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword.toUpperCase() === 'FROM') stages.push([]);
    stages[stages.length - 1].push([keyword.toUpperCase(), rest.join(' ')]);
  }
  return stages[stages.length - 1];
}

describe('the container files in docker/', () => {
  const dockerfile = read('docker/Dockerfile');
  const compose = parse(read('docker/compose.yaml'));
  const nodes = Object.entries(compose.services as Record<string, any>).filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile');

  it("run the server with package.json's start:prod command", () => {
    const cmd = runtimeStage(dockerfile).find(([k]) => k === 'CMD')!;
    expect(JSON.parse(cmd[1])).toEqual(['node', ...productionNodeFlags(), 'dist/src/main.js']);
  });

  it('copy into the build everything the build compiles', () => {
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    // Each include glob's folder (src/**/*.ts → src).
    for (const root of include.map((glob) => glob.split('/**')[0])) {
      expect(copied).toContain(root);
      expect(existsSync(join(ROOT, root))).toBe(true);
    }
    for (const file of ['package.json', 'package-lock.json', 'nest-cli.json', 'tsconfig.json', 'tsconfig.build.json', 'scripts']) expect(copied).toContain(file);
  });

  it('leave the benchmarks and the tests out of the build and the image', () => {
    const { include } = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    expect(include.filter((glob) => /^(bench|test)\b/.test(glob))).toEqual([]);
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => m[1].split(/\s+/));
    expect(copied.filter((path) => /^(bench|test)\b/.test(path))).toEqual([]);
    const ignored = read('.dockerignore').split('\n').map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['bench', 'dist-bench', 'test']));
  });

  it('give the nodes only documented settings, the same ones on every node', () => {
    expect(nodes.map(([name]) => name)).toEqual(['node-a', 'node-b']);
    const documented = new Set(SETTING_DOCS.map((d) => d.env));
    const [[, first], ...rest] = nodes;
    for (const name of Object.keys(first.environment)) expect([name, documented.has(name)]).toEqual([name, true]);
    for (const [, node] of rest) expect(node.environment).toEqual(first.environment);
    expect(Object.keys(first.environment)).toEqual(expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'JWT_SECRET']));
  });

  it('put every node behind the balancer, on the port the image listens on', () => {
    const port = /PORT=(\d+)/.exec(runtimeStage(dockerfile).find(([k]) => k === 'ENV')![1])![1];
    expect(runtimeStage(dockerfile)).toContainEqual(['EXPOSE', port]);
    const upstream = [...read('docker/nginx.conf').matchAll(/^\s*server (\S+);/gm)].map((m) => m[1]);
    expect(upstream.sort()).toEqual(nodes.map(([name]) => `${name}:${port}`).sort());
    expect(compose.services.balancer.volumes).toContain('./nginx.conf:/etc/nginx/conf.d/default.conf:ro');
  });
});

/** The metric names an expression reads (ours, prom-client's default ones). */
const metricNames = (expr: string): string[] => [...expr.matchAll(/\b(?:waypoint|nodejs|process)_[a-z0-9_]+\b/g)].map((m) => m[0]);

/** The contract's metric names, which dashboards and alerts rely on. */
const CONTRACT_METRICS = [
  'waypoint_players_online',
  'waypoint_positions_total',
  'waypoint_position_ack_seconds',
  'waypoint_append_commit_seconds',
  'waypoint_append_batch_events',
  'waypoint_append_queue_events',
  'waypoint_broadcast_delay_seconds',
  'waypoint_broadcast_tick_seconds',
  'waypoint_slow_clients',
];

describe('the monitoring in docker/ (Prometheus and Grafana)', () => {
  const compose = parse(read('docker/compose.yaml'));
  const services = compose.services as Record<string, any>;
  const nodes = Object.entries(services).filter(([, s]) => s.build?.dockerfile === 'docker/Dockerfile').map(([name]) => name);
  const prometheus = parse(read('docker/prometheus.yml'));
  const datasources = parse(read('docker/grafana/provisioning/datasources/prometheus.yaml')).datasources as any[];
  const providers = parse(read('docker/grafana/provisioning/dashboards/waypoint.yaml')).providers as any[];
  const dashboard = JSON.parse(read('docker/grafana/dashboards/waypoint.json'));
  const targets = (dashboard.panels as any[]).flatMap((p) => p.targets.map((t: any) => ({ panel: p.title, ...t })));
  /** host folder → container folder, from a service's `./a:/b:ro` volumes. */
  const mounts = (service: any) => new Map<string, string>((service.volumes as string[]).map((v) => v.split(':') as [string, string]));

  it('scrape /metrics of every node directly, on the port the image listens on', () => {
    const port = /PORT=(\d+)/.exec(read('docker/Dockerfile'))![1];
    expect(mounts(services.prometheus).get('./prometheus.yml')).toBe('/etc/prometheus/prometheus.yml');
    const [job] = prometheus.scrape_configs;
    expect(job.metrics_path).toBe('/metrics');
    expect(job.static_configs.flatMap((c: any) => c.targets).sort()).toEqual(nodes.map((n) => `${n}:${port}`).sort());
  });

  it('give Grafana the Prometheus service as its data source and the dashboard folder it provisions from', () => {
    const [source] = datasources;
    const promPort = String(services.prometheus.ports[0]).split(':').pop();
    expect(source.url).toBe(`http://prometheus:${promPort}`);
    const grafanaMounts = mounts(services.grafana);
    expect(grafanaMounts.get('./grafana/provisioning')).toBe('/etc/grafana/provisioning');
    expect(grafanaMounts.get('./grafana/dashboards')).toBe(providers[0].options.path);
    expect(services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${providers[0].options.path}/waypoint.json`);
    for (const panel of dashboard.panels) expect([panel.title, panel.datasource.uid]).toEqual([panel.title, source.uid]);
    for (const t of targets) expect([t.panel, t.datasource.uid]).toEqual([t.panel, source.uid]);
  });

  it('chart every contract metric, and each panel reads at least one metric', () => {
    const used = new Set(targets.flatMap((t) => metricNames(t.expr)));
    for (const name of CONTRACT_METRICS) expect([name, [...used].some((u) => u === name || u.startsWith(`${name}_`))]).toEqual([name, true]);
    for (const t of targets) expect([t.panel, t.expr, metricNames(t.expr).length > 0]).toEqual([t.panel, t.expr, true]);
  });

  it("use only metric names that a real node's /metrics exposes", async () => {
    // With Redis (its own), so the Redis link gauge is there too, and some traffic, so
    // that labelled series exist.
    const redisPort = await freePort();
    const redis = await startRedis(redisPort);
    const server = await startTestServer({ REDIS_URL: `redis://127.0.0.1:${redisPort}` });
    try {
      const { token } = await registerAndLogin(server.url);
      const { socket } = await connect(server.url, token);
      await sendPosition(socket, { x: 1, y: 1, seq: 1 });
      socket.close();
      const exposed = new Set((await scrape(server.url)).samples.map((s) => s.name));
      const missing = targets.flatMap((t) => metricNames(t.expr).filter((name) => !exposed.has(name)).map((name) => `${t.panel}: ${name}`));
      expect(missing).toEqual([]);
    } finally {
      await server.close();
      await stop(redis, 'SIGKILL');
    }
  });
});
