import { HttpException, HttpStatus, Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import { SETTINGS, Settings } from '../config/settings';

const WINDOW_MS = 60_000;

/** Over AUTH_THROTTLE_PER_USERNAME: answered 429 with Retry-After, before any password is checked. */
export class TooManyFailedLogins extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(`too many failed logins for this username; retry after ${retryAfterSeconds} s`, HttpStatus.TOO_MANY_REQUESTS);
  }
}

/**
 * Failed logins per username (AUTH_THROTTLE_PER_USERNAME a minute, from any address), so
 * that guessing one account's password from many addresses is slowed as well. A fixed
 * window from a username's first failure; names are compared as the accounts are,
 * regardless of case. In memory, per node: a cluster of N nodes allows up to N times
 * the limit.
 */
@Injectable()
export class FailedLogins implements OnModuleDestroy {
  private readonly limit: number;
  private readonly windows = new Map<string, { failures: number; endsAt: number }>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(@Inject(SETTINGS) settings: Settings) {
    this.limit = settings.authThrottle.perUsername;
    // Forget ended windows, so names tried once do not pile up.
    this.sweeper = setInterval(() => this.sweep(Date.now()), WINDOW_MS).unref();
  }

  /** Throws TooManyFailedLogins while `username` is over the limit. */
  assertMayTry(username: string, now = Date.now()): void {
    if (this.limit === 0) return;
    const window = this.windows.get(username.toLowerCase());
    if (!window || window.endsAt <= now || window.failures < this.limit) return;
    throw new TooManyFailedLogins(Math.ceil((window.endsAt - now) / 1000));
  }

  failed(username: string, now = Date.now()): void {
    if (this.limit === 0) return;
    const key = username.toLowerCase();
    const window = this.windows.get(key);
    if (!window || window.endsAt <= now) this.windows.set(key, { failures: 1, endsAt: now + WINDOW_MS });
    else window.failures++;
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }

  onModuleDestroy(): void {
    clearInterval(this.sweeper);
  }
}
