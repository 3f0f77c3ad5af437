import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

/*
 * Every tunable of Waypoint, read and validated once at start-up. Each setting is one
 * row of SETTING_SCHEMA: its env variable (the key), its flag, its default, how its text
 * is parsed and checked, and what it means. The settings table of docs/operating.md is
 * written from these rows (`npm run settings:table`); `loadSettings` gives the code its
 * typed shape.
 *
 * To add a setting: add a row where the table should list it, and a line in
 * `toSettings` that places its value; checks across settings go in `settingsSchema`.
 */

export class SettingsError extends Error {
  constructor(
    readonly setting: string,
    reason: string,
  ) {
    super(`Setting ${setting}: ${reason}`);
  }
}

interface SettingRow {
  /** The flag that sets it on the command line (flags win over env). */
  flag?: `--${string}`;
  /** Used when the variable is unset or empty; parsed like a set value. */
  default?: string;
  /** What the settings table shows as default when there is none to parse: `(none)`, `(off)`. */
  shown?: string;
  /** Text (or undefined, for a row without a default) to value, with a reason when refused. */
  parse: z.ZodType<unknown, string | undefined>;
  doc: string;
}

// Parsers. Their messages follow the setting's name ("Setting PORT: 70000 is above the
// maximum 65535") and never repeat a connection string, which may hold a password.

/** A number within bounds; `integer` refuses fractions. */
function number(min?: number, max?: number, integer = false) {
  let checked = z.number();
  if (integer) checked = checked.int({ error: (issue) => `"${issue.input}" must be a whole number` });
  if (min !== undefined) checked = checked.min(min, { error: (issue) => `${issue.input} is below the minimum ${min}` });
  if (max !== undefined) checked = checked.max(max, { error: (issue) => `${issue.input} is above the maximum ${max}` });
  return z
    .string()
    .transform((raw, ctx) => {
      const value = Number(raw);
      if (Number.isFinite(value)) return value;
      ctx.addIssue({ code: 'custom', message: `"${raw}" is not a number` });
      return z.NEVER;
    })
    .pipe(checked);
}

const whole = (min?: number, max?: number) => number(min, max, true);

/** Above zero, fractions allowed. */
const positive = () => number().pipe(z.number().positive({ error: (issue) => `${issue.input} must be above 0` }));

/** Unset, `off` or `0` is off (null); anything else must pass `parse`. */
function offOr<T>(parse: z.ZodType<T, string>) {
  return z
    .string()
    .optional()
    .transform((raw) => (raw === 'off' || raw === '0' ? undefined : raw))
    .pipe(parse.optional())
    .transform((value) => value ?? null);
}

/**
 * An optional connection setting: unset is null; otherwise it must start with one of
 * `forms` (a scheme such as postgresql://, or / for a Unix socket path). Only the form is
 * checked: the drivers accept more than the WHATWG URL parser does (a username with the
 * host left to a ?host= socket folder, say).
 */
function connection(forms: string[], example: string) {
  return z
    .string()
    .refine((value) => forms.some((form) => value.toLowerCase().startsWith(form)), `must start with ${forms.join(' or ')}, like ${example}`)
    .optional()
    .transform((value) => value ?? null);
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: (issue) => `"${String(issue.input)}" is not one of ${values.join(', ')}` });
}

/** Comma-separated names; unset is none. */
const list = z
  .string()
  .optional()
  .transform((raw) =>
    (raw ?? '')
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean),
  );

