import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { SETTINGS, Settings } from '../config/settings';
import { DatabaseTimeout } from './bounded-client';

/** How often a database that stopped answering is asked again. */
const PROBE_EVERY_MS = 500;

/**
 * Whether movements can be recorded now. The write path reports each append that the
 * database failed to answer (down) and each that it answered (up); while down, new
 * positions are refused at once instead of queueing behind a database that may never
 * answer, a probe asks the database every half second, and the first answer brings
 * recording back. The outage and the recovery are logged once each. Health answers from
 * here without a query of its own while the database is known down.
 */
@Injectable()
export class DatabaseStatus implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private downSince: number | null = null;
  private reason = '';
  private probe: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  get up(): boolean {
    return this.downSince === null;
  }

  /** Why the database counts as down, for refusals and health answers. */
  get downReason(): string {
    return this.reason;
  }

  /** An operation of the write path got no answer (a timeout, a lost connection). */
  down(error: unknown): void {
    if (this.downSince !== null || this.stopped) return;
    this.downSince = Date.now();
    this.reason = error instanceof Error ? error.message : String(error);
    this.logger.error({
      message: 'the database stopped answering: new positions are refused with unavailable until it answers again',
      reason: this.reason,
    });
    this.scheduleProbe();
  }

  /** The database answered an operation of the write path. */
  answered(): void {
    if (this.downSince === null) return;
    this.logger.log({ message: 'the database answers again: recording resumes', outageMs: Date.now() - this.downSince });
    this.downSince = null;
    this.reason = '';
    if (this.probe) clearTimeout(this.probe);
    this.probe = null;
  }

  /** Asks the database one bounded question: whether it answers within `timeoutMs`. */
  async ping(timeoutMs = this.settings.database.healthTimeoutMs): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    const asked = this.dataSource.query('SELECT 1').then(
      () => true,
      () => false,
    );
    try {
      return await Promise.race([asked, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private scheduleProbe(): void {
    if (this.probe || this.stopped) return;
    this.probe = setTimeout(async () => {
      this.probe = null;
      if (this.downSince === null || this.stopped) return;
      if (await this.ping(this.settings.database.queryTimeoutMs)) this.answered();
      else this.scheduleProbe();
    }, PROBE_EVERY_MS);
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.probe) clearTimeout(this.probe);
  }
}

/**
 * Whether a failed query got no answer from the database (a deadline passed, the
 * connection failed or could not be opened) rather than an error reply, which carries
 * a severity.
 */
export function gotNoAnswer(error: unknown): boolean {
  const e = ((error as { driverError?: unknown } | null)?.driverError ?? error) as { severity?: string; code?: string; message?: string } | null;
  if (!e || e.severity !== undefined) return false;
  if (e instanceof DatabaseTimeout) return true;
  if (typeof e.code === 'string' && /^E[A-Z]+$/.test(e.code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE…
  return /timeout|Connection terminated|connection ended|not queryable/i.test(e.message ?? '');
}
