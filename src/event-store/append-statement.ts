import { appendBatchSql } from './event-store.sql';
import type { InlineProjection } from './event-store.service';

const statements = new Map<string, { name: string; text: string }>();

/** The batch append for a set of inline projections, built once per set and named for preparing. */
export function appendStatement(projections: InlineProjection[]): { name: string; text: string } {
  const name = `waypoint_append_${projections.map((p) => p.name).join('_')}`;
  let statement = statements.get(name);
  if (!statement) {
    statement = { name, text: appendBatchSql(projections.map((p) => p.sql)) };
    statements.set(name, statement);
  }
  return statement;
}
