import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * Every tunable of Waypoint, read and validated once at start-up.
 * Each entry names its env variable, its default and why it exists; the
 * settings table of docs/operating.md is written from this list.
 */
export interface Settings {
  host: string;
  port: number;
  /** Empty = run on the embedded PostgreSQL (PGlite) kept in `dataDir`. */
  databaseUrl: string | null;
  /** PostgreSQL schema the tables live in (tests give each suite its own). */
  databaseSchema: string;
  /** PostgreSQL ends a session idle inside a transaction this long; 0 = never. */
  databaseIdleTransactionTimeoutMs: number;
  /** Time bounds of every database operation (see DATABASE_*_TIMEOUT_MS). */
  database: { connectTimeoutMs: number; queryTimeoutMs: number; healthTimeoutMs: number };
  dataDir: string;
  production: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  jwt: { secret: string; expiresInSeconds: number; generated: boolean };
  passwordHash: { memoryCostKiB: number; timeCost: number };
  /** Per minute; 0 = off. `perAddress`: auth requests from one client address; `perUsername`: failed logins for one username. */
  authThrottle: { perAddress: number; perUsername: number };
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client address; null = none (the connecting address). */
  trustProxy: number | string[] | null;
  broadcastIntervalMs: number;
  appendBatch: { windowMs: number; maxEvents: number; maxQueuedEvents: number; lanes: number; timeoutMs: number; outcomeCheckMs: number };
  world: { min: number; max: number };
  rateLimit: { perSecond: number; burst: number };
  /** Units per second; null = no speed check. */
  maxSpeed: number | null;
  maxPositionPayloadBytes: number;
  /** Messages one connection may send per second, averaged over `windowMs`, before it is cut off as flooding; null = off. */
  flood: { maxMessagesPerSecond: number | null; windowMs: number; cooldownMs: number };
  /** Socket.IO's maxHttpBufferSize: larger frames are refused by the transport. */
  maxMessageBytes: number;
  /** Largest JSON request body over HTTP. */
  maxHttpBodyBytes: number;
  /** Deepest nesting of objects and arrays a JSON request body may have. */
  maxJsonBodyDepth: number;
  /** Largest request line and headers over HTTP (Node's maxHeaderSize). */
  maxHttpHeaderBytes: number;
  /** Movement exports one node streams at once. */
  maxConcurrentExports: number;
  /** How long a replay read at the live edge waits for appends in flight before answering 503. */
  replayLiveEdgeWaitMs: number;
  /** Longest [from, to) the analytics endpoints (heatmap, visits, trajectory) accept, in hours. */
  analyticsMaxRangeHours: number;
  /** Most cells one heatmap answer holds. */
  heatmapMaxCells: number;
  /** Most points one trajectory answer holds. */
  trajectoryMaxPoints: number;
  /** Grid cell size in world units; null = area of interest off (everyone sees everyone). */
  areaOfInterestCellSize: number | null;
  /** Packets queued to one client before broadcasts to it are coalesced (latest per player) instead of queued. */
  slowClientMaxQueuedPackets: number;
  bootstrapAnalysts: string[];
  redisUrl: string | null;
  /** How long a node waits for every other node to answer "who is online" (the Redis adapter's requestsTimeout). */
  clusterRequestTimeoutMs: number;
  /** How long a stop may take before the process exits anyway. */
  shutdownTimeoutMs: number;
  /** With REDIS_URL: how long /health/ready waits for Redis to answer its ping. */
  healthRedisTimeoutMs: number;
}

export type LogLevel = 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export type LogFormat = 'auto' | 'json' | 'pretty';

export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`Setting ${setting}: ${reason}`);
  }
}

export interface SettingDoc {
  env: string;
  flag?: string;
  default: string;
  meaning: string;
}

/** APPEND_OUTCOME_CHECK_MS's default, also for an event store made without settings (tools). */
export const DEFAULT_OUTCOME_CHECK_MS = 5_000;

/** REPLAY_LIVE_EDGE_WAIT_MS's default, also for event queries made without settings (tools). */
export const DEFAULT_LIVE_EDGE_WAIT_MS = 5_000;

