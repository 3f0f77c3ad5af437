import { decideRoleChange } from './role-decision';

describe('decideRoleChange', () => {
  it('grants analyst to a player, recording PlayerRoleGranted', () => {
    expect(decideRoleChange('player', 'grant', 'analyst', 'cli')).toEqual({
      changed: true,
      role: 'analyst',
      event: { type: 'PlayerRoleGranted', data: { role: 'analyst', previousRole: 'player', newRole: 'analyst', source: 'cli' } },
    });
  });

  it('revokes analyst, recording PlayerRoleRevoked', () => {
    expect(decideRoleChange('analyst', 'revoke', 'analyst', 'cli')).toMatchObject({
      changed: true,
      role: 'player',
      event: { type: 'PlayerRoleRevoked', data: { previousRole: 'analyst', newRole: 'player' } },
    });
  });

  it('changes nothing when the player already is (or is not) an analyst', () => {
    expect(decideRoleChange('analyst', 'grant', 'analyst', 'bootstrap')).toEqual({ changed: false, role: 'analyst' });
    expect(decideRoleChange('player', 'revoke', 'analyst', 'cli')).toEqual({ changed: false, role: 'player' });
  });

  it('refuses roles other than analyst', () => {
    expect(() => decideRoleChange('player', 'grant', 'player', 'cli')).toThrow(/every account is a player/);
    expect(() => decideRoleChange('player', 'grant', 'admin', 'cli')).toThrow(/unknown role "admin"/);
  });
});