/** FLOOD_MAX_MESSAGES_PER_SECOND: unset is derived from the rate limit (undefined here); `off` or `0` is off (null). */
const floodCutOff = z
  .string()
  .optional()
  .transform((raw, ctx): number | null | undefined => {
    if (raw === undefined) return undefined;
    if (raw === 'off' || raw === '0') return null;
    const rate = positive().safeParse(raw);
    if (rate.success) return rate.data;
    ctx.addIssue({ code: 'custom', message: rate.error.issues[0].message });
    return z.NEVER;
  });

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** TRUST_PROXY: a hop count, or addresses, subnets and Express's keywords; unset is none (null). */
const trustProxy = z
  .string()
  .optional()
  .transform((raw, ctx): number | string[] | null => {
    const text = (raw ?? '').trim();
    if (text === '') return null;
    if (/^\d+$/.test(text)) {
      const hops = whole(0, 100).safeParse(text);
      if (hops.success) return hops.data;
      ctx.addIssue({ code: 'custom', message: hops.error.issues[0].message });
      return z.NEVER;
    }
    const entries = text.split(',').map((entry) => entry.trim());
    for (const entry of entries) {
      const [address, bits, more] = entry.split('/');
      const validBits = bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (isIP(address) === 6 ? 128 : 32));
      if (!PROXY_KEYWORDS.has(entry) && (isIP(address) === 0 || !validBits || more !== undefined)) {
        ctx.addIssue({ code: 'custom', message: `"${entry}" is not a hop count, an address, a subnet (10.0.0.0/8) or one of loopback, linklocal, uniquelocal` });
        return z.NEVER;
      }
    }
    return entries;
  });

/** APPEND_OUTCOME_CHECK_MS's default, also for an event store made without settings (tools). */
export const DEFAULT_OUTCOME_CHECK_MS = 5_000;

/** REPLAY_LIVE_EDGE_WAIT_MS's default, also for event queries made without settings (tools). */
export const DEFAULT_LIVE_EDGE_WAIT_MS = 5_000;

