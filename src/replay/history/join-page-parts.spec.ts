import { joinPageParts, PagePart } from './event-queries';

// Positions stand for events; a part describes rows (first, last] of one read.
const part = (items: string, count: number, last: string | null, boundary: string | null = null): PagePart => ({ items, count, last, boundary });

describe('joinPageParts (a page of 4 read as rows 0–2 and 2–4)', () => {
  it('joins the halves when both reads put the same event at the seam', () => {
    expect(joinPageParts(part('1,2', 3, '2'), part('3,4', 5, '4', '2'), 2, 4)).toEqual({ items: ['1,2', ',', '3,4'], next: '4' });
  });

  it('ends the range when the second read has no row past the page', () => {
    expect(joinPageParts(part('1,2', 3, '2'), part('3,4', 4, '4', '2'), 2, 4)).toEqual({ items: ['1,2', ',', '3,4'], next: null });
    expect(joinPageParts(part('1,2', 3, '2'), part('3', 3, null, '2'), 2, 4)).toEqual({ items: ['1,2', ',', '3'], next: null });
  });

  it('answers the first half alone when the range ends inside it', () => {
    expect(joinPageParts(part('', 0, null), part('', 0, null), 2, 4)).toEqual({ items: [''], next: null });
    expect(joinPageParts(part('1', 1, null), part('', 1, null), 2, 4)).toEqual({ items: ['1'], next: null });
    expect(joinPageParts(part('1,2', 2, '2'), part('', 2, null, '2'), 2, 4)).toEqual({ items: ['1,2'], next: null });
  });

  it('refuses to join when the reads disagree on the seam (an event landed in the first half between them)', () => {
    expect(joinPageParts(part('1,2', 3, '2'), part('2,3', 5, '3', '9'), 2, 4)).toBeNull();
    expect(joinPageParts(part('1,2', 3, '2'), part('', 1, null, null), 2, 4)).toBeNull();
  });
});
