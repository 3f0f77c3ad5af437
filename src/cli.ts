import 'reflect-metadata';
import { INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { createLogger } from './common/logger';
import { loadSettings, Settings, SettingsError } from './config/settings';
import { connectDatabase, DatabaseConnection } from './database/database-connection';
import { attachToRunningEmbedded, findRunningEmbedded } from './database/embedded-address';
import { RebuildLastPositions } from './movement/last-position/rebuild-last-positions';
import { grantRoleCommand, revokeRoleCommand } from './roles/role.commands';

/**
 * Operator commands, run against the same database the server uses (DATABASE_URL or
 * the embedded one in DATA_DIR). `npm run cli -- <command> [args]`.
 */
interface CliCommand {
  usage: string;
  summary: string;
  run(app: INestApplicationContext, args: string[], settings: Settings): Promise<void>;
}

const COMMANDS: Record<string, CliCommand> = {
  migrate: {
    usage: 'migrate',
    summary: 'apply pending migrations (they also run at every start)',
    async run() {
      // connectDatabase already migrated; nothing more to do.
    },
  },
  'projections:rebuild': {
    usage: 'projections:rebuild [--page-size N]',
    summary: 'truncate last_positions and replay it from the events, resuming an interrupted rebuild',
    async run(app, args) {
      const i = args.indexOf('--page-size');
      const pageSize = i >= 0 ? Number(args[i + 1]) : 10_000;
      if (!Number.isInteger(pageSize) || pageSize < 1) throw new Error('--page-size must be a positive whole number');
      const report = await app.get(RebuildLastPositions).run(pageSize);
      console.log(JSON.stringify(report));
    },
  },
  'grant-role': grantRoleCommand,
  'revoke-role': revokeRoleCommand,
};

export function registerCliCommand(name: string, command: CliCommand): void {
  COMMANDS[name] = command;
}

function usage(): string {
  return ['usage: npm run cli -- <command>', ...Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(40)} ${c.summary}`)].join('\n');
}

/**
 * The server's database. On the embedded one, while a server runs on the same DATA_DIR
 * (which only one process may open), the command uses that server's database over its
 * socket; otherwise it starts its own on the folder.
 */
async function openCliDatabase(settings: Settings): Promise<DatabaseConnection> {
  const running = settings.databaseUrl ? null : findRunningEmbedded(settings.dataDir);
  if (!running) return connectDatabase(settings);
  new Logger('Database').log({ message: 'a server runs on DATA_DIR: using its embedded PostgreSQL', dataDir: settings.dataDir });
  return attachToRunningEmbedded(running, settings);
}

async function main(): Promise<void> {
  const [name, ...args] = process.argv.slice(2);
  const command = COMMANDS[name ?? ''];
  if (!command) {
    console.error(name ? `unknown command "${name}"\n${usage()}` : usage());
    process.exit(2);
  }
  let settings: Settings;
  try {
    settings = loadSettings(process.env, []);
  } catch (error) {
    console.error(error instanceof SettingsError ? error.message : String(error));
    process.exit(2);
  }
  // Logs go to standard error: standard output carries only the command's result.
  Logger.overrideLogger(createLogger(settings, 'stderr'));
  let database: DatabaseConnection;
  try {
    database = await openCliDatabase(settings);
  } catch (error) {
    console.error(`${name} failed: ${(error as Error).message}`);
    process.exit(1);
  }
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(settings, database), {
    logger: createLogger({ ...settings, logLevel: settings.logLevel === 'log' ? 'warn' : settings.logLevel }, 'stderr'),
  });
  try {
    await command.run(app, args, settings);
  } catch (error) {
    console.error(`${name} failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    await app.close();
    await database.close();
  }
}

if (require.main === module) void main();
