import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js flags the server runs with in production: those of package.json's
 * `start:prod` script (`node FLAGS dist/src/main.js`), read from there so the benchmark
 * and the start-up tests run the server exactly as `npm start` / `npm run start:prod`
 * do, and a flag changed there is the one measured. Works from src (ts) and dist (js).
 */
export function productionNodeFlags(): string[] {
  // test/support in the sources, dist-bench/test/support once the benchmarks are built: package.json is two or three levels up.
  const packageJson = [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')]
    .map((dir) => join(dir, 'package.json'))
    .map((file) => (existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: string; scripts?: Record<string, string> }) : null))
    .find((pkg) => pkg?.name === 'waypoint');
  if (!packageJson) throw new Error(`package.json of waypoint not found above ${__dirname}`);
  const script = packageJson.scripts?.['start:prod'] ?? '';
  const match = /^node((?:\s+--\S+)*)\s+dist\/src\/main\.js$/.exec(script.trim());
  if (!match) throw new Error(`start:prod is not "node [--flags] dist/src/main.js": ${script}`);
  return match[1].trim().split(/\s+/).filter(Boolean);
}
