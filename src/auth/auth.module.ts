import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { createSecretKey } from 'node:crypto';
import { SETTINGS, Settings } from '../config/settings';
import { AccessTokens } from './access-tokens';
import { AuthController } from './auth.controller';
import { AuthService } from './auth.service';
import { PasswordHasher } from './password-hasher';

@Global()
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [SETTINGS],
      useFactory: (settings: Settings) => ({
        // A KeyObject, not the string: given a string, jsonwebtoken first tries to read it
        // as a public key, and that failed attempt (an exception) cost ~1 ms per request.
        secret: createSecretKey(Buffer.from(settings.jwt.secret, 'utf8')),
        signOptions: { expiresIn: settings.jwt.expiresInSeconds, algorithm: 'HS256' },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, AccessTokens],
  exports: [AccessTokens, AuthService, PasswordHasher],
})
export class AuthModule {}
