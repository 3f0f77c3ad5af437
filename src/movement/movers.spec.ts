import { Settings } from '../config/settings';
import { Movers } from './movers';

const settings = { world: { min: -100, max: 100 }, rateLimit: { perSecond: 10, burst: 3 }, maxSpeed: null, maxPositionPayloadBytes: 1024 } as unknown as Settings;
const stored = { version: 7, last: null };

describe('Movers: one state per player', () => {
  it('given a takeover, when the old session leaves before the new one joins, then both work on the same Mover', () => {
    const movers = new Movers(settings);
    const old = movers.join('p', 's1', stored, 0);
    const early = movers.of('p', 10); // a position of the new session, before it joined
    movers.leave('p', 's1', 20);
    expect(movers.join('p', 's2', stored, 30)).toBe(old);
    expect(early).toBe(old);
  });

  it('given a player gone for a minute with nothing in flight, then its state is dropped, and not before', () => {
    const movers = new Movers(settings);
    const first = movers.join('p', 's1', stored, 0);
    first.inFlight = 1;
    movers.leave('p', 's1', 1_000);
    movers.join('q', 'x', stored, 62_000); // sweeps: p still has a movement in flight
    expect(movers.of('p', 62_000)).toBe(first);
    first.inFlight = 0;
    movers.leave('q', 'x', 62_001); // sweeps again: p is idle long enough now
    expect(movers.of('p', 62_002)).not.toBe(first);
  });

  it('given what the database holds, when a session joins, then the newer of it and what this node knows is kept', () => {
    const movers = new Movers(settings);
    const mover = movers.join('p', 's1', { version: 3, last: null, resume: { clientSession: 'c', lastSeq: 5 } }, 0);
    mover.version = 9;
    movers.join('p', 's2', { version: 4, last: null, resume: { clientSession: 'c', lastSeq: 2 } }, 1);
    expect(mover.version).toBe(9);
    expect(mover.resume('c')).toMatchObject({ recorded: 5, accepted: 5 });
  });
});
