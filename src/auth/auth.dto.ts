import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';

export const USERNAME_PATTERN = /^[A-Za-z0-9_.-]{3,32}$/;

export class RegisterRequest {
  @ApiProperty({ example: 'ada_l', description: '3–32 of A–Z a–z 0–9 _ . -' })
  @IsString()
  @Matches(USERNAME_PATTERN, { message: 'username must be 3–32 characters of A-Z, a-z, 0-9, _, . or -' })
  username: string;

  @ApiProperty({ example: 'correct horse battery', minLength: 8, maxLength: 128 })
  @IsString()
  @Length(8, 128, { message: 'password must be 8–128 characters' })
  password: string;
}

export class LoginRequest {
  @ApiProperty({ example: 'ada_l' })
  @IsString()
  @Length(1, 64)
  username: string;

  @ApiProperty({ example: 'correct horse battery' })
  @IsString()
  @Length(1, 128)
  password: string;
}

export class RegisteredPlayer {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
}

export class PlayerIdentity {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['player', 'analyst'] }) role: string;
}

export class LoginResponse {
  @ApiProperty() accessToken: string;
  @ApiProperty({ example: 'Bearer' }) tokenType: 'Bearer';
  @ApiProperty({ description: 'Seconds until the token expires' }) expiresIn: number;
  @ApiProperty({ type: PlayerIdentity }) player: PlayerIdentity;
}
