import { MovementData } from '../position';
import { MovementErrorCode } from './movement-error-code';

export interface MovementLimits {
  world: { min: number; max: number };
  rateLimit: { perSecond: number; burst: number };
  maxSpeed: number | null;
  maxPositionPayloadBytes: number;
}

/** What the server remembers of one player between two `position` messages. */
export interface MotionState {
  tokens: number;
  refilledAt: number;
  /** The last accepted position and when it was accepted (ms), for the speed check. */
  last: { x: number; y: number; z: number; at: number } | null;
}

export type MovementDecision =
  | { accepted: true; movement: MovementData; state: MotionState }
  | { accepted: false; code: MovementErrorCode; message: string; seq: number | null; state: MotionState };

const ALLOWED_KEYS = new Set(['x', 'y', 'z', 'heading', 'seq']);

export function initialMotionState(limits: MovementLimits, now: number, last: MotionState['last'] = null): MotionState {
  return { tokens: limits.rateLimit.burst, refilledAt: now, last };
}

/**
 * A `position` message that carried more than one argument before its ack, as
 * `emit('position', {x, y}, 'extra', ack)` sends: refused as a whole (and charged to the
 * rate limit like any refusal) rather than read from its first argument, so a client
 * with a bug hears of it.
 */
export class SeveralArguments {
  constructor(readonly count: number) {}
}

/**
 * Decides one `position` message: (payload, state) → accepted movement or a coded
 * rejection, and the next state. Pure, so every rule is tested without sockets or
 * a database. Every message costs a token, valid or not, so a flood of garbage is
 * rate limited like a flood of moves.
 */
export function decideMovement(payload: unknown, state: MotionState, limits: MovementLimits, now: number, seqRequired = false): MovementDecision {
  const { perSecond, burst } = limits.rateLimit;
  const tokens = Math.min(burst, state.tokens + ((now - state.refilledAt) / 1000) * perSecond);
  const seq = echoableSeq(payload);
  if (tokens < 1) {
    return reject('rate_limited', `more than ${perSecond} updates per second (bursts of ${burst}); slow down`, seq, {
      ...state,
      tokens,
      refilledAt: now,
    });
  }
  const charged: MotionState = { ...state, tokens: tokens - 1, refilledAt: now };

  const shape = parseShape(payload);
  if (typeof shape === 'string') {
    // A payload of the right shape is a few numbers, far below the smallest allowed
    // limit (256 bytes), so the size is measured only for payloads that are wrong anyway.
    const bytes = jsonBytes(payload);
    const size = Number.isFinite(bytes) ? `${bytes} bytes` : 'nested too deeply to measure';
    const why = bytes > limits.maxPositionPayloadBytes ? `position payload is ${size}; the limit is ${limits.maxPositionPayloadBytes} bytes` : shape;
    return reject('invalid_position', why, seq, charged);
  }
  const movement = shape;
  if (seqRequired && movement.seq === null) {
    return reject('invalid_position', 'seq is required on every position of a resumable session (auth.clientSession)', seq, charged);
  }

  const { min, max } = limits.world;
  for (const axis of ['x', 'y', 'z'] as const) {
    const value = movement[axis];
    if (value < min || value > max) {
      return reject('out_of_bounds', `${axis}=${value} is outside the world (${min} … ${max})`, seq, charged);
    }
  }

  if (limits.maxSpeed !== null && state.last) {
    const elapsedSeconds = Math.max(now - state.last.at, 1) / 1000;
    const distance = Math.hypot(movement.x - state.last.x, movement.y - state.last.y, movement.z - state.last.z);
    const speed = distance / elapsedSeconds;
    if (speed > limits.maxSpeed) {
      return reject(
        'too_fast',
        `moved ${round(distance)} units in ${round(elapsedSeconds)} s (${round(speed)} units/s); the limit is ${limits.maxSpeed} units/s`,
        seq,
        charged,
      );
    }
  }
  return { accepted: true, movement, state: { ...charged, last: { x: movement.x, y: movement.y, z: movement.z, at: now } } };
}

/** The checked movement, or why the payload is not `{x, y, z?, heading?, seq?}`. */
function parseShape(payload: unknown): MovementData | string {
  if (payload instanceof SeveralArguments) {
    return `position takes one argument, the position object {x, y, z?, heading?, seq?} (then an optional ack); got ${payload.count}`;
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return `position must be a JSON object {x, y, z?, heading?, seq?}, got ${describe(payload)}`;
  }
  const body = payload as Record<string, unknown>;
  const keys = Object.keys(body);
  const unknown = keys.find((k) => !ALLOWED_KEYS.has(k));
  if (unknown !== undefined) {
    // JSON-escaped, so a NUL or a lone surrogate in the key is echoed as well-formed text.
    return `unknown field ${JSON.stringify(unknown.slice(0, 40))}; a position has only x, y, z, heading and seq`;
  }
  for (const axis of ['x', 'y'] as const) {
    if (!(axis in body)) return `${axis} is required`;
  }
  for (const field of ['x', 'y', 'z', 'heading'] as const) {
    const value = body[field];
    if (value === undefined && (field === 'z' || field === 'heading')) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return `${field} must be a finite number, got ${describe(value)}`;
    }
  }
  const seq = body.seq;
  if (seq !== undefined && seq !== null && !isSeq(seq)) {
    return `seq must be a non-negative integer, got ${describe(seq)}`;
  }
  return {
    x: toResolution(body.x as number),
    y: toResolution(body.y as number),
    z: toResolution((body.z as number | undefined) ?? 0),
    heading: toResolution((body.heading as number | undefined) ?? 0),
    seq: (seq as number | null | undefined) ?? null,
  };
}

/** Coordinates and headings are kept to a millionth of a world unit (of a radian). */
export const POSITION_RESOLUTION = 1e-6;

/**
 * A value rounded to POSITION_RESOLUTION. The history keeps positions as JSON numbers,
 * which PostgreSQL stores as exact decimals: 5e-324 would cost over 300 digits, so a
 * 40-byte position could take a kilobyte to store. A millionth is far below anything a
 * game world draws or a speed check measures, and keeps every stored number short.
 */
function toResolution(value: number): number {
  const rounded = Math.round(value * 1e6) / 1e6;
  return rounded === 0 ? 0 : rounded; // no -0
}

function isSeq(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** The client's seq when it is one we can echo; a malformed one is not echoed. */
function echoableSeq(payload: unknown): number | null {
  const seq = typeof payload === 'object' && payload !== null ? (payload as { seq?: unknown }).seq : undefined;
  return isSeq(seq) ? seq : null;
}

function reject(code: MovementErrorCode, message: string, seq: number | null, state: MotionState): MovementDecision {
  return { accepted: false, code, message, seq, state };
}

function jsonBytes(value: unknown): number {
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return Infinity;
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return `a string (${JSON.stringify(value.slice(0, 20))}${value.length > 20 ? '…' : ''})`;
  return typeof value;
}

const round = (n: number) => Math.round(n * 100) / 100;
