import { Logger } from '@nestjs/common';
import { once } from 'node:events';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger, writesJson } from './logger';
import { requestLogging } from './request-log';

/** A destination that keeps every line written to it, parsed. */
function memory(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, lines: () => text.trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) };
}

describe('the logger', () => {
  it('writes one flat JSON object per line: the message at top level, never nested', () => {
    const out = memory();
    const logger = createLogger({ logLevel: 'log', logFormat: 'json' }, out.stream);
    logger.log({ message: 'migration applied', migration: 'Initial' }, 'Database');
    logger.warn('plain text', 'Waypoint');
    expect(out.lines()).toEqual([
      expect.objectContaining({ level: 'info', context: 'Database', message: 'migration applied', migration: 'Initial' }),
      expect.objectContaining({ level: 'warn', context: 'Waypoint', message: 'plain text' }),
    ]);
  });

  it("keeps Nest's wiring lines (modules, routes) out of the default level", () => {
    const out = memory();
    const logger = createLogger({ logLevel: 'log', logFormat: 'json' }, out.stream);
    logger.log('Mapped {/health, GET} route', 'RouterExplorer');
    logger.log('AppModule dependencies initialized', 'InstanceLoader');
    logger.log('player connected', 'WorldGateway');
    expect(out.lines().map((line) => line.message)).toEqual(['player connected']);
  });

  it('honours LOG_LEVEL through the Nest Logger facade, with the stack of an error', () => {
    const out = memory();
    Logger.overrideLogger(createLogger({ logLevel: 'warn', logFormat: 'json' }, out.stream));
    const logger = new Logger('Batcher');
    logger.log('not shown');
    logger.error('batch failed', 'Error: boom\n    at somewhere');
    Logger.overrideLogger(false);
    expect(out.lines()).toEqual([expect.objectContaining({ level: 'error', context: 'Batcher', message: 'batch failed', stack: expect.stringContaining('boom') })]);
  });

  it('redacts passwords and tokens in logged objects', () => {
    const out = memory();
    createLogger({ logLevel: 'log', logFormat: 'json' }, out.stream).log({ message: 'x', password: 'hunter2', body: { token: 'abc', accessToken: 'def' } });
    const line = JSON.stringify(out.lines()[0]);
    expect(line).not.toMatch(/hunter2|abc|def/);
    expect(out.lines()[0]).toMatchObject({ password: '[redacted]', body: { token: '[redacted]', accessToken: '[redacted]' } });
  });

  it('is pretty on a terminal and JSON elsewhere when LOG_FORMAT is auto', () => {
    expect(writesJson('auto', { isTTY: true })).toBe(false);
    expect(writesJson('auto', { isTTY: false })).toBe(true);
    expect(writesJson('json', { isTTY: true })).toBe(true);
    expect(writesJson('pretty', { isTTY: false })).toBe(false);
  });
});

describe('request logging', () => {
  let server: Server;
  let url: string;
  const out = memory();

  beforeAll(async () => {
    const log = requestLogging(createLogger({ logLevel: 'debug', logFormat: 'json' }, out.stream).pino);
    server = createServer((req, res) => log(req, res, () => res.writeHead(req.url?.startsWith('/missing') ? 404 : 200).end('ok')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('logs each answered request with its status, no credential header, and a token in the URL redacted', async () => {
    await fetch(`${url}/replay/movements?token=secret-in-url&limit=5`, { headers: { Authorization: 'Bearer secret-token', Cookie: 'sid=secret-cookie' } });
    await fetch(`${url}/missing`);
    const [ok, missing] = out.lines();
    const text = JSON.stringify(out.lines());
    expect(text).not.toMatch(/secret-token|secret-in-url|secret-cookie/);
    expect(ok).toMatchObject({ level: 'debug', context: 'HTTP', message: expect.stringMatching(/^GET \/replay\/movements\?token=\[redacted\]&limit=5 200 \d+ ms$/) });
    expect(ok).toMatchObject({ req: { method: 'GET', userAgent: expect.any(String) }, res: { statusCode: 200 } });
    expect((ok as { req: Record<string, unknown> }).req.headers).toBeUndefined();
    expect(missing).toMatchObject({ level: 'info', res: { statusCode: 404 } });
  });
});
