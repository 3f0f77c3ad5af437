import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Node.js flags the server runs with in production: those of package.json's
 * `start:prod` script (`node FLAGS dist/src/main.js`), read from there so the benchmark
 * and the start-up tests run the server exactly as `npm start` / `npm run start:prod`
 * do, and a flag changed there is the one measured. Works from src (ts) and dist (js).
 */
export function productionNodeFlags(): string[] {
  const root = [join(__dirname, '..', '..'), join(__dirname, '..', '..', '..')].find((dir) => {
    try {
      return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name === 'waypoint';
    } catch {
      return false;
    }
  });
  if (!root) throw new Error(`package.json of waypoint not found above ${__dirname}`);
  const script: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['start:prod'];
  const match = /^node((?:\s+--\S+)*)\s+dist\/src\/main\.js$/.exec(script.trim());
  if (!match) throw new Error(`start:prod is not "node [--flags] dist/src/main.js": ${script}`);
  return match[1].trim().split(/\s+/).filter(Boolean);
}