/** The settings, in the order docs/operating.md lists them, keyed by their env variable. */
export const SETTING_SCHEMA = {
  HOST: {
    flag: '--host',
    default: '127.0.0.1',
    parse: z.string(),
    doc: 'Interface HTTP and Socket.IO listen on.',
  },
  PORT: {
    flag: '--port',
    default: '5000',
    parse: whole(0, 65_535),
    doc: 'Port HTTP and Socket.IO share.',
  },
  DATABASE_URL: {
    flag: '--database-url',
    shown: '(none)',
    parse: connection(['postgresql://', 'postgres://', 'socket:'], 'postgresql://user@host:5432/database'),
    doc: 'PostgreSQL to use, as a postgresql:// (or socket:) connection string. Unset: an embedded PostgreSQL (PGlite) in DATA_DIR.',
  },
  DATABASE_SCHEMA: {
    default: 'public',
    parse: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, { error: (issue) => `"${issue.input}" must be a lower-case SQL identifier` }),
    doc: 'Schema holding Waypoint tables (created if missing).',
  },
  DATABASE_IDLE_TRANSACTION_TIMEOUT_MS: {
    default: '10000',
    parse: whole(0, 86_400_000),
    doc: 'PostgreSQL ends a session of this server left idle inside a transaction this long (idle_in_transaction_session_timeout), so a node that froze or lost its link mid-batch cannot hold replays at the live edge (REPLAY_LIVE_EDGE_WAIT_MS) for long; 0 = never. Far above any batch window. PostgreSQL only.',
  },
  DATABASE_CONNECT_TIMEOUT_MS: {
    default: '2000',
    parse: whole(100, 600_000),
    doc: 'Opening a database connection gives up after this long (the connection is then refused as not answering).',
  },
  DATABASE_QUERY_TIMEOUT_MS: {
    default: '10000',
    parse: whole(100, 3_600_000),
    doc: 'Any database query without an answer after this long fails, and its connection is closed and replaced: a database host that crashed or a network that dropped the connection leaves it open and silent. Replay pages, snapshots and analytics must answer within it; exports stream and are not bound by it.',
  },
  HEALTH_DATABASE_TIMEOUT_MS: {
    default: '800',
    parse: whole(50, 60_000),
    doc: '`/health` and `/health/ready` answer 503 when the database has not answered their probe within this long (they answer at once while the write path knows the database is down).',
  },
  DATA_DIR: {
    flag: '--data-dir',
    default: './.waypoint-data',
    parse: z.string().transform((dir) => resolve(dir)),
    doc: 'Embedded database files and the generated JWT secret.',
  },
  JWT_SECRET: {
    shown: '(generated)',
    parse: z.string().min(16, 'must be at least 16 characters').optional(),
    doc: 'HMAC secret for access tokens. Unset: generated once into DATA_DIR with a warning; required when NODE_ENV=production.',
  },
  JWT_EXPIRES_IN_SECONDS: {
    default: '3600',
    parse: whole(1),
    doc: 'Access token lifetime.',
  },
  PASSWORD_HASH_MEMORY_KIB: {
    default: '19456',
    parse: whole(1024),
    doc: 'argon2id memory cost (OWASP minimum is 19 MiB).',
  },
  PASSWORD_HASH_TIME_COST: {
    default: '2',
    parse: whole(1),
    doc: 'argon2id iterations.',
  },
  AUTH_THROTTLE_PER_ADDRESS: {
    default: '120',
    parse: whole(0, 1_000_000),
    doc: 'POST /auth/login and /auth/register requests per minute from one client address; one more is answered 429 with Retry-After, before any password is hashed. 0 = off (load tests that log thousands of players in from one address).',
  },
  TRUST_PROXY: {
    shown: '(none)',
    parse: trustProxy,
    doc: 'Proxies in front of the server whose X-Forwarded-For header gives the client address (for AUTH_THROTTLE_PER_ADDRESS and the logs): a number of hops, or a comma-separated list of addresses, subnets (10.0.0.0/8) and loopback, linklocal, uniquelocal. Unset: the connecting address, so every client behind a balancer counts as one.',
  },
  AUTH_THROTTLE_PER_USERNAME: {
    default: '10',
    parse: whole(0, 1_000_000),
    doc: 'Failed logins per minute for one username (whatever the address); beyond it logins for that username are answered 429 with Retry-After, before the password is checked, until the minute is over. 0 = off.',
  },
  BROADCAST_INTERVAL_MS: {
    default: '50',
    parse: whole(0, 10_000),
    doc: 'Length of a broadcast tick: at most one players:moved per tick (consecutive slots of this many ms of the clock), sent as soon as a recorded batch finds its tick without one; 0 = one emit per movement, at once.',
  },
  APPEND_BATCH_WINDOW_MS: {
    default: '50',
    parse: number(0, 1000),
    doc: 'At most one batch of movements is committed per this many ms, its window (a position after a quiet spell is committed at once). Equal to BROADCAST_INTERVAL_MS: one commit per broadcast.',
  },
  APPEND_BATCH_MAX_EVENTS: {
    default: '5000',
    parse: whole(1, 50_000),
    doc: 'A batch is appended at once when it reaches this many events.',
  },
  APPEND_LANES: {
    default: '1',
    parse: whole(1, 16),
    doc: 'Batches of movements in flight at once; players are spread over the lanes and each player\'s events stay in order.',
  },
  APPEND_QUEUE_MAX_EVENTS: {
    default: '50000',
    parse: whole(1),
    doc: 'Movements waiting to be recorded, at most; beyond it new positions are refused at once with `unavailable` instead of queueing without bound.',
  },
  APPEND_TIMEOUT_MS: {
    default: '2000',
    parse: whole(100, 600_000),
    doc: 'A batch of movements whose append and commit the database has not answered within this long counts as lost on the way: the server asks the database whether it committed (APPEND_OUTCOME_CHECK_MS), refuses new positions with `unavailable` at once until the database answers again, and resumes by itself when it does.',
  },
  APPEND_OUTCOME_CHECK_MS: {
    default: String(DEFAULT_OUTCOME_CHECK_MS),
    parse: whole(0, 600_000),
    doc: 'When the reply to a batch\'s COMMIT is lost (the connection failed), how long the server keeps trying to learn from the database whether the batch was recorded; found, it is acknowledged; not found or not learned in time, refused with `unavailable`. PostgreSQL only.',
  },
  WORLD_MIN: {
    default: '-100000',
    parse: number(),
    doc: 'Lowest coordinate on each axis (x, y, z).',
  },
  WORLD_MAX: {
    default: '100000',
    parse: number(),
    doc: 'Highest coordinate on each axis (x, y, z).',
  },
  RATE_LIMIT_PER_SECOND: {
    default: '60',
    parse: positive(),
    doc: 'Position updates per second per player (token bucket refill).',
  },
  RATE_LIMIT_BURST: {
    default: '120',
    parse: number(1),
    doc: 'Token bucket size: updates a player may send in a burst.',
  },
  MAX_SPEED: {
    shown: '(off)',
    parse: offOr(positive()),
    doc: 'Units per second allowed between consecutive accepted positions (too_fast).',
  },
  FLOOD_MAX_MESSAGES_PER_SECOND: {
    shown: '(3 × rate limit)',
    parse: floodCutOff,
    doc: 'Socket.IO messages (of any event) one connection may send per second, counted over FLOOD_WINDOW_MS; above it the connection is told `error` `flooding` once and disconnected, and may reconnect (after FLOOD_COOLDOWN_MS). Below it the rate limit answers every message as usual (`rate_limited`). Unset: three times what the rate limit lets through in one window (RATE_LIMIT_BURST plus FLOOD_WINDOW_MS of RATE_LIMIT_PER_SECOND), per second: 540 with the defaults. Every message up to the cut-off is still decoded and answered, so the lower it is, the less a flood costs the others. A value set must be above that allowance; 0 or off = no cut-off.',
  },
  FLOOD_WINDOW_MS: {
    default: '1000',
    parse: whole(100, 60_000),
    doc: 'Window FLOOD_MAX_MESSAGES_PER_SECOND is counted over: a connection that sends more than that rate times this window within one window is flooding, so a short burst (a reconnect flushing its buffer) is not. 100 to 60000.',
  },
  FLOOD_COOLDOWN_MS: {
    default: '10000',
    parse: whole(0, 3_600_000),
    doc: 'After a cut-off for flooding, new connections of the same player are refused with `connect_error` `flooding` (its `data.retryAfterMs` says for how long) for this long, so a flooder that reconnects at once costs one handshake, not a session per cycle; 0 = reconnect at once.',
  },
  MAX_POSITION_PAYLOAD_BYTES: {
    default: '1024',
    parse: whole(256),
    doc: 'Largest position payload (its JSON) accepted; at least 256.',
  },
  MAX_MESSAGE_BYTES: {
    default: '16384',
    parse: whole(),
    doc: 'Largest Socket.IO frame (or long-polling request body) the transport reads; above it the transport closes the connection without reading the rest. The largest message a client sends is a position (at most MAX_POSITION_PAYLOAD_BYTES plus some 40 bytes of framing) or the handshake (its token and options, under 1 KiB); long-polling clients split their batches to this size. At least MAX_POSITION_PAYLOAD_BYTES + 1024, so a position just over its own limit is answered invalid_position instead.',
  },
  MAX_HTTP_BODY_BYTES: {
    default: '65536',
    parse: whole(1024),
    doc: 'Largest JSON request body over HTTP; above it the answer is 413.',
  },
  MAX_JSON_BODY_DEPTH: {
    default: '32',
    parse: whole(2, 512),
    doc: 'Deepest nesting of objects and arrays in a JSON request body; deeper is answered 400 before anything reads it (the API\'s own bodies are flat objects). 2 to 512.',
  },
  MAX_HTTP_HEADER_BYTES: {
    default: '65536',
    parse: whole(16_384, 1_048_576),
    doc: 'Largest HTTP request line and headers together; above it the answer is 431. The default fits a `players` list of 1,000 ids in the URL. At least 16384 (Node.js\'s own default).',
  },
  MAX_CONCURRENT_EXPORTS: {
    default: '4',
    parse: whole(1, 100),
    doc: 'NDJSON/CSV exports one node streams at once; one more is answered 429. Each keeps up to two of the 10 pooled database connections busy, so the default leaves two for the game.',
  },
  ANALYTICS_MAX_RANGE_HOURS: {
    default: '24',
    parse: whole(1, 8760),
    doc: 'Longest time range (`to` − `from`) of GET /world/heatmap, GET /world/visits and GET /players/:id/trajectory; a longer one is answered 400. Each answer reads every movement of its range, so this bounds the work of one request. Whole hours, 1 to 8760.',
  },
  HEATMAP_MAX_CELLS: {
    default: '100000',
    parse: whole(1, 10_000_000),
    doc: 'Most non-empty cells one GET /world/heatmap answer holds; a range and cell size that fill more are answered 400 (ask for a larger `cell` or a shorter range).',
  },
  TRAJECTORY_MAX_POINTS: {
    default: '100000',
    parse: whole(1, 10_000_000),
    doc: 'Most movements one GET /players/:id/trajectory answer holds; a range with more is answered 400 (ask for a shorter range, or stream the movements as NDJSON or CSV).',
  },
  REPLAY_LIVE_EDGE_WAIT_MS: {
    default: String(DEFAULT_LIVE_EDGE_WAIT_MS),
    parse: whole(10, 600_000),
    doc: 'A replay read across players (a page, an export, a snapshot of a past instant) that reaches the live edge first waits for appends still in flight to commit, so that no event can later appear behind its cursor; if they take longer than this, the answer is 503 and the read can be retried. At least 10. PostgreSQL only.',
  },
  AREA_OF_INTEREST_CELL_SIZE: {
    shown: '(off)',
    parse: offOr(positive()),
    doc: 'Grid cell size; when set a client gets players:moved only for its own and neighbouring cells.',
  },
  SLOW_CLIENT_MAX_QUEUED_PACKETS: {
    default: '8',
    parse: whole(1, 10_000),
    doc: 'Packets waiting to be written to one client before it counts as slow: it then gets only the latest position per player once it catches up, and older unsent ones are dropped.',
  },
  BOOTSTRAP_ANALYSTS: {
    shown: '(none)',
    parse: list,
    doc: 'Comma-separated usernames given the analyst role at start.',
  },
  REDIS_URL: {
    shown: '(none)',
    parse: connection(['redis://', 'rediss://', '/'], 'redis://host:6379'),
    doc: 'Redis for running several nodes (a redis:// or rediss:// URL, or a socket path): Socket.IO adapter and cross-node takeover. It must answer when a node starts.',
  },
  CLUSTER_REQUEST_TIMEOUT_MS: {
    default: '2000',
    parse: whole(100, 60_000),
    doc: 'With REDIS_URL: how long a node waits for every other node to say who is online on it (at each connect, for one session per player and `welcome`, and for `GET /players`; also how long `GET /monitor/stats` waits for the figures of the other nodes). A node that is subscribed but does not answer in time (frozen, or cut off without its Redis connection closing) makes connects answer `unavailable` and `GET /players` 503 until it answers or Redis drops it. 100 to 60000.',
  },
  SHUTDOWN_TIMEOUT_MS: {
    default: '10000',
    parse: whole(100, 600_000),
    doc: 'On SIGTERM or SIGINT the server stops taking connections and movements, records and acknowledges every movement it had taken, sends each client `server:shutdown` and disconnects it, and exits with code 0; if that takes longer than this (a database that does not answer), it exits anyway with code 1.',
  },
  HEALTH_REDIS_TIMEOUT_MS: {
    default: '500',
    parse: whole(50, 10_000),
    doc: 'With REDIS_URL: `/health/ready` answers 503 naming redis when Redis has not answered its ping within this long (at once while this node is not connected to it). 50 to 10000.',
  },
  LOG_LEVEL: {
    default: 'log',
    parse: oneOf(['error', 'warn', 'log', 'debug', 'verbose']),
    doc: 'error, warn, log, debug or verbose. Each HTTP request is logged when answered (method, URL with credentials blanked, status, time, address, user agent): at debug, at log for a 4xx answer, at error for a 5xx one.',
  },
  LOG_FORMAT: {
    default: 'auto',
    parse: oneOf(['auto', 'json', 'pretty']),
    doc: 'json (one object per line), pretty (one readable line each, and a start-up banner with the addresses to open), or auto: pretty on a terminal, json otherwise (a pipe, a file, a container log).',
  },
} satisfies Record<string, SettingRow>;