/** The documented settings, in the order docs/operating.md lists them. */
export const SETTING_DOCS: SettingDoc[] = [
  { env: 'HOST', flag: '--host', default: '127.0.0.1', meaning: 'Interface HTTP and Socket.IO listen on.' },
  { env: 'PORT', flag: '--port', default: '5000', meaning: 'Port HTTP and Socket.IO share.' },
  { env: 'DATABASE_URL', flag: '--database-url', default: '(none)', meaning: 'PostgreSQL to use, as a postgresql:// (or socket:) connection string. Unset: an embedded PostgreSQL (PGlite) in DATA_DIR.' },
  { env: 'DATABASE_SCHEMA', default: 'public', meaning: 'Schema holding Waypoint tables (created if missing).' },
  { env: 'DATABASE_IDLE_TRANSACTION_TIMEOUT_MS', default: '10000', meaning: 'PostgreSQL ends a session of this server left idle inside a transaction this long (idle_in_transaction_session_timeout), so a node that froze or lost its link mid-batch cannot hold replays at the live edge (REPLAY_LIVE_EDGE_WAIT_MS) for long; 0 = never. Far above any batch window. PostgreSQL only.' },
  { env: 'DATABASE_CONNECT_TIMEOUT_MS', default: '2000', meaning: 'Opening a database connection gives up after this long (the connection is then refused as not answering).' },
  { env: 'DATABASE_QUERY_TIMEOUT_MS', default: '10000', meaning: 'Any database query without an answer after this long fails, and its connection is closed and replaced: a database host that crashed or a network that dropped the connection leaves it open and silent. Replay pages, snapshots and analytics must answer within it; exports stream and are not bound by it.' },
  { env: 'HEALTH_DATABASE_TIMEOUT_MS', default: '800', meaning: '`/health` and `/health/ready` answer 503 when the database has not answered their probe within this long (they answer at once while the write path knows the database is down).' },
  { env: 'DATA_DIR', flag: '--data-dir', default: './.waypoint-data', meaning: 'Embedded database files and the generated JWT secret.' },
  { env: 'JWT_SECRET', default: '(generated)', meaning: 'HMAC secret for access tokens. Unset: generated once into DATA_DIR with a warning; required when NODE_ENV=production.' },
  { env: 'JWT_EXPIRES_IN_SECONDS', default: '3600', meaning: 'Access token lifetime.' },
  { env: 'PASSWORD_HASH_MEMORY_KIB', default: '19456', meaning: 'argon2id memory cost (OWASP minimum is 19 MiB).' },
  { env: 'PASSWORD_HASH_TIME_COST', default: '2', meaning: 'argon2id iterations.' },
  { env: 'AUTH_THROTTLE_PER_ADDRESS', default: '120', meaning: 'POST /auth/login and /auth/register requests per minute from one client address; one more is answered 429 with Retry-After, before any password is hashed. 0 = off (load tests that log thousands of players in from one address).' },
  { env: 'TRUST_PROXY', default: '(none)', meaning: 'Proxies in front of the server whose X-Forwarded-For header gives the client address (for AUTH_THROTTLE_PER_ADDRESS and the logs): a number of hops, or a comma-separated list of addresses, subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal. Unset: the connecting address, so every client behind a balancer counts as one.' },
  { env: 'AUTH_THROTTLE_PER_USERNAME', default: '10', meaning: 'Failed logins per minute for one username (whatever the address); beyond it logins for that username are answered 429 with Retry-After, before the password is checked, until the minute is over. 0 = off.' },
  { env: 'BROADCAST_INTERVAL_MS', default: '50', meaning: 'Length of a broadcast tick: at most one players:moved per tick (consecutive slots of this many ms of the clock), sent as soon as a recorded batch finds its tick without one; 0 = one emit per movement, at once.' },
  { env: 'APPEND_BATCH_WINDOW_MS', default: '50', meaning: 'At most one batch of movements is committed per this many ms, its window (a position after a quiet spell is committed at once). Equal to BROADCAST_INTERVAL_MS: one commit per broadcast.' },
  { env: 'APPEND_BATCH_MAX_EVENTS', default: '5000', meaning: 'A batch is appended at once when it reaches this many events.' },
  { env: 'APPEND_LANES', default: '1', meaning: 'Batches of movements in flight at once; players are spread over the lanes and each player\'s events stay in order.' },
  { env: 'APPEND_QUEUE_MAX_EVENTS', default: '50000', meaning: 'Movements waiting to be recorded, at most; beyond it new positions are refused at once with `unavailable` instead of queueing without bound.' },
  { env: 'APPEND_TIMEOUT_MS', default: '2000', meaning: 'A batch of movements whose append and commit the database has not answered within this long counts as lost on the way: the server asks the database whether it committed (APPEND_OUTCOME_CHECK_MS), refuses new positions with `unavailable` at once until the database answers again, and resumes by itself when it does.' },
  { env: 'APPEND_OUTCOME_CHECK_MS', default: String(DEFAULT_OUTCOME_CHECK_MS), meaning: 'When the reply to a batch\'s COMMIT is lost (the connection failed), how long the server keeps trying to learn from the database whether the batch was recorded; found, it is acknowledged; not found or not learned in time, refused with `unavailable`. PostgreSQL only.' },
  { env: 'WORLD_MIN', default: '-100000', meaning: 'Lowest coordinate on each axis (x, y, z).' },
  { env: 'WORLD_MAX', default: '100000', meaning: 'Highest coordinate on each axis (x, y, z).' },
  { env: 'RATE_LIMIT_PER_SECOND', default: '60', meaning: 'Position updates per second per player (token bucket refill).' },
  { env: 'RATE_LIMIT_BURST', default: '120', meaning: 'Token bucket size: updates a player may send in a burst.' },
  { env: 'MAX_SPEED', default: '(off)', meaning: 'Units per second allowed between consecutive accepted positions (too_fast).' },
  { env: 'FLOOD_MAX_MESSAGES_PER_SECOND', default: '(3 × rate limit)', meaning: 'Socket.IO messages (of any event) one connection may send per second, counted over FLOOD_WINDOW_MS; above it the connection is told `error` `flooding` once and disconnected, and may reconnect (after FLOOD_COOLDOWN_MS). Below it the rate limit answers every message as usual (`rate_limited`). Unset: three times what the rate limit lets through in one window (RATE_LIMIT_BURST plus FLOOD_WINDOW_MS of RATE_LIMIT_PER_SECOND), per second: 540 with the defaults. Every message up to the cut-off is still decoded and answered, so the lower it is, the less a flood costs the others. A value set must be above that allowance; 0 or off = no cut-off.' },
  { env: 'FLOOD_WINDOW_MS', default: '1000', meaning: 'Window FLOOD_MAX_MESSAGES_PER_SECOND is counted over: a connection that sends more than that rate times this window within one window is flooding, so a short burst (a reconnect flushing its buffer) is not. 100 to 60000.' },
  { env: 'FLOOD_COOLDOWN_MS', default: '10000', meaning: 'After a cut-off for flooding, new connections of the same player are refused with `connect_error` `flooding` (its `data.retryAfterMs` says for how long) for this long, so a flooder that reconnects at once costs one handshake, not a session per cycle; 0 = reconnect at once.' },
  { env: 'MAX_POSITION_PAYLOAD_BYTES', default: '1024', meaning: 'Largest position payload (its JSON) accepted; at least 256.' },
  { env: 'MAX_MESSAGE_BYTES', default: '16384', meaning: 'Largest Socket.IO frame (or long-polling request body) the transport reads; above it the transport closes the connection without reading the rest. The largest message a client sends is a position (at most MAX_POSITION_PAYLOAD_BYTES plus some 40 bytes of framing) or the handshake (its token and options, under 1 KiB); long-polling clients split their batches to this size. At least MAX_POSITION_PAYLOAD_BYTES + 1024, so a position just over its own limit is answered invalid_position instead.' },
  { env: 'MAX_HTTP_BODY_BYTES', default: '65536', meaning: 'Largest JSON request body over HTTP; above it the answer is 413.' },
  { env: 'MAX_JSON_BODY_DEPTH', default: '32', meaning: 'Deepest nesting of objects and arrays in a JSON request body; deeper is answered 400 before anything reads it (the API\'s own bodies are flat objects). 2 to 512.' },
  { env: 'MAX_HTTP_HEADER_BYTES', default: '65536', meaning: 'Largest HTTP request line and headers together; above it the answer is 431. The default fits a `players` list of 1,000 ids in the URL. At least 16384 (Node.js\'s own default).' },
  { env: 'MAX_CONCURRENT_EXPORTS', default: '4', meaning: 'NDJSON/CSV exports one node streams at once; one more is answered 429. Each keeps up to two of the 10 pooled database connections busy, so the default leaves two for the game.' },
  { env: 'ANALYTICS_MAX_RANGE_HOURS', default: '24', meaning: 'Longest time range (`to` − `from`) of GET /world/heatmap, GET /world/visits and GET /players/:id/trajectory; a longer one is answered 400. Each answer reads every movement of its range, so this bounds the work of one request. Whole hours, 1 to 8760.' },
  { env: 'HEATMAP_MAX_CELLS', default: '100000', meaning: 'Most non-empty cells one GET /world/heatmap answer holds; a range and cell size that fill more are answered 400 (ask for a larger `cell` or a shorter range).' },
  { env: 'TRAJECTORY_MAX_POINTS', default: '100000', meaning: 'Most movements one GET /players/:id/trajectory answer holds; a range with more is answered 400 (ask for a shorter range, or stream the movements as NDJSON or CSV).' },
  { env: 'REPLAY_LIVE_EDGE_WAIT_MS', default: String(DEFAULT_LIVE_EDGE_WAIT_MS), meaning: 'A replay read across players (a page, an export, a snapshot of a past instant) that reaches the live edge first waits for appends still in flight to commit, so that no event can later appear behind its cursor; if they take longer than this, the answer is 503 and the read can be retried. At least 10. PostgreSQL only.' },
  { env: 'AREA_OF_INTEREST_CELL_SIZE', default: '(off)', meaning: 'Grid cell size; when set a client gets players:moved only for its own and neighbouring cells.' },
  { env: 'SLOW_CLIENT_MAX_QUEUED_PACKETS', default: '8', meaning: 'Packets waiting to be written to one client before it counts as slow: it then gets only the latest position per player once it catches up, and older unsent ones are dropped.' },
  { env: 'BOOTSTRAP_ANALYSTS', default: '(none)', meaning: 'Comma-separated usernames given the analyst role at start.' },
  { env: 'REDIS_URL', default: '(none)', meaning: 'Redis for running several nodes (a redis:// or rediss:// URL, or a socket path): Socket.IO adapter and cross-node takeover. It must answer when a node starts.' },
  { env: 'CLUSTER_REQUEST_TIMEOUT_MS', default: '2000', meaning: 'With REDIS_URL: how long a node waits for every other node to say who is online on it (at each connect, for one session per player and `welcome`, and for `GET /players`; also how long `GET /monitor/stats` waits for the figures of the other nodes). A node that is subscribed but does not answer in time (frozen, or cut off without its Redis connection closing) makes connects answer `unavailable` and `GET /players` 503 until it answers or Redis drops it. 100 to 60000.' },
  { env: 'SHUTDOWN_TIMEOUT_MS', default: '10000', meaning: 'On SIGTERM or SIGINT the server stops taking connections, records and acknowledges what it queued, and exits; if that takes longer than this (a database that does not answer), it exits anyway with code 1.' },
  { env: 'HEALTH_REDIS_TIMEOUT_MS', default: '500', meaning: 'With REDIS_URL: `/health/ready` answers 503 naming redis when Redis has not answered its ping within this long (at once while this node is not connected to it). 50 to 10000.' },
  { env: 'LOG_LEVEL', default: 'log', meaning: 'error, warn, log, debug or verbose. Each HTTP request is logged when answered (method, URL with credentials blanked, status, time, address, user agent): at debug, at log for a 4xx answer, at error for a 5xx one.' },
  { env: 'LOG_FORMAT', default: 'auto', meaning: 'json (one object per line), pretty (one readable line each, and a start-up banner with the addresses to open), or auto: pretty on a terminal, json otherwise (a pipe, a file, a container log).' },
];

