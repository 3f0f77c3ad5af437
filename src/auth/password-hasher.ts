import { Inject, Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { SETTINGS, Settings } from '../config/settings';

/** argon2id, the OWASP-recommended password hash; its costs are settings. */
@Injectable()
export class PasswordHasher {
  /** Verified against when a username is unknown, so a miss costs as much as a wrong password. */
  private decoy: Promise<string> | null = null;

  constructor(@Inject(SETTINGS) private readonly settings: Settings) {}

  hash(password: string): Promise<string> {
    return argon2.hash(password, {
      type: argon2.argon2id,
      memoryCost: this.settings.passwordHash.memoryCostKiB,
      timeCost: this.settings.passwordHash.timeCost,
    });
  }

  async verify(hash: string | null, password: string): Promise<boolean> {
    if (hash === null) {
      this.decoy ??= this.hash('decoy password, never matches');
      await argon2.verify(await this.decoy, password).catch(() => false);
      return false;
    }
    return argon2.verify(hash, password).catch(() => false);
  }
}
