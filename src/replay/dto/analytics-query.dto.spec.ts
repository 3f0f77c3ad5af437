import { AnalyticsLimits, toAnalyticsRange, toCell, toPointCoordinate, toRadius } from './analytics-query.dto';

const limits: AnalyticsLimits = { analyticsMaxRangeHours: 24, world: { min: -100_000, max: 100_000 } };

describe('analytics parameters', () => {
  it('takes a range [from, to) of up to ANALYTICS_MAX_RANGE_HOURS, to the millisecond', () => {
    expect(toAnalyticsRange({ from: '2025-03-01T10:00:00Z', to: '2025-03-02T10:00:00Z' }, 24)).toEqual({
      from: new Date('2025-03-01T10:00:00Z'),
      to: new Date('2025-03-02T10:00:00Z'),
    });
    expect(() => toAnalyticsRange({ from: '2025-03-01T10:00:00Z', to: '2025-03-02T10:00:00.001Z' }, 24)).toThrow(/longer than 24 h/);
    expect(() => toAnalyticsRange({ from: '2025-03-01T10:00:00Z', to: '2025-03-01T10:00:00Z' }, 24)).toThrow(/must be before to/);
    expect(() => toAnalyticsRange({ from: '2025-03-01T12:00:00+02:00', to: '2025-03-01T10:00:00Z' }, 24)).toThrow(/must be before to/);
  });

  it('takes a cell above 0 that keeps cell numbers whole for the world', () => {
    expect(toCell('2.5', limits)).toBe(2.5);
    expect(toCell('1e-10', limits)).toBe(1e-10);
    expect(() => toCell('0', limits)).toThrow(/above 0/);
    expect(() => toCell('-1', limits)).toThrow(/above 0/);
    expect(() => toCell('1e400', limits)).toThrow(/finite/);
    expect(() => toCell('1e-12', limits)).toThrow(/at least 2\.2\d*e-11 world units/);
  });

  it('takes a point inside the world and a radius above 0, counted at most as twice the world', () => {
    expect(toPointCoordinate('x', '-100000', limits)).toBe(-100_000);
    expect(() => toPointCoordinate('y', '100000.5', limits)).toThrow(/y must be within the world bounds, -100000 to 100000/);
    expect(toRadius('50', limits)).toBe(50);
    expect(toRadius('1e300', limits)).toBe(400_000);
    expect(() => toRadius('0', limits)).toThrow(/radius must be above 0/);
  });
});
