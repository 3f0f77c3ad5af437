/** Event types of a player's lifecycle stream (see player-streams.ts). */
export const PlayerLifecycleEvent = {
  Registered: 'PlayerRegistered',
  RoleGranted: 'PlayerRoleGranted',
  RoleRevoked: 'PlayerRoleRevoked',
  Connected: 'PlayerConnected',
  Disconnected: 'PlayerDisconnected',
} as const;

export type Role = 'player' | 'analyst';
