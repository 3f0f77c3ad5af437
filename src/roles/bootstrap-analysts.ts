import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { CommandBus } from '@nestjs/cqrs';
import { SETTINGS, Settings } from '../config/settings';
import { ChangeRole } from './change-role/change-role.command';
import { UnknownUsername } from './change-role/change-role.handler';

/**
 * BOOTSTRAP_ANALYSTS: at server start, each listed username is made an analyst unless
 * it already is one (then nothing is written, so restarts add no events). Skipped in
 * the CLI, which has no HTTP server, so `revoke-role` is not undone by the command's
 * own start-up. An unknown username is logged and skipped: it may register later.
 */
@Injectable()
export class BootstrapAnalysts implements OnApplicationBootstrap {
  private readonly logger = new Logger(BootstrapAnalysts.name);

  constructor(
    private readonly commands: CommandBus,
    private readonly http: HttpAdapterHost,
    @Inject(SETTINGS) private readonly settings: Settings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.http.httpAdapter || this.settings.bootstrapAnalysts.length === 0) return;
    for (const username of this.settings.bootstrapAnalysts) {
      try {
        const result = await this.commands.execute(new ChangeRole(username, 'grant', 'analyst', 'bootstrap'));
        if (result.changed) this.logger.log({ message: 'analyst role granted from BOOTSTRAP_ANALYSTS', username, playerId: result.playerId });
      } catch (error) {
        if (!(error instanceof UnknownUsername)) throw error;
        this.logger.warn({ message: 'BOOTSTRAP_ANALYSTS names no registered player; skipped until the next start', username });
      }
    }
  }
}
