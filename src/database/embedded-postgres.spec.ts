import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { claimDataDir, DataDirInUse } from './embedded-postgres';

describe('the embedded database folder claim (DATA_DIR/waypoint.pid)', () => {
  const folder = () => mkdtempSync(join(tmpdir(), 'waypoint-claim-'));
  const pidFile = (dir: string) => join(dir, 'waypoint.pid');

  it('is written whole with this process, refused to a second claim, and removed on release', () => {
    const dir = folder();
    const release = claimDataDir(dir);
    expect(JSON.parse(readFileSync(pidFile(dir), 'utf8'))).toEqual({ pid: process.pid, host: hostname() });
    expect(() => claimDataDir(dir)).toThrow(DataDirInUse);
    release();
    expect(existsSync(pidFile(dir))).toBe(false);
    claimDataDir(dir)();
  });

  it('takes over a file left by a process that is gone', () => {
    const dir = folder();
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(pidFile(dir), JSON.stringify({ pid: gone, host: hostname() }));
    const release = claimDataDir(dir);
    expect(JSON.parse(readFileSync(pidFile(dir), 'utf8')).pid).toBe(process.pid);
    release();
  });

  it.each([
    ['a live process', () => JSON.stringify({ pid: process.ppid, host: hostname() }), `process ${process.ppid} on ${hostname()}`],
    ['a process on another host (a container sharing the folder)', () => JSON.stringify({ pid: 1, host: 'elsewhere' }), 'process 1 on elsewhere'],
    ['a file it cannot read as a claim', () => 'garbage', 'another process'],
  ])('refuses a folder held by %s, saying how to go on', (_, content, who) => {
    const dir = folder();
    writeFileSync(pidFile(dir), content());
    expect(() => claimDataDir(dir)).toThrow(`is in use by ${who}: stop it first`);
    expect(() => claimDataDir(dir)).toThrow(`If no Waypoint is running, delete ${pidFile(dir)}`);
    expect(readFileSync(pidFile(dir), 'utf8')).toBe(content());
  });
});