type Env = Record<string, string | undefined>;

/** `--port 5001`, `--port=5001` → PORT=5001 (flags win over env). */
export function flagsToEnv(argv: string[]): Env {
  const env: Env = {};
  const byFlag = new Map(SETTING_DOCS.filter((d) => d.flag).map((d) => [d.flag!, d.env]));
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    const name = byFlag.get(flag);
    if (!name) throw new SettingsError(flag, `unknown flag; known: ${[...byFlag.keys()].join(', ')}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new SettingsError(flag, 'needs a value');
    env[name] = value;
  }
  return env;
}

function text(env: Env, name: string, fallback: string): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/**
 * An optional connection setting: unset or empty is null; otherwise it must start with
 * one of `forms` (a scheme such as postgresql://, or / for a Unix socket path). Only
 * the form is checked: the drivers accept more than the WHATWG URL parser does (a
 * username with the host left to a ?host= socket folder, say), and the value is not
 * repeated in the message, as it may hold a password.
 */
function connectionSetting(env: Env, name: string, forms: string[], example: string): string | null {
  const value = env[name];
  if (value === undefined || value === '') return null;
  if (!forms.some((form) => value.toLowerCase().startsWith(form))) {
    throw new SettingsError(name, `must start with ${forms.join(' or ')}, like ${example}`);
  }
  return value;
}

function number(env: Env, name: string, fallback: number, opts: { min?: number; max?: number; integer?: boolean } = {}): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new SettingsError(name, `"${raw}" is not a number`);
  if (opts.integer && !Number.isInteger(value)) throw new SettingsError(name, `"${raw}" must be a whole number`);
  if (opts.min !== undefined && value < opts.min) throw new SettingsError(name, `${value} is below the minimum ${opts.min}`);
  if (opts.max !== undefined && value > opts.max) throw new SettingsError(name, `${value} is above the maximum ${opts.max}`);
  return value;
}

function optionalPositive(env: Env, name: string): number | null {
  const raw = env[name];
  if (raw === undefined || raw === '' || raw === 'off' || raw === '0') return null;
  return number(env, name, 0, { min: Number.MIN_VALUE });
}

/**
 * Reads the JWT secret, generating and keeping one in the data folder when none is
 * set so tokens survive restarts on a laptop. Production must set its own.
 */
function jwtSecret(env: Env, dataDir: string, production: boolean): { secret: string; generated: boolean } {
  const configured = env.JWT_SECRET;
  if (configured) {
    if (configured.length < 16) throw new SettingsError('JWT_SECRET', 'must be at least 16 characters');
    return { secret: configured, generated: false };
  }
  if (production) {
    throw new SettingsError('JWT_SECRET', 'is required when NODE_ENV=production; set it to a long random string');
  }
  const file = join(dataDir, 'jwt-secret');
  if (existsSync(file)) return { secret: readFileSync(file, 'utf8').trim(), generated: true };
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return { secret, generated: true };
}

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY: a hop count, or addresses, subnets and Express's keywords. */
function trustProxy(env: Env): number | string[] | null {
  const raw = text(env, 'TRUST_PROXY', '').trim();
  if (raw === '') return null;
  if (/^\d+$/.test(raw)) return number(env, 'TRUST_PROXY', 0, { min: 0, max: 100, integer: true });
  const entries = raw.split(',').map((entry) => entry.trim());
  for (const entry of entries) {
    const [address, bits, more] = entry.split('/');
    const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 6 ? 128 : 32));
    if (!PROXY_KEYWORDS.has(entry) && (isIP(address) === 0 || !validBits || more !== undefined)) {
      throw new SettingsError('TRUST_PROXY', `"${entry}" is not a hop count, an address, a subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal`);
    }
  }
  return entries;
}

/**
 * The flood cut-off must sit above everything the rate limit lets through in one window
 * (a full bucket, then its refill), or it would cut off clients the rate limit accepts.
 */
function floodSettings(env: Env, rateLimit: Settings['rateLimit']): Settings['flood'] {
  const windowMs = number(env, 'FLOOD_WINDOW_MS', 1_000, { min: 100, max: 60_000, integer: true });
  const cooldownMs = number(env, 'FLOOD_COOLDOWN_MS', 10_000, { min: 0, max: 3_600_000, integer: true });
  const allowed = rateLimit.burst + (rateLimit.perSecond * windowMs) / 1000;
  const raw = env.FLOOD_MAX_MESSAGES_PER_SECOND;
  if (raw === undefined || raw === '') return { maxMessagesPerSecond: (3 * allowed * 1000) / windowMs, windowMs, cooldownMs };
  const maxMessagesPerSecond = optionalPositive(env, 'FLOOD_MAX_MESSAGES_PER_SECOND');
  if (maxMessagesPerSecond !== null && (maxMessagesPerSecond * windowMs) / 1000 <= allowed) {
    throw new SettingsError(
      'FLOOD_MAX_MESSAGES_PER_SECOND',
      `${maxMessagesPerSecond} per second over FLOOD_WINDOW_MS (${windowMs} ms) is not above what the rate limit lets through in that window (${allowed} messages: RATE_LIMIT_BURST plus RATE_LIMIT_PER_SECOND); raise it well above, or leave it unset`,
    );
  }
  return { maxMessagesPerSecond, windowMs, cooldownMs };
}

export function loadSettings(env: Env = process.env, argv: string[] = []): Settings {
  const merged: Env = { ...env, ...flagsToEnv(argv) };
  const production = merged.NODE_ENV === 'production';
  const dataDir = resolve(text(merged, 'DATA_DIR', './.waypoint-data'));

  const schema = text(merged, 'DATABASE_SCHEMA', 'public');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new SettingsError('DATABASE_SCHEMA', `"${schema}" must be a lower-case SQL identifier`);
  }
  const worldMin = number(merged, 'WORLD_MIN', -100_000);
  const worldMax = number(merged, 'WORLD_MAX', 100_000);
  if (worldMin >= worldMax) throw new SettingsError('WORLD_MIN', `must be below WORLD_MAX (${worldMin} >= ${worldMax})`);
  const logLevel = text(merged, 'LOG_LEVEL', 'log') as LogLevel;
  if (!['error', 'warn', 'log', 'debug', 'verbose'].includes(logLevel)) {
    throw new SettingsError('LOG_LEVEL', `"${logLevel}" is not one of error, warn, log, debug, verbose`);
  }
  const logFormat = text(merged, 'LOG_FORMAT', 'auto') as LogFormat;
  if (!['auto', 'json', 'pretty'].includes(logFormat)) throw new SettingsError('LOG_FORMAT', `"${logFormat}" is not one of auto, json, pretty`);
  const maxPositionPayloadBytes = number(merged, 'MAX_POSITION_PAYLOAD_BYTES', 1024, { min: 256, integer: true });
  const maxMessageBytes = number(merged, 'MAX_MESSAGE_BYTES', 16_384, { integer: true });
  if (maxMessageBytes < maxPositionPayloadBytes + 1024) {
    throw new SettingsError(
      'MAX_MESSAGE_BYTES',
      `${maxMessageBytes} must be at least MAX_POSITION_PAYLOAD_BYTES + 1024 (${maxPositionPayloadBytes + 1024}), or a position just over its own limit would close the connection instead of being answered invalid_position`,
    );
  }
  const rateLimit = {
    perSecond: number(merged, 'RATE_LIMIT_PER_SECOND', 60, { min: Number.MIN_VALUE }),
    burst: number(merged, 'RATE_LIMIT_BURST', 120, { min: 1 }),
  };

  return {
    host: text(merged, 'HOST', '127.0.0.1'),
    port: number(merged, 'PORT', 5000, { min: 0, max: 65535, integer: true }),
    databaseUrl: connectionSetting(merged, 'DATABASE_URL', ['postgresql://', 'postgres://', 'socket:'], 'postgresql://user@host:5432/database'),
    databaseSchema: schema,
    databaseIdleTransactionTimeoutMs: number(merged, 'DATABASE_IDLE_TRANSACTION_TIMEOUT_MS', 10_000, { min: 0, max: 86_400_000, integer: true }),
    database: {
      connectTimeoutMs: number(merged, 'DATABASE_CONNECT_TIMEOUT_MS', 2_000, { min: 100, max: 600_000, integer: true }),
      queryTimeoutMs: number(merged, 'DATABASE_QUERY_TIMEOUT_MS', 10_000, { min: 100, max: 3_600_000, integer: true }),
      healthTimeoutMs: number(merged, 'HEALTH_DATABASE_TIMEOUT_MS', 800, { min: 50, max: 60_000, integer: true }),
    },
    dataDir,
    production,
    logLevel,
    logFormat,
    jwt: {
      ...jwtSecret(merged, dataDir, production),
      expiresInSeconds: number(merged, 'JWT_EXPIRES_IN_SECONDS', 3600, { min: 1, integer: true }),
    },
    passwordHash: {
      memoryCostKiB: number(merged, 'PASSWORD_HASH_MEMORY_KIB', 19_456, { min: 1024, integer: true }),
      timeCost: number(merged, 'PASSWORD_HASH_TIME_COST', 2, { min: 1, integer: true }),
    },
    trustProxy: trustProxy(merged),
    authThrottle: {
      perAddress: number(merged, 'AUTH_THROTTLE_PER_ADDRESS', 120, { min: 0, max: 1_000_000, integer: true }),
      perUsername: number(merged, 'AUTH_THROTTLE_PER_USERNAME', 10, { min: 0, max: 1_000_000, integer: true }),
    },
    broadcastIntervalMs: number(merged, 'BROADCAST_INTERVAL_MS', 50, { min: 0, max: 10_000, integer: true }),
    appendBatch: {
      windowMs: number(merged, 'APPEND_BATCH_WINDOW_MS', 50, { min: 0, max: 1000 }),
      maxEvents: number(merged, 'APPEND_BATCH_MAX_EVENTS', 5000, { min: 1, max: 50_000, integer: true }),
      maxQueuedEvents: number(merged, 'APPEND_QUEUE_MAX_EVENTS', 50_000, { min: 1, integer: true }),
      lanes: number(merged, 'APPEND_LANES', 1, { min: 1, max: 16, integer: true }),
      timeoutMs: number(merged, 'APPEND_TIMEOUT_MS', 2_000, { min: 100, max: 600_000, integer: true }),
      outcomeCheckMs: number(merged, 'APPEND_OUTCOME_CHECK_MS', DEFAULT_OUTCOME_CHECK_MS, { min: 0, max: 600_000, integer: true }),
    },
    world: { min: worldMin, max: worldMax },
    rateLimit,
    maxSpeed: optionalPositive(merged, 'MAX_SPEED'),
    flood: floodSettings(merged, rateLimit),
    maxPositionPayloadBytes,
    maxMessageBytes,
    maxHttpBodyBytes: number(merged, 'MAX_HTTP_BODY_BYTES', 65_536, { min: 1024, integer: true }),
    maxJsonBodyDepth: number(merged, 'MAX_JSON_BODY_DEPTH', 32, { min: 2, max: 512, integer: true }),
    maxHttpHeaderBytes: number(merged, 'MAX_HTTP_HEADER_BYTES', 65_536, { min: 16_384, max: 1_048_576, integer: true }),
    maxConcurrentExports: number(merged, 'MAX_CONCURRENT_EXPORTS', 4, { min: 1, max: 100, integer: true }),
    replayLiveEdgeWaitMs: number(merged, 'REPLAY_LIVE_EDGE_WAIT_MS', DEFAULT_LIVE_EDGE_WAIT_MS, { min: 10, max: 600_000, integer: true }),
    analyticsMaxRangeHours: number(merged, 'ANALYTICS_MAX_RANGE_HOURS', 24, { min: 1, max: 8760, integer: true }),
    heatmapMaxCells: number(merged, 'HEATMAP_MAX_CELLS', 100_000, { min: 1, max: 10_000_000, integer: true }),
    trajectoryMaxPoints: number(merged, 'TRAJECTORY_MAX_POINTS', 100_000, { min: 1, max: 10_000_000, integer: true }),
    areaOfInterestCellSize: optionalPositive(merged, 'AREA_OF_INTEREST_CELL_SIZE'),
    slowClientMaxQueuedPackets: number(merged, 'SLOW_CLIENT_MAX_QUEUED_PACKETS', 8, { min: 1, max: 10_000, integer: true }),
    bootstrapAnalysts: text(merged, 'BOOTSTRAP_ANALYSTS', '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    redisUrl: connectionSetting(merged, 'REDIS_URL', ['redis://', 'rediss://', '/'], 'redis://host:6379'),
    clusterRequestTimeoutMs: number(merged, 'CLUSTER_REQUEST_TIMEOUT_MS', 2_000, { min: 100, max: 60_000, integer: true }),
    shutdownTimeoutMs: number(merged, 'SHUTDOWN_TIMEOUT_MS', 10_000, { min: 100, max: 600_000, integer: true }),
    healthRedisTimeoutMs: number(merged, 'HEALTH_REDIS_TIMEOUT_MS', 500, { min: 50, max: 10_000, integer: true }),
  };
}

export const SETTINGS = Symbol('SETTINGS');
