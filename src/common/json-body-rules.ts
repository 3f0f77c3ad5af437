import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';

/**
 * A JSON request body that is well-formed JSON but breaks one of the rules every route
 * shares; answered 400 (415 for a charset other than UTF-8) before anything reads it.
 */
export class JsonBodyRuleBroken extends Error {
  readonly type = 'entity.rules.failed';

  constructor(
    readonly answerStatus: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * body-parser's `verify` hook: the raw body is checked before JSON.parse reads it, so a
 * body that passes reaches validation, the libraries behind it and the database only in
 * a form none of them can throw on (class-transformer recurses once per level of
 * nesting; PostgreSQL text cannot hold U+0000).
 */
export function verifyJsonBody(maxDepth: number): (req: IncomingMessage, res: unknown, body: Buffer, encoding: string) => void {
  return (_req, _res, body, encoding) => {
    if (encoding.toLowerCase().replace('-', '') !== 'utf8') {
      throw new JsonBodyRuleBroken(415, `request body must be JSON in UTF-8; got charset ${encoding}`);
    }
    if (!isUtf8(body)) throw new JsonBodyRuleBroken(400, 'request body is not valid UTF-8');
    const broken = jsonBodyViolation(body.toString('utf8'), maxDepth);
    if (broken !== null) throw new JsonBodyRuleBroken(400, broken);
  };
}

interface Container {
  object: boolean;
  /** In an object: whether the next string is a key. */
  expectKey: boolean;
  keys: Set<string> | null;
}

const HIGH = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const LOW = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

/**
 * Why a JSON text breaks the body rules, or null when it keeps them (or is not JSON at
 * all: JSON.parse then reports the syntax error). One pass over the text, no recursion:
 * - nesting deeper than `maxDepth` objects and arrays;
 * - U+0000 in a string (a key or a value);
 * - a lone UTF-16 surrogate (`\ud800` not followed by a low surrogate, or a low one alone);
 * - a number that is not finite as a double (`1e400`), or a whole number beyond ±(2^53 − 1),
 *   which a double cannot hold exactly;
 * - the same key twice in one object: JSON.parse keeps the last, another reader (a proxy,
 *   a log pipeline) may keep the first, so the body is ambiguous.
 */
export function jsonBodyViolation(text: string, maxDepth: number): string | null {
  const stack: Container[] = [];
  const length = text.length;
  let i = 0;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= maxDepth) return `request body is nested deeper than ${maxDepth} levels (MAX_JSON_BODY_DEPTH)`;
      stack.push({ object: c === 0x7b, expectKey: c === 0x7b, keys: null });
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
      i++;
    } else if (c === 0x3a /* : */) {
      const top = stack[stack.length - 1];
      if (top) top.expectKey = false;
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.object) top.expectKey = true;
      i++;
    } else if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      let pendingHigh = false;
      i++;
      while (i < length) {
        let unit = text.charCodeAt(i);
        if (unit === 0x22) break;
        if (unit === 0x5c /* \ */) {
          escaped = true;
          const next = text.charCodeAt(i + 1);
          if (next !== 0x75 /* u */) {
            if (pendingHigh) return 'request body has a lone UTF-16 surrogate in a string';
            i += 2;
            continue;
          }
          unit = Number.parseInt(text.slice(i + 2, i + 6), 16);
          if (Number.isNaN(unit)) return null;
          i += 6;
        } else {
          i++;
        }
        if (unit === 0) return 'request body has a NUL character (U+0000) in a string';
        if (pendingHigh !== LOW(unit)) return 'request body has a lone UTF-16 surrogate in a string';
        pendingHigh = HIGH(unit);
      }
      if (i >= length) return null;
      if (pendingHigh) return 'request body has a lone UTF-16 surrogate in a string';
      i++;
      const top = stack[stack.length - 1];
      if (top?.object && top.expectKey) {
        let key: string;
        try {
          key = escaped ? (JSON.parse(text.slice(start, i)) as string) : text.slice(start + 1, i - 1);
        } catch {
          return null;
        }
        top.keys ??= new Set();
        if (top.keys.has(key)) return `request body has the key ${JSON.stringify(key.slice(0, 40))} twice in one object`;
        top.keys.add(key);
        top.expectKey = false;
      }
    } else if (c === 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      const start = i;
      let whole = true;
      i++;
      while (i < length) {
        const d = text.charCodeAt(i);
        if (d >= 0x30 && d <= 0x39) i++;
        else if (d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d) {
          whole = false;
          i++;
        } else break;
      }
      const literal = text.slice(start, i);
      const value = Number(literal);
      if (Number.isNaN(value)) return null;
      if (!Number.isFinite(value)) return `request body has a number too large for a double: ${literal.slice(0, 40)}`;
      if (whole && !Number.isSafeInteger(value)) return `request body has a whole number beyond ±(2^53 − 1), which would lose precision: ${literal.slice(0, 40)}`;
    } else {
      i++;
    }
  }
  return null;
}
