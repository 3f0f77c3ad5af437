import { CliCommand, parseCommandLine } from './common/command-line';
import type { Settings } from './config/settings';
import type { DatabaseConnection } from './database/database-connection';
import { grantRoleCommand, revokeRoleCommand } from './roles/role.commands';

// Nest, the settings and the database are loaded once the command line is known to be
// right: `--help` and a refused command line answer at once.

/**
 * Operator commands, run against the same database the server uses (DATABASE_URL or
 * the embedded one in DATA_DIR). `npm run cli -- <command> [args]`, `--help` for each.
 */
const COMMANDS: Record<string, CliCommand> = {
  migrate: {
    summary: 'apply pending migrations (they also run at every start)',
    async run() {
      // connectDatabase already migrated; nothing more to do.
    },
  },
  'projections:rebuild': {
    summary: 'truncate last_positions and replay it from the events, resuming an interrupted rebuild',
    options: {
      'page-size': {
        type: 'string',
        value: 'N',
        doc: 'events read per page (default 10000)',
        parse(text) {
          const size = Number(text);
          if (!/^\d+$/.test(text) || !Number.isSafeInteger(size) || size < 1) throw new Error(`must be a positive whole number, not "${text}"`);
          return size;
        },
      },
    },
    async run(app, _args, options = {}) {
      const { RebuildLastPositions } = await import('./movement/last-position/rebuild-last-positions');
      const report = await app.get(RebuildLastPositions).run((options['page-size'] as number | undefined) ?? 10_000);
      console.log(JSON.stringify(report));
    },
  },
  'grant-role': grantRoleCommand,
  'revoke-role': revokeRoleCommand,
};

export function registerCliCommand(name: string, command: CliCommand): void {
  COMMANDS[name] = command;
}

/**
 * The server's database. On the embedded one, while a server runs on the same DATA_DIR
 * (which only one process may open), the command uses that server's database over its
 * socket; otherwise it starts its own on the folder.
 */
async function openCliDatabase(settings: Settings): Promise<DatabaseConnection> {
  const [{ Logger }, { connectDatabase }, { attachToRunningEmbedded, findRunningEmbedded }] = await Promise.all([
    import('@nestjs/common'),
    import('./database/database-connection'),
    import('./database/embedded-address'),
  ]);
  const running = settings.databaseUrl ? null : findRunningEmbedded(settings.dataDir);
  if (!running) return connectDatabase(settings);
  new Logger('Database').log({ message: 'a server runs on DATA_DIR: using its embedded PostgreSQL', dataDir: settings.dataDir });
  return attachToRunningEmbedded(running, settings);
}

async function main(): Promise<void> {
  const line = parseCommandLine(process.argv.slice(2), COMMANDS);
  if (line.kind === 'help') {
    process.stdout.write(line.text);
    return;
  }
  if (line.kind === 'error') {
    console.error(line.message);
    process.exit(2);
  }
  const { name, command, args, options } = line;
  await import('reflect-metadata');
  const [{ Logger }, { NestFactory }, { AppModule }, { createLogger }, { loadSettings, SettingsError }] = await Promise.all([
    import('@nestjs/common'),
    import('@nestjs/core'),
    import('./app.module'),
    import('./common/logger'),
    import('./config/settings'),
  ]);
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
    await command.run(app, args, options);
  } catch (error) {
    console.error(`${name} failed: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    await app.close();
    await database.close();
  }
}

if (require.main === module) void main();