type Schema = typeof SETTING_SCHEMA;
type SettingName = keyof Schema;

/** Each setting's value, by env name, as its row parsed it. */
export type SettingValues = { [K in SettingName]: z.output<Schema[K]['parse']> };

const ROWS = Object.entries(SETTING_SCHEMA) as [SettingName, SettingRow][];

/** One env object in, every row parsed (its default when unset or empty), checks across rows. */
const settingsSchema = z
  .object(Object.fromEntries(ROWS.map(([name, row]) => [name, z.preprocess((raw) => (raw === undefined || raw === '' ? row.default : raw), row.parse)])) as unknown as {
    [K in SettingName]: Schema[K]['parse'];
  })
  .superRefine((v, ctx) => {
    const refuse = (setting: SettingName, message: string) => ctx.addIssue({ code: 'custom', path: [setting], message });
    if (v.WORLD_MIN >= v.WORLD_MAX) refuse('WORLD_MIN', `must be below WORLD_MAX (${v.WORLD_MIN} >= ${v.WORLD_MAX})`);
    if (v.MAX_MESSAGE_BYTES < v.MAX_POSITION_PAYLOAD_BYTES + 1024) {
      refuse(
        'MAX_MESSAGE_BYTES',
        `${v.MAX_MESSAGE_BYTES} must be at least MAX_POSITION_PAYLOAD_BYTES + 1024 (${v.MAX_POSITION_PAYLOAD_BYTES + 1024}), or a position just over its own limit would close the connection instead of being answered invalid_position`,
      );
    }
    // The cut-off must sit above everything the rate limit lets through in one window (a
    // full bucket, then its refill), or it would cut off clients the rate limit accepts.
    const allowed = rateLimitAllowance(v);
    const cutOff = v.FLOOD_MAX_MESSAGES_PER_SECOND;
    if (typeof cutOff === 'number' && (cutOff * v.FLOOD_WINDOW_MS) / 1000 <= allowed) {
      refuse(
        'FLOOD_MAX_MESSAGES_PER_SECOND',
        `${cutOff} per second over FLOOD_WINDOW_MS (${v.FLOOD_WINDOW_MS} ms) is not above what the rate limit lets through in that window (${allowed} messages: RATE_LIMIT_BURST plus RATE_LIMIT_PER_SECOND); raise it well above, or leave it unset`,
      );
    }
  });

