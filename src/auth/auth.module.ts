import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { ThrottlerModule } from '@nestjs/throttler';
import { createSecretKey } from 'node:crypto';
import { SETTINGS, Settings } from '../config/settings';
import { AccessTokens } from './access-tokens';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { FailedLogins } from './failed-logins';
import { PasswordHasher } from './password-hasher';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [SETTINGS],
      useFactory: (settings: Settings) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken first tries to read it
        // as a public key, and that failed attempt (an exception) cost ~1 ms per request
        // (docs/performance.md, "The token secret as a KeyObject").
        secret: createSecretKey(Buffer.from(settings.jwt.secret, 'utf8')),
        signOptions: { expiresIn: settings.jwt.expiresInSeconds, algorithm: 'HS256' },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [SETTINGS],
      useFactory: ({ authThrottle }: Settings) => ({
        // Named "default" so the header is plain Retry-After (other names get a suffix).
        throttlers: [{ name: 'default', ttl: 60_000, limit: authThrottle.perAddress }],
        skipIf: () => authThrottle.perAddress === 0,
        // One count per address for login and register together.
        generateKey: (_context, tracker) => `auth:${tracker}`,
        errorMessage: (_context, { timeToBlockExpire }) =>
          `too many login and register requests from this address (AUTH_THROTTLE_PER_ADDRESS a minute); retry after ${timeToBlockExpire} s`,
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, AccessTokens, FailedLogins],
  exports: [AccessTokens, AuthService, PasswordHasher],
})
export class AuthModule {}
