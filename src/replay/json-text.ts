import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Response } from 'express';
import { map, Observable } from 'rxjs';

/**
 * A response body already serialised as JSON (by PostgreSQL, for the large answers):
 * sent as it is instead of being parsed into objects here and stringified again.
 * The type parameter names the shape it holds, for the reader and for OpenAPI.
 */
export class JsonText<_Shape = unknown> {
  constructor(readonly text: string) {}
}

/** Sends a JsonText as an application/json body; anything else passes through. */
@Injectable()
export class JsonTextInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      map((body) => {
        if (!(body instanceof JsonText)) return body;
        context.switchToHttp().getResponse<Response>().type('application/json');
        return body.text;
      }),
    );
  }
}
