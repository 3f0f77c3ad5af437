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
  /** The response's content type: JSON, or a JSON-based type such as application/geo+json. */
  contentType = 'application/json; charset=utf-8';
  /** The body is `parts` one after another (see JsonTextInterceptor for why not one string). */
  constructor(...parts: string[]) {
    this.parts = parts;
  }

  /** The same body sent as `contentType`. */
  as(contentType: string): this {
    this.contentType = contentType;
    return this;
  }
}

/**
 * Sends a JsonText as its JSON body (application/json unless it says otherwise), its parts written to the socket one
 * after another: they are flat strings (as node-postgres decodes them), and Node.js
 * encodes flat strings several times faster than the rope their concatenation would
 * be (docs/performance.md, "Large answers sent as flat pieces"). Anything else passes
 * through.
 */
@Injectable()
export class JsonTextInterceptor implements NestInterceptor {
  intercept(_context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body) => {
        if (!(body instanceof JsonText)) return body;
        const length = body.parts.reduce((bytes, part) => bytes + Buffer.byteLength(part), 0);
        return new StreamableFile(Readable.from(body.parts), { type: body.contentType, length });
      }),
    );
  }
}
