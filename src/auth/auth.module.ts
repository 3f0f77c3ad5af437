import { Global, Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
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
        secret: settings.jwt.secret,
        signOptions: { expiresIn: settings.jwt.expiresInSeconds, algorithm: 'HS256' },
      }),
    }),
  ],
  controllers: [AuthController],
  providers: [AuthService, PasswordHasher, AccessTokens],
  exports: [AccessTokens, PasswordHasher],
})
export class AuthModule {}
