import { FailedLogins, TooManyFailedLogins } from './failed-logins';
import { Settings } from '../config/settings';

const withLimit = (perUsername: number) => new FailedLogins({ authThrottle: { perAddress: 0, perUsername } } as Settings);

describe('failed logins per username', () => {
  const t0 = 1_000_000;

  it('lets a username try until it has failed the limit within a minute, then refuses until the minute is over', () => {
    const logins = withLimit(3);
    for (let i = 0; i < 3; i++) {
      expect(() => logins.assertMayTry('alice', t0 + i)).not.toThrow();
      logins.failed('alice', t0 + i);
    }
    expect(() => logins.assertMayTry('alice', t0 + 1_000)).toThrow(TooManyFailedLogins);
    try {
      logins.assertMayTry('ALICE', t0 + 30_000);
    } catch (error) {
      expect(error).toBeInstanceOf(TooManyFailedLogins);
      expect((error as TooManyFailedLogins).retryAfterSeconds).toBe(30);
      expect((error as TooManyFailedLogins).getStatus()).toBe(429);
    }
    expect(() => logins.assertMayTry('bob', t0 + 1_000)).not.toThrow();
    expect(() => logins.assertMayTry('alice', t0 + 60_000)).not.toThrow();
    logins.onModuleDestroy();
  });

  it('is off at 0', () => {
    const logins = withLimit(0);
    for (let i = 0; i < 100; i++) logins.failed('alice', t0);
    expect(() => logins.assertMayTry('alice', t0)).not.toThrow();
    logins.onModuleDestroy();
  });
});