/** Messages the rate limit lets one player send within FLOOD_WINDOW_MS: a full bucket, then its refill. */
function rateLimitAllowance(v: Pick<SettingValues, 'RATE_LIMIT_BURST' | 'RATE_LIMIT_PER_SECOND' | 'FLOOD_WINDOW_MS'>): number {
  return v.RATE_LIMIT_BURST + (v.RATE_LIMIT_PER_SECOND * v.FLOOD_WINDOW_MS) / 1000;
}

/** The shape the code reads: settings grouped by what they tune. */
function toSettings(v: SettingValues, production: boolean) {
  return {
    host: v.HOST,
    port: v.PORT,
    /** Null = run on the embedded PostgreSQL (PGlite) kept in `dataDir`. */
    databaseUrl: v.DATABASE_URL,
    databaseSchema: v.DATABASE_SCHEMA,
    databaseIdleTransactionTimeoutMs: v.DATABASE_IDLE_TRANSACTION_TIMEOUT_MS,
    database: {
      connectTimeoutMs: v.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: v.DATABASE_QUERY_TIMEOUT_MS,
      healthTimeoutMs: v.HEALTH_DATABASE_TIMEOUT_MS,
    },
    dataDir: v.DATA_DIR,
    production,
    logLevel: v.LOG_LEVEL,
    logFormat: v.LOG_FORMAT,
    jwt: { ...jwtSecret(v.JWT_SECRET, v.DATA_DIR, production), expiresInSeconds: v.JWT_EXPIRES_IN_SECONDS },
    passwordHash: { memoryCostKiB: v.PASSWORD_HASH_MEMORY_KIB, timeCost: v.PASSWORD_HASH_TIME_COST },
    /** Per minute; 0 = off. */
    authThrottle: { perAddress: v.AUTH_THROTTLE_PER_ADDRESS, perUsername: v.AUTH_THROTTLE_PER_USERNAME },
    /** Express's `trust proxy`; null = none (the connecting address). */
    trustProxy: v.TRUST_PROXY,
    broadcastIntervalMs: v.BROADCAST_INTERVAL_MS,
    appendBatch: {
      windowMs: v.APPEND_BATCH_WINDOW_MS,
      maxEvents: v.APPEND_BATCH_MAX_EVENTS,
      maxQueuedEvents: v.APPEND_QUEUE_MAX_EVENTS,
      lanes: v.APPEND_LANES,
      timeoutMs: v.APPEND_TIMEOUT_MS,
      outcomeCheckMs: v.APPEND_OUTCOME_CHECK_MS,
    },
    world: { min: v.WORLD_MIN, max: v.WORLD_MAX },
    rateLimit: { perSecond: v.RATE_LIMIT_PER_SECOND, burst: v.RATE_LIMIT_BURST },
    /** Units per second; null = no speed check. */
    maxSpeed: v.MAX_SPEED,
    maxPositionPayloadBytes: v.MAX_POSITION_PAYLOAD_BYTES,
    /** Messages one connection may send per second, averaged over `windowMs`, before it is cut off as flooding; null = off. */
    flood: {
      maxMessagesPerSecond: v.FLOOD_MAX_MESSAGES_PER_SECOND === undefined ? (3 * rateLimitAllowance(v) * 1000) / v.FLOOD_WINDOW_MS : v.FLOOD_MAX_MESSAGES_PER_SECOND,
      windowMs: v.FLOOD_WINDOW_MS,
      cooldownMs: v.FLOOD_COOLDOWN_MS,
    },
    maxMessageBytes: v.MAX_MESSAGE_BYTES,
    maxHttpBodyBytes: v.MAX_HTTP_BODY_BYTES,
    /** Deepest nesting of objects and arrays a JSON request body may have. */
    maxJsonBodyDepth: v.MAX_JSON_BODY_DEPTH,
    maxHttpHeaderBytes: v.MAX_HTTP_HEADER_BYTES,
    maxConcurrentExports: v.MAX_CONCURRENT_EXPORTS,
    replayLiveEdgeWaitMs: v.REPLAY_LIVE_EDGE_WAIT_MS,
    analyticsMaxRangeHours: v.ANALYTICS_MAX_RANGE_HOURS,
    heatmapMaxCells: v.HEATMAP_MAX_CELLS,
    trajectoryMaxPoints: v.TRAJECTORY_MAX_POINTS,
    /** Null = area of interest off (everyone sees everyone). */
    areaOfInterestCellSize: v.AREA_OF_INTEREST_CELL_SIZE,
    slowClientMaxQueuedPackets: v.SLOW_CLIENT_MAX_QUEUED_PACKETS,
    bootstrapAnalysts: v.BOOTSTRAP_ANALYSTS,
    redisUrl: v.REDIS_URL,
    clusterRequestTimeoutMs: v.CLUSTER_REQUEST_TIMEOUT_MS,
    shutdownTimeoutMs: v.SHUTDOWN_TIMEOUT_MS,
    healthRedisTimeoutMs: v.HEALTH_REDIS_TIMEOUT_MS,
  };
}

