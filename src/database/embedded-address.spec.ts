import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRunningEmbedded, publishEmbeddedAddress } from './embedded-address';

describe("a running server's embedded database address", () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'waypoint-address-'));
  const write = (dataDir: string, pid: number, host = hostname()) =>
    writeFileSync(join(dataDir, 'embedded-postgres.json'), JSON.stringify({ pid, host, url: 'postgresql://postgres@127.0.0.1:40000/postgres' }));

  it('is found while its process lives on this host', () => {
    const dataDir = dir();
    write(dataDir, process.ppid);
    expect(findRunningEmbedded(dataDir)).toBe('postgresql://postgres@127.0.0.1:40000/postgres');
  });

  it('is ignored when its process is gone, is on another host, or is missing or damaged', () => {
    const gone = spawnSync(process.execPath, ['-e', '0']).pid!;
    const dataDir = dir();
    write(dataDir, gone);
    expect(findRunningEmbedded(dataDir)).toBeNull();
    write(dataDir, process.ppid, 'another-host');
    expect(findRunningEmbedded(dataDir)).toBeNull();
    writeFileSync(join(dataDir, 'embedded-postgres.json'), '{"pid":');
    expect(findRunningEmbedded(dataDir)).toBeNull();
    expect(findRunningEmbedded(dir())).toBeNull();
  });

  it('is removed by the process that published it, and only by it', () => {
    const dataDir = dir();
    const unpublish = publishEmbeddedAddress(dataDir, 'postgresql://postgres@127.0.0.1:40001/postgres');
    write(dataDir, process.ppid); // taken over meanwhile
    unpublish();
    expect(existsSync(join(dataDir, 'embedded-postgres.json'))).toBe(true);
    const again = publishEmbeddedAddress(dataDir, 'postgresql://postgres@127.0.0.1:40001/postgres');
    again();
    expect(existsSync(join(dataDir, 'embedded-postgres.json'))).toBe(false);
  });
});
