/**
 * The compact wire mode's `players:moved` frame: one binary attachment holding every entry
 * of a broadcast. The layout, byte by byte, is in docs/protocol.md ("Packed frame").
 * Little-endian throughout; varints are unsigned LEB128 (7 bits a byte, low bits first,
 * high bit set on every byte but the last), up to 2^53 - 1.
 *
 * Stateless on purpose: every frame decodes on its own, so a client that joins late, or a
 * slow client that is sent a coalesced backlog, needs nothing from earlier frames.
 */

/** One entry, as a JSON `players:moved` entry but with the player's number `n` for `id`. */
export interface PackedEntry {
  n: number;
  x: number;
  y: number;
  z: number;
  heading: number;
  seq: number | null;
  t: number;
}

export const PACKED_FRAME_VERSION = 1;

const Z_PRESENT = 0b0000_0001;
const HEADING_PRESENT = 0b0000_0010;
const SEQ_PRESENT = 0b0000_0100;
const TIME_SHIFT = 3; // bits 3-4: time code
const TIME_EXPLICIT = 3; // code 3: the time follows as a varint delta from the base time
const TIME_TABLE_MAX = 3;
const GAP_SHIFT = 5; // bits 5-7: gap to the previous n
const GAP_EXTENDED = 7; // 7: the gap is 7 + a varint that follows

/** Largest encoding of one entry: head, gap and time varints, four float32s, seq varint. */
const MAX_ENTRY_BYTES = 1 + 8 + 8 + 16 + 8;
/** version, count varint, base time float64, table size, three time varints. */
const MAX_HEADER_BYTES = 1 + 8 + 8 + 1 + TIME_TABLE_MAX * 8;

export class PackedFrameError extends Error {}

/**
 * Encodes `entries` (at most one per player number) into one frame. The entries are
 * written in ascending `n`, which is the order a decoder returns them in.
 */
export function encodePackedFrame(entries: readonly PackedEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => a.n - b.n);
  const out = new Uint8Array(MAX_HEADER_BYTES + sorted.length * MAX_ENTRY_BYTES);
  const view = new DataView(out.buffer);
  let at = 0;
  const varint = (value: number): void => {
    while (value >= 0x80) {
      out[at++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    out[at++] = value;
  };

  let base = Number.POSITIVE_INFINITY;
  const counts = new Map<number, number>();
  for (const e of sorted) {
    if (!Number.isSafeInteger(e.t) || e.t < 0) throw new PackedFrameError(`t must be a non-negative integer of ms, not ${e.t}`);
    if (e.t < base) base = e.t;
    counts.set(e.t, (counts.get(e.t) ?? 0) + 1);
  }
  if (sorted.length === 0) base = 0;
  // The most frequent times get a 2-bit code; entries of one batch share their time.
  const table = [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, TIME_TABLE_MAX).map(([t]) => t);
  const code = new Map(table.map((t, i) => [t, i]));

  out[at++] = PACKED_FRAME_VERSION;
  varint(sorted.length);
  view.setFloat64(at, base, true);
  at += 8;
  out[at++] = table.length;
  for (const t of table) varint(t - base);

  let previous = -1;
  for (const e of sorted) {
    if (!Number.isSafeInteger(e.n) || e.n <= previous) throw new PackedFrameError(`player numbers must be distinct non-negative integers, not ${e.n}`);
    const gap = e.n - previous - 1;
    previous = e.n;
    const timeCode = code.get(e.t) ?? TIME_EXPLICIT;
    const z = e.z !== 0;
    const heading = e.heading !== 0;
    const seq = e.seq !== null;
    out[at++] =
      (z ? Z_PRESENT : 0) | (heading ? HEADING_PRESENT : 0) | (seq ? SEQ_PRESENT : 0) | (timeCode << TIME_SHIFT) | (Math.min(gap, GAP_EXTENDED) << GAP_SHIFT);
    if (gap >= GAP_EXTENDED) varint(gap - GAP_EXTENDED);
    if (timeCode === TIME_EXPLICIT) varint(e.t - base);
    view.setFloat32(at, e.x, true);
    view.setFloat32(at + 4, e.y, true);
    at += 8;
    if (z) {
      view.setFloat32(at, e.z, true);
      at += 4;
    }
    if (heading) {
      view.setFloat32(at, e.heading, true);
      at += 4;
    }
    if (seq) varint(e.seq!);
  }
  return out.slice(0, at);
}

/** Decodes one frame (an ArrayBuffer in browsers, a Buffer in Node.js). */
export function decodePackedFrame(frame: ArrayBuffer | ArrayBufferView): PackedEntry[] {
  const bytes = frame instanceof ArrayBuffer ? new Uint8Array(frame) : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  const need = (n: number): void => {
    if (at + n > bytes.length) throw new PackedFrameError(`frame ends early: ${bytes.length} bytes`);
  };
  const byte = (): number => {
    need(1);
    return bytes[at++];
  };
  const varint = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new PackedFrameError('varint too long');
    }
  };
  const float32 = (): number => {
    need(4);
    const v = view.getFloat32(at, true);
    at += 4;
    return v;
  };

  const version = byte();
  if (version !== PACKED_FRAME_VERSION) throw new PackedFrameError(`unknown packed frame version ${version}`);
  const count = varint();
  need(8);
  const base = view.getFloat64(at, true);
  at += 8;
  const tableSize = byte();
  if (tableSize > TIME_TABLE_MAX) throw new PackedFrameError(`time table of ${tableSize} entries`);
  const table: number[] = [];
  for (let i = 0; i < tableSize; i++) table.push(base + varint());

  const entries: PackedEntry[] = [];
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const head = byte();
    let gap = head >>> GAP_SHIFT;
    if (gap === GAP_EXTENDED) gap += varint();
    const n = previous + 1 + gap;
    previous = n;
    const timeCode = (head >>> TIME_SHIFT) & 0b11;
    let t: number;
    if (timeCode === TIME_EXPLICIT) t = base + varint();
    else if (timeCode < table.length) t = table[timeCode];
    else throw new PackedFrameError(`time code ${timeCode} with a table of ${table.length}`);
    const x = float32();
    const y = float32();
    const z = head & Z_PRESENT ? float32() : 0;
    const heading = head & HEADING_PRESENT ? float32() : 0;
    const seq = head & SEQ_PRESENT ? varint() : null;
    entries.push({ n, x, y, z, heading, seq, t });
  }
  if (at !== bytes.length) throw new PackedFrameError(`${bytes.length - at} bytes after the last entry`);
  return entries;
}