export type Settings = ReturnType<typeof toSettings>;

export type LogLevel = SettingValues['LOG_LEVEL'];

export type LogFormat = SettingValues['LOG_FORMAT'];

/**
 * Reads the JWT secret, generating and keeping one in the data folder when none is
 * set so tokens survive restarts on a laptop. Production must set its own.
 */
function jwtSecret(configured: string | undefined, dataDir: string, production: boolean): { secret: string; generated: boolean } {
  if (configured) return { secret: configured, generated: false };
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

type Env = Record<string, string | undefined>;

const FLAGS = ROWS.filter(([, row]) => row.flag).map(([name, row]) => ({ name, flag: row.flag! }));

/** `--port 5001`, `--port=5001` → PORT=5001 (flags win over env). */
export function flagsToEnv(argv: string[]): Env {
  const options = Object.fromEntries(FLAGS.map(({ flag }) => [flag.slice(2), { type: 'string' as const }]));
  let values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    const token = /'([^' ]+)/.exec((error as Error).message)?.[1] ?? argv.join(' ');
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') throw new SettingsError(token, 'needs a value');
    throw new SettingsError(token, `unknown flag; known: ${FLAGS.map(({ flag }) => flag).join(', ')}`);
  }
  const env: Env = {};
  for (const { name, flag } of FLAGS) {
    const value = values[flag.slice(2)];
    if (typeof value === 'string') env[name] = value;
  }
  return env;
}

