import { SendBuffer } from './send-buffer.mjs';

describe('SendBuffer', () => {
  it('numbers positions from firstSeq and keeps them until settled', () => {
    const buffer = new SendBuffer(10, 5);
    expect(buffer.add({ x: 1, y: 1 }).entry.seq).toBe(5);
    expect(buffer.add({ x: 2, y: 2 }).entry.seq).toBe(6);
    buffer.settle(5);
    expect(buffer.pending()).toEqual([{ x: 2, y: 2, seq: 6 }]);
  });

  it('on resume drops what lastSeq covers and resends the rest in order', () => {
    const buffer = new SendBuffer(10);
    for (let i = 1; i <= 5; i++) buffer.add({ x: i, y: 0 });
    expect(buffer.resume(3).map((p) => p.seq)).toEqual([4, 5]);
    expect(buffer.size).toBe(2);
  });

  it('resends everything when nothing is recorded (null) or the server does not resume (undefined)', () => {
    const buffer = new SendBuffer(10);
    buffer.add({ x: 1, y: 0 });
    buffer.add({ x: 2, y: 0 });
    expect(buffer.resume(null).map((p) => p.seq)).toEqual([1, 2]);
    expect(buffer.resume(undefined).map((p) => p.seq)).toEqual([1, 2]);
  });

  it('continues above a lastSeq the server knows of, so seqs keep increasing in the client session', () => {
    const buffer = new SendBuffer(10);
    expect(buffer.resume(41)).toEqual([]);
    expect(buffer.add({ x: 0, y: 0 }).entry.seq).toBe(42);
  });

  it('starts from what an earlier holder of the client session left waiting, and numbers on above it', () => {
    const buffer = new SendBuffer(10, 3, [{ x: 2, y: 0, seq: 8 }, { x: 1, y: 0, seq: 7 }]);
    expect(buffer.pending().map((p) => p.seq)).toEqual([7, 8]);
    expect(buffer.nextSeq).toBe(9);
    expect(buffer.add({ x: 3, y: 0 }).entry.seq).toBe(9);
    expect(new SendBuffer(10, 20, [{ x: 0, y: 0, seq: 4 }]).nextSeq).toBe(20);
  });

  it('drops the oldest waiting position when full', () => {
    const buffer = new SendBuffer(2);
    buffer.add({ x: 1, y: 0 });
    buffer.add({ x: 2, y: 0 });
    expect(buffer.add({ x: 3, y: 0 }).dropped).toEqual({ x: 1, y: 0, seq: 1 });
    expect(buffer.pending().map((p) => p.seq)).toEqual([2, 3]);
  });
});
