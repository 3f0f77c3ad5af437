import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SETTING_DOCS } from '../src/config/settings';
import { productionNodeFlags } from './support/production-start';

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
