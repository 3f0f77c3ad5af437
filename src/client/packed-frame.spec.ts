import { Encoder, PacketType } from 'socket.io-parser';
import { decodePackedFrame, encodePackedFrame, PackedEntry, PackedFrameError } from './packed-frame.mjs';

const f32 = Math.fround;
const T = 1_765_000_000_123;

/** What a decoder returns for `e`: float32 coordinates, entries in ascending n. */
const asDecoded = (entries: PackedEntry[]): PackedEntry[] =>
  [...entries].sort((a, b) => a.n - b.n).map((e) => ({ ...e, x: f32(e.x), y: f32(e.y), z: f32(e.z), heading: f32(e.heading) }));

/** Bytes of one `players:moved` binary event on a WebSocket: the text packet, the attachment, and both frames' headers. */
function wireBytes(frame: Uint8Array): number {
  const [text, attachment] = new Encoder().encode({ type: PacketType.EVENT, nsp: '/', data: ['players:moved', Buffer.from(frame)] }) as [string, Buffer];
  const wsHeader = (length: number) => (length < 126 ? 2 : length < 65_536 ? 4 : 10); // server frames are not masked
  const textFrame = 1 + Buffer.byteLength(text); // engine.io's "4" (message) before the Socket.IO packet
  return wsHeader(textFrame) + textFrame + wsHeader(attachment.length) + attachment.length;
}

function crowd(count: number, { z, firstSeq }: { z: boolean; firstSeq: number }): PackedEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    n: i,
    x: -95_000 + i * 917.31,
    y: 44_000.5 - i * 311.7,
    z: z ? 12.25 + i : 0,
    heading: (i * 0.37) % 6.28,
    seq: firstSeq + i * 13,
    t: T + (i % 2 ? 0 : 4), // a tick's entries come from one or two batches
  }));
}

describe('packed players:moved frame', () => {
  it('decodes to the entries it was given, coordinates as float32, in ascending n', () => {
    const entries: PackedEntry[] = [
      { n: 5, x: 10.1, y: -20.2, z: 0, heading: 1.57, seq: 42, t: T },
      { n: 0, x: 99_999.99, y: -100_000, z: -3.5, heading: 0, seq: null, t: T - 7 },
      { n: 300, x: 0, y: 0, z: 0, heading: -3.14159, seq: 2 ** 53 - 1, t: T + 40 },
      { n: 6, x: 1, y: 2, z: 3, heading: 4, seq: 0, t: T + 41 },
      { n: 7, x: 1, y: 2, z: -0, heading: -0, seq: 127, t: T + 9_000_000 },
    ];
    expect(decodePackedFrame(encodePackedFrame(entries))).toEqual(asDecoded(entries).map((e) => ({ ...e, z: e.z || 0, heading: e.heading || 0 })));
  });

  it('decodes an empty frame and frames handed over as ArrayBuffer or as a view into a larger buffer', () => {
    expect(decodePackedFrame(encodePackedFrame([]))).toEqual([]);
    const frame = encodePackedFrame([{ n: 1, x: 1, y: 2, z: 0, heading: 0, seq: 3, t: T }]);
    const padded = new Uint8Array(frame.length + 10);
    padded.set(frame, 5);
    expect(decodePackedFrame(padded.subarray(5, 5 + frame.length))).toEqual([{ n: 1, x: 1, y: 2, z: 0, heading: 0, seq: 3, t: T }]);
    expect(decodePackedFrame(frame.slice().buffer)).toEqual([{ n: 1, x: 1, y: 2, z: 0, heading: 0, seq: 3, t: T }]);
  });

  it('keeps every time of a slow client’s backlog, however many distinct ones', () => {
    const entries = Array.from({ length: 20 }, (_, i) => ({ n: i * 3, x: i, y: i, z: 0, heading: 0, seq: i, t: T + i * 50 }));
    expect(decodePackedFrame(encodePackedFrame(entries))).toEqual(entries);
  });

  it('holds a moved player in at most 20 bytes on average in a frame of 200, attachment headers included', () => {
    const flat = encodePackedFrame(crowd(200, { z: false, firstSeq: 1_000 }));
    const full = encodePackedFrame(crowd(200, { z: true, firstSeq: 1_000 }));
    const json = Buffer.byteLength(JSON.stringify(crowd(200, { z: true, firstSeq: 1_000 }).map(({ n, ...e }) => ({ id: `9b2e0c1a-5d1f-4c43-9a43-${String(n).padStart(12, '0')}`, ...e }))));
    expect(wireBytes(flat) / 200).toBeLessThanOrEqual(16); // z = 0: a flat world
    expect(wireBytes(full) / 200).toBeLessThanOrEqual(20); // every field set
    expect(json / 200).toBeGreaterThan(4 * (wireBytes(full) / 200));
  });

  it('refuses frames that are cut short, too long, or of another version', () => {
    const frame = encodePackedFrame(crowd(3, { z: true, firstSeq: 1 }));
    expect(() => decodePackedFrame(frame.subarray(0, frame.length - 1))).toThrow(PackedFrameError);
    expect(() => decodePackedFrame(new Uint8Array([...frame, 0]))).toThrow(/after the last entry/);
    expect(() => decodePackedFrame(new Uint8Array([2, ...frame.subarray(1)]))).toThrow(/version 2/);
  });

  it('refuses to encode two entries of one player or a time that is not whole milliseconds', () => {
    expect(() => encodePackedFrame([{ n: 1, x: 0, y: 0, z: 0, heading: 0, seq: null, t: T }, { n: 1, x: 0, y: 0, z: 0, heading: 0, seq: null, t: T }])).toThrow(/distinct/);
    expect(() => encodePackedFrame([{ n: 1, x: 0, y: 0, z: 0, heading: 0, seq: null, t: T + 0.5 }])).toThrow(/whole|integer/);
  });
});
