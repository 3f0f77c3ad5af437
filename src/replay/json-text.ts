import { CallHandler, ExecutionContext, Injectable, NestInterceptor, StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { map, Observable } from 'rxjs';

/**
 * A response body already serialised as JSON (by PostgreSQL, for the large answers):
 * sent as it is instead of being parsed into objects here and stringified again.
 * The type parameter names the shape it holds, for the reader and for OpenAPI.
 */
export class JsonText<_Shape = unknown> {
  readonly parts: string[];
  /** The body is `parts` one after another (see JsonTextInterceptor for why not one string). */
  constructor(...parts: string[]) {
    this.parts = parts;
  }
}

/**
 * Sends a JsonText as an application/json body, its parts written to the socket one
 * after another: they are flat strings (as node-postgres decodes them), and Node.js
 * encodes flat strings several times faster than the rope their concatenation would
 * be (docs/benchmarks.md). Anything else passes through.
 */
@Injectable()
export class JsonTextInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body) => {
        if (!(body instanceof JsonText)) return body;
        const length = body.parts.reduce((bytes, part) => bytes + Buffer.byteLength(part), 0);
        return new StreamableFile(Readable.from(body.parts), { type: 'application/json; charset=utf-8', length });
      }),
    );
  }
}
