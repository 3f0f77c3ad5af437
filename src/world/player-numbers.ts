import { Inject, Injectable, Logger } from '@nestjs/common';
import type { RedisAdapter } from '@socket.io/redis-adapter';
import type Redis from 'ioredis';
import { SETTINGS, Settings } from '../config/settings';
import { SocketServerRef } from './socket-server.ref';

/**
 * Claims a number: the player's own if they hold one (a takeover, on any node), else the
 * lowest one freed, else the next never used. The holder is recorded as "n:sessionId" so
 * that only the session that holds it can free it (a close that races a reconnect on
 * another node must not free the number the new session goes on using).
 * KEYS: holders (hash player -> "n:session"), free (sorted set), next (counter).
 */
const CLAIM = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
local n
if held then
  n = tonumber(string.match(held, '^(%d+):'))
else
  local lowest = redis.call('ZRANGE', KEYS[2], 0, 0)
  if #lowest > 0 then
    n = tonumber(lowest[1])
    redis.call('ZREM', KEYS[2], lowest[1])
  else
    n = redis.call('INCR', KEYS[3]) - 1
  end
end
redis.call('HSET', KEYS[1], ARGV[1], n .. ':' .. ARGV[2])
return n
`;

/** Frees the player's number if `sessionId` still holds it. */
const RELEASE = `
local held = redis.call('HGET', KEYS[1], ARGV[1])
if not held then return -1 end
local n = string.match(held, '^(%d+):')
if held ~= n .. ':' .. ARGV[2] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[2], tonumber(n), n)
return tonumber(n)
`;

/** The same rules in this node's memory, when there is one node. */
class LocalNumbers {
  private readonly held = new Map<string, { n: number; sessionId: string }>();
  private readonly free: number[] = []; // kept sorted, lowest first
  private next = 0;

  claim(playerId: string, sessionId: string): number {
    const n = this.held.get(playerId)?.n ?? (this.free.length > 0 ? this.free.shift()! : this.next++);
    this.held.set(playerId, { n, sessionId });
    return n;
  }

  release(playerId: string, sessionId: string): void {
    const held = this.held.get(playerId);
    if (!held || held.sessionId !== sessionId) return;
    this.held.delete(playerId);
    const at = this.free.findIndex((f) => f > held.n);
    this.free.splice(at < 0 ? this.free.length : at, 0, held.n);
  }
}

/**
 * Player numbers `n` of the compact wire mode: a small non-negative integer per online
 * player, the same on every node and kept for as long as the player stays online
 * (takeovers included). A number freed when its player goes offline is given to the next
 * player who comes online, lowest first, so numbers stay below the most players online
 * at once. With REDIS_URL the numbers live in Redis, one set per database schema.
 *
 * A node that dies without closing its sessions cannot free their numbers: each stays
 * reserved for its player, who gets it back on coming online again.
 */
@Injectable()
export class PlayerNumbers {
  private readonly logger = new Logger(PlayerNumbers.name);
  private readonly local: LocalNumbers | null;
  private readonly keys: string[];

  constructor(
    private readonly io: SocketServerRef,
    @Inject(SETTINGS) settings: Settings,
  ) {
    this.local = settings.redisUrl === null ? new LocalNumbers() : null;
    const prefix = `waypoint:${settings.databaseSchema}:player-numbers`;
    this.keys = [`${prefix}:holders`, `${prefix}:free`, `${prefix}:next`];
  }

  /**
   * The player's number for the session `sessionId`, which becomes its holder. On one node
   * it is answered at once, not as a promise: a connect then takes no extra turn of the
   * event loop before it registers the session and reads its stream.
   */
  claim(playerId: string, sessionId: string): number | Promise<number> {
    if (this.local) return this.local.claim(playerId, sessionId);
    return this.redis()
      .eval(CLAIM, 3, ...this.keys, playerId, sessionId)
      .then((n) => Number(n));
  }

  /** The player went offline from `sessionId`: their number may be given to someone else. */
  async release(playerId: string, sessionId: string): Promise<void> {
    if (this.local) return this.local.release(playerId, sessionId);
    try {
      await this.redis().eval(RELEASE, 3, ...this.keys, playerId, sessionId);
    } catch (error) {
      // Not fatal: the number stays reserved for this player until they come back.
      this.logger.warn({ message: 'could not free a player number in Redis', playerId, error: String(error) });
    }
  }

  /** The Socket.IO Redis adapter's publishing client, which also runs commands. */
  private redis(): Redis {
    const adapter = this.io.server?.of('/').adapter as unknown as RedisAdapter | undefined;
    if (!adapter?.pubClient) throw new Error('Redis adapter not ready');
    return adapter.pubClient as Redis;
  }
}
