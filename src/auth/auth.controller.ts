import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ErrorDto, errorExample } from '../common/error.dto';
import { LoginRequest, LoginResponse, RegisteredPlayer, RegisterRequest } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@ApiBadRequestResponse({
  type: ErrorDto,
  description: 'malformed JSON, a body that is not an object, an invalid or unknown field (messages joined by "; ")',
  example: errorExample(400, 'Bad Request', 'request body is not valid JSON'),
})
@ApiPayloadTooLargeResponse({ type: ErrorDto, description: 'a body over MAX_HTTP_BODY_BYTES', example: errorExample(413, 'Payload Too Large', 'request body is too large') })
@Controller('auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

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
  login(@Body() body: LoginRequest): Promise<LoginResponse> {
    return this.auth.login(body.username, body.password);
  }
}
