import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { flagsToEnv, loadSettings, SETTING_DOCS } from './settings';

const dataDir = () => mkdtempSync(join(tmpdir(), 'waypoint-settings-'));

describe('settings', () => {
  it('defaults to the seed’s socketio.run(): 127.0.0.1:5000, 50 ms ticks, contract limits', () => {
    const s = loadSettings({ DATA_DIR: dataDir() });
    expect(s).toMatchObject({
      host: '127.0.0.1',
      port: 5000,
      databaseUrl: null,
      broadcastIntervalMs: 50,
      world: { min: -100_000, max: 100_000 },
      rateLimit: { perSecond: 60, burst: 120 },
      maxSpeed: null,
      maxPositionPayloadBytes: 1024,
      areaOfInterestCellSize: null,
    });
  });

  it('lets flags win over env', () => {
    const s = loadSettings({ DATA_DIR: dataDir(), PORT: '7000', HOST: '0.0.0.0' }, ['--port', '7001', '--host=::1']);
    expect([s.host, s.port]).toEqual(['::1', 7001]);
  });

  it('generates a JWT secret once and reuses it from the data folder', () => {
    const dir = dataDir();
    const first = loadSettings({ DATA_DIR: dir });
    const second = loadSettings({ DATA_DIR: dir });
    expect(first.jwt.generated).toBe(true);
    expect(second.jwt.secret).toBe(first.jwt.secret);
    expect(readFileSync(join(dir, 'jwt-secret'), 'utf8').trim()).toBe(first.jwt.secret);
  });

  it.each([
    [{ PORT: '70000' }, /PORT: 70000 is above the maximum 65535/],
    [{ WORLD_MIN: '10', WORLD_MAX: '5' }, /WORLD_MIN: must be below WORLD_MAX/],
    [{ MAX_SPEED: 'fast' }, /MAX_SPEED: "fast" is not a number/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ DATABASE_SCHEMA: 'x; DROP' }, /DATABASE_SCHEMA/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET: must be at least 16/],
    [{ NODE_ENV: 'production' }, /JWT_SECRET: is required when NODE_ENV=production/],
    [{ MAX_POSITION_PAYLOAD_BYTES: '100' }, /below the minimum 256/],
    [{ MAX_HTTP_HEADER_BYTES: '8192' }, /MAX_HTTP_HEADER_BYTES: 8192 is below the minimum 16384/],
    [{ DATABASE_URL: 'notaurl' }, /^Setting DATABASE_URL: must start with postgresql:\/\/ or postgres:\/\/ or socket:, like postgresql:/],
    [{ DATABASE_URL: 'mysql://u:secret@h/d' }, /^Setting DATABASE_URL: must start with postgresql:\/\//],
    [{ REDIS_URL: 'localhost:6379' }, /^Setting REDIS_URL: must start with redis:\/\/ or rediss:\/\/ or \//],
    [{ TRUST_PROXY: 'nginx' }, /^Setting TRUST_PROXY: "nginx" is not a hop count/],
    [{ TRUST_PROXY: '10.0.0.0/40' }, /^Setting TRUST_PROXY: "10.0.0.0\/40"/],
    [{ AUTH_THROTTLE_PER_ADDRESS: '-1' }, /AUTH_THROTTLE_PER_ADDRESS: -1 is below the minimum 0/],
    [{ HEALTH_REDIS_TIMEOUT_MS: '20000' }, /HEALTH_REDIS_TIMEOUT_MS: 20000 is above the maximum 10000/],
  ])('refuses %j with a message naming the setting', (env, message) => {
    expect(() => loadSettings({ DATA_DIR: dataDir(), ...env })).toThrow(message);
  });

  it('takes the connection strings the drivers take, Unix sockets included', () => {
    for (const url of ['postgresql://user@/waypoint?host=/var/run/postgresql', 'postgres://u:pw@db:5433/w?sslmode=require', 'postgresql:///waypoint', 'socket:/var/run/postgresql?db=w']) {
      expect(loadSettings({ DATA_DIR: dataDir(), DATABASE_URL: url }).databaseUrl).toBe(url);
    }
    for (const url of ['redis://h:6379', 'rediss://:pw@h:6380/1', '/tmp/redis.sock']) expect(loadSettings({ DATA_DIR: dataDir(), REDIS_URL: url }).redisUrl).toBe(url);
  });

  it('never repeats a refused URL, which may hold a password', () => {
    expect(() => loadSettings({ DATA_DIR: dataDir(), DATABASE_URL: 'mysql://u:secret@h/d' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secret') }));
    expect(() => loadSettings({ DATA_DIR: dataDir(), DATABASE_URL: 'u:secret@h' })).toThrow(expect.objectContaining({ message: expect.not.stringContaining('secret') }));
  });

  it('reads TRUST_PROXY as a hop count or a list of addresses, subnets and keywords; unset is none', () => {
    expect(loadSettings({ DATA_DIR: dataDir() }).trustProxy).toBeNull();
    expect(loadSettings({ DATA_DIR: dataDir(), TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadSettings({ DATA_DIR: dataDir(), TRUST_PROXY: 'loopback, 10.0.0.0/8,::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '::1']);
  });

  it('defaults the auth throttles to 120 requests per address and 10 failed logins per username a minute', () => {
    expect(loadSettings({ DATA_DIR: dataDir() }).authThrottle).toEqual({ perAddress: 120, perUsername: 10 });
  });

  it('treats MAX_SPEED and AREA_OF_INTEREST_CELL_SIZE of 0 or "off" as off', () => {
    const s = loadSettings({ DATA_DIR: dataDir(), MAX_SPEED: '0', AREA_OF_INTEREST_CELL_SIZE: 'off' });
    expect([s.maxSpeed, s.areaOfInterestCellSize]).toEqual([null, null]);
  });

  it('cuts off floods at three times what the rate limit lets through in a window, unless set', () => {
    expect(loadSettings({ DATA_DIR: dataDir() }).flood).toEqual({ maxMessagesPerSecond: 540, windowMs: 1000, cooldownMs: 10000 });
    expect(loadSettings({ DATA_DIR: dataDir(), RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' }).flood.maxMessagesPerSecond).toBe(6_000);
    expect(loadSettings({ DATA_DIR: dataDir(), FLOOD_MAX_MESSAGES_PER_SECOND: '500', FLOOD_WINDOW_MS: '1000' }).flood).toEqual({ maxMessagesPerSecond: 500, windowMs: 1000, cooldownMs: 10000 });
    expect(loadSettings({ DATA_DIR: dataDir(), FLOOD_MAX_MESSAGES_PER_SECOND: 'off' }).flood.maxMessagesPerSecond).toBeNull();
    // 100/s over 1 s is 100, below the 120 + 60 = 180 the rate limit lets through.
    expect(() => loadSettings({ DATA_DIR: dataDir(), FLOOD_MAX_MESSAGES_PER_SECOND: '100' })).toThrow(/FLOOD_MAX_MESSAGES_PER_SECOND: .*not above what the rate limit lets through in that window \(180 messages/);
  });

  it('keeps MAX_MESSAGE_BYTES small but above a position payload and its framing', () => {
    expect(loadSettings({ DATA_DIR: dataDir() }).maxMessageBytes).toBe(16_384);
    expect(() => loadSettings({ DATA_DIR: dataDir(), MAX_POSITION_PAYLOAD_BYTES: '16384' })).toThrow(/MAX_MESSAGE_BYTES: 16384 must be at least MAX_POSITION_PAYLOAD_BYTES \+ 1024 \(17408\)/);
    expect(loadSettings({ DATA_DIR: dataDir(), MAX_POSITION_PAYLOAD_BYTES: '16384', MAX_MESSAGE_BYTES: '65536' }).maxMessageBytes).toBe(65_536);
  });

  it('is listed in the settings table of docs/operating.md exactly as SETTING_DOCS says, row for row', () => {
    const readme = readFileSync(join(process.cwd(), 'docs', 'operating.md'), 'utf8');
    const rows = readme.split('\n').filter((line) => /^\| `[A-Z][A-Z0-9_]*` \|/.test(line));
    const code = (text: string) => (text.startsWith('(') ? text : `\`${text}\``);
    expect(rows).toEqual(SETTING_DOCS.map((d) => `| \`${d.env}\` | ${d.flag ? `\`${d.flag}\`` : ''} | ${code(d.default)} | ${d.meaning} |`));
  });

  it('documents every flag it accepts', () => {
    expect(flagsToEnv(['--port', '1', '--host', 'h', '--data-dir', 'd', '--database-url', 'u'])).toEqual({
      PORT: '1',
      HOST: 'h',
      DATA_DIR: 'd',
      DATABASE_URL: 'u',
    });
    expect(SETTING_DOCS.map((d) => d.env)).toContain('BROADCAST_INTERVAL_MS');
  });
});
