import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { LATEST_MOVER } from './replay.sql';

type Parameter = { name: string; in: string; example?: unknown; schema?: { example?: unknown } };

/** Query and path parameters whose examples are filled from the history when the document is served. */
interface LiveValues {
  from: string;
  to: string;
  at: string;
  id?: string;
  players?: string;
  x?: string;
  y?: string;
}

/** The instant, to the second, as ISO 8601. */
const isoSecond = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Examples that return data when tried from the OpenAPI page: the last hour up to now
 * (to the next minute), the player who moved last (as `id`, and as `players` of
 * GET /movements) and the point where they are (the visits' `x`, `y`). Static
 * examples would name an hour and a player this server never saw. Set on every request
 * for the document (one scan of last_positions, a row per player); when nobody has
 * moved yet, the ids and the point keep their static examples.
 */
export function liveOpenApiExamples(app: INestApplication): (req: unknown, res: unknown, document: OpenAPIObject) => Promise<OpenAPIObject> {
  const dataSource = app.get(DataSource);
  return async (_req, _res, document) => {
    const now = Date.now();
    const values: LiveValues = { from: isoSecond(now - 3_600_000), to: isoSecond(Math.ceil(now / 60_000) * 60_000), at: isoSecond(now) };
    const [latest]: { id: string; x: number; y: number }[] = await dataSource.query(LATEST_MOVER).catch(() => []);
    if (latest) Object.assign(values, { id: latest.id, players: latest.id, x: String(Math.round(latest.x)), y: String(Math.round(latest.y)) });
    for (const [route, path] of Object.entries(document.paths)) {
      for (const parameter of (path.get?.parameters ?? []) as Parameter[]) {
        // A heatmap's example is of the whole world, not of one player.
        if (parameter.name === 'players' && route.startsWith('/world/')) continue;
        const value = values[parameter.name as keyof LiveValues];
        if (value === undefined || (parameter.in !== 'query' && parameter.in !== 'path')) continue;
        // Where the decorators put a property's example, and where Swagger UI looks first.
        if (parameter.schema) parameter.schema.example = value;
        parameter.example = value;
      }
    }
    return document;
  };
}
