import { decideMovement, initialMotionState, MotionState, MovementLimits, SeveralArguments } from './movement-rules';

const limits: MovementLimits = {
  world: { min: -100, max: 100 },
  rateLimit: { perSecond: 10, burst: 3 },
  maxSpeed: 50,
  maxPositionPayloadBytes: 1024,
};
const T0 = 1_000_000;

describe('decideMovement', () => {
  describe('given a fresh player', () => {
    const state = initialMotionState(limits, T0);

    it('when a full position arrives, then it is accepted as is', () => {
      const d = decideMovement({ x: 1, y: 2, z: 3, heading: 0.5, seq: 4 }, state, limits, T0);
      expect(d).toMatchObject({ accepted: true, movement: { x: 1, y: 2, z: 3, heading: 0.5, seq: 4 } });
    });

    it('when z, heading and seq are left out, then they default to 0, 0 and null', () => {
      const d = decideMovement({ x: 1, y: 2 }, state, limits, T0);
      expect(d).toMatchObject({ accepted: true, movement: { x: 1, y: 2, z: 0, heading: 0, seq: null } });
    });

    it('when seq is null, then it is treated as left out', () => {
      expect(decideMovement({ x: 1, y: 2, seq: null }, state, limits, T0)).toMatchObject({ accepted: true, movement: { seq: null } });
    });

    it('when the first position is far away, then there is no speed check (nothing stored yet)', () => {
      expect(decideMovement({ x: 99, y: 99 }, state, limits, T0).accepted).toBe(true);
    });

    it.each([
      [{ x: 100, y: -100, z: 100 }, true],
      [{ x: 100.0001, y: 0 }, false],
      [{ x: 0, y: -101 }, false],
      [{ x: 0, y: 0, z: 1e9 }, false],
    ])('when it is at %j, then in bounds is %s', (payload, inBounds) => {
      const d = decideMovement(payload, state, limits, T0);
      if (inBounds) expect(d.accepted).toBe(true);
      else expect(d).toMatchObject({ accepted: false, code: 'out_of_bounds' });
    });

    it('when the payload is bad, then the seq is echoed only if it is itself valid', () => {
      expect(decideMovement({ x: 'a', y: 1, seq: 5 }, state, limits, T0)).toMatchObject({ accepted: false, code: 'invalid_position', seq: 5 });
      expect(decideMovement({ x: 'a', y: 1, seq: -5 }, state, limits, T0)).toMatchObject({ accepted: false, seq: null });
    });

    it('when the message carried several arguments, then it is refused whole and still charged to the rate limit', () => {
      const d = decideMovement(new SeveralArguments(2), state, limits, T0);
      expect(d).toMatchObject({ accepted: false, code: 'invalid_position', message: expect.stringMatching(/takes one argument.*got 2$/), seq: null });
      expect(d.state.tokens).toBe(state.tokens - 1);
    });
  });

  describe('given a player who was at the origin 1 s ago', () => {
    const state: MotionState = { ...initialMotionState(limits, T0), last: { x: 0, y: 0, z: 0, at: T0 } };

    it('when they move 50 units, then it is accepted (exactly the max speed)', () => {
      expect(decideMovement({ x: 30, y: 40 }, state, limits, T0 + 1000).accepted).toBe(true);
    });

    it('when they move 51 units, then it is too_fast and the state keeps the old position', () => {
      const d = decideMovement({ x: 51, y: 0 }, state, limits, T0 + 1000);
      expect(d).toMatchObject({ accepted: false, code: 'too_fast' });
      expect(d.state.last).toEqual(state.last);
    });

    it('when max speed is off, then any jump is accepted', () => {
      expect(decideMovement({ x: 99, y: 99 }, state, { ...limits, maxSpeed: null }, T0 + 1).accepted).toBe(true);
    });
  });

  describe('rate limit (token bucket of 3, refilled at 10/s)', () => {
    it('accepts a burst of 3, then rejects, then refills with time', () => {
      let state = initialMotionState(limits, T0);
      const codes: (string | true)[] = [];
      for (let i = 0; i < 5; i++) {
        const d = decideMovement({ x: 0, y: 0 }, state, limits, T0);
        state = d.state;
        codes.push(d.accepted ? true : d.code);
      }
      expect(codes).toEqual([true, true, true, 'rate_limited', 'rate_limited']);
      const later = decideMovement({ x: 0, y: 0 }, state, limits, T0 + 100);
      expect(later.accepted).toBe(true);
    });

    it('charges invalid messages too, so a flood of garbage is limited', () => {
      let state = initialMotionState(limits, T0);
      for (let i = 0; i < 3; i++) state = decideMovement('garbage', state, limits, T0).state;
      expect(decideMovement({ x: 0, y: 0 }, state, limits, T0)).toMatchObject({ accepted: false, code: 'rate_limited' });
    });
  });
});

describe('the precision a position is kept to', () => {
  const limits = { world: { min: -100_000, max: 100_000 }, rateLimit: { perSecond: 60, burst: 120 }, maxSpeed: null, maxPositionPayloadBytes: 1024 };
  const decide = (payload: unknown) => decideMovement(payload, initialMotionState(limits, 0), limits, 0);

  it('rounds coordinates and heading to a millionth, so no stored number is long', () => {
    const d = decide({ x: 5e-324, y: 1e-300, z: 12.3456789, heading: -0.0000004, seq: 1 });
    expect(d.accepted && d.movement).toEqual({ x: 0, y: 0, z: 12.345679, heading: 0, seq: 1 });
    if (!d.accepted) return;
    expect(Object.is(d.movement.heading, -0)).toBe(false);
    expect(JSON.stringify(d.movement).length).toBeLessThan(60);
  });

  it('keeps positions of a millionth and coarser exactly', () => {
    const d = decide({ x: -99_999.123456, y: 0.000001, seq: 2 });
    expect(d.accepted && d.movement).toMatchObject({ x: -99_999.123456, y: 0.000001 });
  });
});