export function loadSettings(env: Env = process.env, argv: string[] = []): Settings {
  const merged: Env = { ...env, ...flagsToEnv(argv) };
  const parsed = settingsSchema.safeParse(Object.fromEntries(ROWS.map(([name]) => [name, merged[name]])));
  if (!parsed.success) {
    const [issue] = parsed.error.issues;
    throw new SettingsError(String(issue.path[0]), issue.message);
  }
  return toSettings(parsed.data as SettingValues, merged.NODE_ENV === 'production');
}

export interface SettingDoc {
  env: string;
  flag?: string;
  default: string;
  meaning: string;
}

/** The documented settings, in the order docs/operating.md lists them. */
export const SETTING_DOCS: SettingDoc[] = ROWS.map(([env, row]) => ({ env, flag: row.flag, default: row.default ?? row.shown ?? '(none)', meaning: row.doc }));

/** `node dist/src/main.js --help`: the flags, and where the rest is documented. */
export function serverHelp(): string {
  const rows = SETTING_DOCS.filter((d) => d.flag).map((d) => `  ${`${d.flag} VALUE`.padEnd(24)} ${d.env}, ${d.default.startsWith('(') ? 'unset by default' : `default ${d.default}`}`);
  return ['usage: npm start -- [flags]', '', 'flags (each wins over its environment variable):', ...rows, '  -h, --help               show this help', '', 'Every setting is an environment variable; docs/operating.md lists them all with their defaults.', ''].join('\n');
}

/** The settings table of docs/operating.md, header included, as written from SETTING_DOCS. */
export function settingsTable(): string {
  const code = (text: string) => (text.startsWith('(') ? text : `\`${text}\``);
  return [
    '| env | flag | default | meaning |',
    '|---|---|---|---|',
    ...SETTING_DOCS.map((d) => `| \`${d.env}\` | ${d.flag ? `\`${d.flag}\`` : ''} | ${code(d.default)} | ${d.meaning} |`),
  ].join('\n');
}

export const SETTINGS = Symbol('SETTINGS');
