/** A position on the wire (the protocol's `Position`). */
export interface WirePosition {
  x: number;
  y: number;
  z: number;
  heading: number;
  /** ISO 8601 time the position was recorded. */
  at: string;
}

/** The data of a PlayerMoved event, as stored. */
export interface MovementData {
  x: number;
  y: number;
  z: number;
  heading: number;
  seq: number | null;
  /** The resumable session (auth.clientSession) the movement was sent in, when it was. */
  clientSession?: string;
}

export const PLAYER_MOVED = 'PlayerMoved';

export function toWirePosition(data: MovementData, recordedAt: Date): WirePosition {
  return { x: data.x, y: data.y, z: data.z, heading: data.heading, at: recordedAt.toISOString() };
}
