import { Reader, refuseRead } from './read-access';

const ada: Reader = { id: 'a0000000-0000-4000-8000-000000000001', username: 'ada', role: 'player' };
const bob = 'b0000000-0000-4000-8000-000000000002';

describe('refuseRead', () => {
  it('lets an analyst read everything', () => {
    const analyst: Reader = { ...ada, role: 'analyst' };
    expect(refuseRead(analyst, { kind: 'everyone' })).toBeNull();
    expect(refuseRead(analyst, { kind: 'players', ids: [bob] })).toBeNull();
  });

  it('lets a player read only their own history', () => {
    expect(refuseRead(ada, { kind: 'players', ids: [ada.id] })).toBeNull();
    expect(refuseRead(ada, { kind: 'players', ids: [ada.id.toUpperCase()] })).toBeNull();
    expect(refuseRead(ada, { kind: 'players', ids: [bob] })).toMatch(/only their own/);
    expect(refuseRead(ada, { kind: 'players', ids: [ada.id, bob] })).toMatch(/only their own/);
    expect(refuseRead(ada, { kind: 'players', ids: [] })).toMatch(/only their own/);
    expect(refuseRead(ada, { kind: 'everyone' })).toMatch(/only analysts/);
  });
});
