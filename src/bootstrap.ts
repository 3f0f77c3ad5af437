import { INestApplication, Logger, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express from 'express';
import { existsSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { AppModule } from './app.module';
import { ConfiguredIoAdapter } from './common/configured-io.adapter';
import { HttpErrorFilter } from './common/http-exception.filter';
import { assertRedisReachable } from './common/cluster-redis';
import { limitRequestHeads } from './common/http-client-errors';
import { verifyJsonBody } from './common/json-body-rules';
import { createLogger } from './common/logger';
import { requestLogging } from './common/request-log';
import { Settings } from './config/settings';
import { connectDatabase, DatabaseConnection } from './database/database-connection';
import { httpMetrics } from './metrics/http-metrics.middleware';
import { WaypointMetrics } from './metrics/waypoint-metrics';
import { liveOpenApiExamples } from './replay/openapi-examples';
import { GracefulStop } from './world/graceful-stop/graceful-stop';

export interface RunningWaypoint {
  app: INestApplication;
  database: DatabaseConnection;
  /** http://host:port of the listening server. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The pages (the game, the replay viewer, the monitor) and their scripts, from the repo's public/ whether running from src/ or dist/src/. */
function publicDir(): string {
  for (const candidate of [join(__dirname, '..', 'public'), join(__dirname, '..', '..', 'public')]) {
    if (existsSync(candidate)) return candidate;
  }
  return join(__dirname, '..', 'public');
}

/**
 * Serves the game page's files at their own paths only. Mounted in front of every route,
 * serve-static stat()ed the disk for each API request and built a not-found error with a
 * stack trace before passing it on: about 1 ms of the event loop per request
 * (docs/performance.md, "Public files at their own paths"). The files (sub-folders
 * included) are listed once, at start.
 */
function servePublicFiles(app: NestExpressApplication, dir: string): void {
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((name) => `/${name.split(sep).join('/')}`);
  // A folder with an index.html is a page (`/replay`): its bare path redirects to `/replay/`, served from there.
  const pages = files.filter((file) => file.endsWith('/index.html')).map((file) => file.slice(0, -'index.html'.length));
  const paths = new Set(['/', ...files, ...pages]);
  const serve = express.static(dir, { index: 'index.html' });
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => (paths.has(req.path) ? serve(req, res, next) : next()));
}

/**
 * The client library (src/client, built to ES modules) at /client/: `waypoint.js` is its
 * entry point, the modules it imports sit beside it under their own names. Running from
 * src/ (tests), the built copy in dist/ is served; without one, nothing is (and a line says so).
 */
function serveClientLibrary(app: NestExpressApplication): void {
  const dir = [join(__dirname, 'client'), join(__dirname, '..', 'dist', 'src', 'client')].find((d) => existsSync(join(d, 'waypoint.mjs')));
  if (!dir) {
    new Logger('Bootstrap').warn({ message: 'the client library is not built, so /client/waypoint.js is not served; run `npm run build`' });
    return;
  }
  const files = new Map(readdirSync(dir).filter((name) => name.endsWith('.mjs')).map((name) => [`/client/${name}`, name]));
  files.set('/client/waypoint.js', 'waypoint.mjs');
  app.use((req: express.Request, res: express.Response, next: express.NextFunction) => {
    const name = req.method === 'GET' || req.method === 'HEAD' ? files.get(req.path) : undefined;
    if (!name) return next();
    res.type('text/javascript');
    res.sendFile(name, { root: dir }, (error) => error && next(error));
  });
}

/** Builds the whole server on an open database and listens. Used by main, the CLI-less tests and benchmarks. */
export async function startWaypoint(settings: Settings, database?: DatabaseConnection): Promise<RunningWaypoint> {
  const logger = createLogger(settings);
  if (settings.redisUrl) await assertRedisReachable(settings.redisUrl);
  const db = database ?? (await connectDatabase(settings, new Logger('Database')));
  let app: NestExpressApplication | null = null;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(settings, db), {
      logger,
      bodyParser: false,
    });
    app.use(httpMetrics(app.get(WaypointMetrics)));
    app.use(requestLogging(logger.pino));
    // express.json itself rather than useBodyParser, which keeps `verify` for Nest's rawBody option.
    app.use(express.json({ limit: settings.maxHttpBodyBytes, verify: verifyJsonBody(settings.maxJsonBodyDepth) }));
    limitRequestHeads(app.getHttpServer(), settings.maxHttpHeaderBytes);
    // No ETag on generated answers: Express hashed every body (2 MB for a replay page) for a
    // header no client revalidates with; static files keep their own (serve-static).
    app.set('etag', false);
    if (settings.trustProxy !== null) app.set('trust proxy', settings.trustProxy);
    app.useWebSocketAdapter(new ConfiguredIoAdapter(app, settings));
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    app.useGlobalFilters(new HttpErrorFilter());
    servePublicFiles(app, publicDir());
    serveClientLibrary(app);
    const openApi = new DocumentBuilder()
      .setTitle('Waypoint')
      .setDescription('Real-time position server: accounts and movement history (see docs/protocol.md)')
      .setVersion('1')
      .addBearerAuth()
      .build();
    SwaggerModule.setup('docs', app, () => SwaggerModule.createDocument(app!, openApi), { jsonDocumentUrl: 'docs-json', patchDocumentOnRequest: liveOpenApiExamples(app) });
    await app.listen(settings.port, settings.host);
  } catch (error) {
    await app?.close().catch(() => undefined);
    if (!database) await db.close();
    throw error;
  }
  const address = app.getHttpServer().address() as { port: number };
  const host = settings.host.includes(':') ? `[${settings.host}]` : settings.host;
  const running: RunningWaypoint = {
    app,
    database: db,
    port: address.port,
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    async close() {
      // Clients first, while the batcher and the sockets still work: every movement taken is answered.
      await app!.get(GracefulStop).stop();
      await app!.close();
      if (!database) await db.close();
    },
  };
  return running;
}
