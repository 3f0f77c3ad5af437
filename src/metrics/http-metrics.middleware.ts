import type { NextFunction, Request, Response } from 'express';
import { WaypointMetrics } from './waypoint-metrics';

/**
 * Times every HTTP request by its route template (`/players/:id/position`, never the raw
 * URL, so label values stay few); requests no route matched (static files, 404s) count
 * as `other`. Mounted before the routes; the route is known once the answer is sent.
 */
export function httpMetrics(metrics: WaypointMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const route = (req.route as { path?: unknown } | undefined)?.path;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      metrics.httpRequest(req.method, typeof route === 'string' ? req.baseUrl + route : 'other', res.statusCode, seconds);
    });
    next();
  };
}
