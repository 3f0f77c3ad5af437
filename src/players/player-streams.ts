/**
 * Stream naming. A player's movements are a stream of their own with a single
 * writer (the player's live session), so its versions are exactly 1, 2, 3, …
 * Account and session lifecycle events (registered, role changes, connect,
 * disconnect) go to the player's lifecycle stream, which has several writers.
 */
export const movementStreamId = (playerId: string): string => `movement-${playerId}`;
export const playerStreamId = (playerId: string): string => `player-${playerId}`;
