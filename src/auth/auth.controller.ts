import { Body, Controller, HttpCode, Post, Res, UnauthorizedException, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { Response } from 'express';
import { ErrorDto, errorExample } from '../common/error.dto';
import { LoginRequest, LoginResponse, RegisteredPlayer, RegisterRequest } from './auth.dto';
import { AuthService } from './auth.service';
import { FailedLogins, TooManyFailedLogins } from './failed-logins';

@ApiTags('auth')
@ApiBadRequestResponse({
  type: ErrorDto,
  description:
    'malformed JSON, a body breaking the JSON body rules (nesting over MAX_JSON_BODY_DEPTH, NUL or a lone surrogate in a string, a number a double cannot hold, a key twice, not UTF-8), a body that is not an object, an invalid or unknown field (messages joined by "; ")',
  example: errorExample(400, 'Bad Request', 'request body is not valid JSON'),
})
@ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a body over MAX_HTTP_BODY_BYTES', example: errorExample(413, 'Payload Too Large', 'request body is too large') })
@ApiTooManyRequestsResponse({
  type: ErrorDto,
  description: 'over AUTH_THROTTLE_PER_ADDRESS (login and register from one address) or, for login, AUTH_THROTTLE_PER_USERNAME failed logins; Retry-After gives the seconds to wait',
  example: errorExample(429, 'Too Many Requests', 'too many failed logins for this username; retry after 42 s'),
})
// Guards run before the body is validated and before any password is hashed.
@UseGuards(ThrottlerGuard)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly failedLogins: FailedLogins,
  ) {}

  @Post('register')
  @ApiCreatedResponse({ type: RegisteredPlayer })
  @ApiConflictResponse({ type: ErrorDto, description: 'username taken (regardless of case)', example: errorExample(409, 'Conflict', 'username "ada_l" is taken; choose another') })
  register(@Body() body: RegisterRequest): Promise<RegisteredPlayer> {
    return this.auth.register(body.username, body.password);
  }

  @Post('login')
  @HttpCode(200)
  @ApiOkResponse({ type: LoginResponse })
  @ApiUnauthorizedResponse({ type: ErrorDto, description: 'unknown username or wrong password', example: errorExample(401, 'Unauthorized', 'invalid username or password') })
  async login(@Body() body: LoginRequest, @Res({ passthrough: true }) res: Response): Promise<LoginResponse> {
    try {
      this.failedLogins.assertMayTry(body.username);
    } catch (error) {
      if (error instanceof TooManyFailedLogins) res.setHeader('Retry-After', String(error.retryAfterSeconds));
      throw error;
    }
    try {
      return await this.auth.login(body.username, body.password);
    } catch (error) {
      if (error instanceof UnauthorizedException) this.failedLogins.failed(body.username);
      throw error;
    }
  }
}
