import { PositionDto } from '../dto/replay.dto';

/** A player joined with the last-position projection (see replay.sql.ts). */
export interface LastPositionRow {
  id: string;
  username: string;
  x: number | null;
  y: number | null;
  z: number | null;
  heading: number | null;
  recordedAt: Date | null;
}

export function toPosition(r: LastPositionRow): PositionDto | null {
  if (r.recordedAt === null) return null;
  return { x: r.x!, y: r.y!, z: r.z!, heading: r.heading!, at: new Date(r.recordedAt).toISOString() };
}
