import { cellOf, neighbourhood, planAreaBroadcast } from './area-of-interest';

describe('area of interest grid', () => {
  it('puts positions in cells by floor(coordinate / size), negatives included', () => {
    expect(cellOf(0, 0, 100)).toBe('0:0');
    expect(cellOf(99.9, 100, 100)).toBe('0:1');
    expect(cellOf(-0.1, -100, 100)).toBe('-1:-1');
  });

  it('has nine cells in a neighbourhood', () => {
    expect(neighbourhood('0:0').sort()).toEqual(['-1:-1', '-1:0', '-1:1', '0:-1', '0:0', '0:1', '1:-1', '1:0', '1:1'].sort());
  });

  it('sends a mover to its own and the neighbouring cells only', () => {
    const a = { id: 'a', x: 50, y: 50 };
    const far = { id: 'far', x: 950, y: 950 };
    const plan = planAreaBroadcast([a, far], 100);
    expect(plan.get('0:0')).toEqual([a]);
    expect(plan.get('1:1')).toEqual([a]);
    expect(plan.get('-1:-1')).toEqual([a]);
    expect(plan.get('2:2')).toBeUndefined();
    expect(plan.get('9:9')).toEqual([far]);
    expect(plan.get('5:5')).toBeUndefined();
  });

  it('gives a cell between two movers both of them', () => {
    const left = { id: 'l', x: 50, y: 50 };
    const right = { id: 'r', x: 250, y: 50 };
    const plan = planAreaBroadcast([left, right], 100);
    expect(plan.get('1:0')).toEqual([left, right]);
    expect(plan.get('0:0')).toEqual([left]);
  });
});
