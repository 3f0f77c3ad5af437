import { INestApplicationContext } from '@nestjs/common';
import { parseArgs } from 'node:util';

/** An option of one command: `--page-size N`. */
export interface CommandOption {
  type: 'string' | 'boolean';
  /** The value's name in the usage line (`N`); string options only. */
  value?: string;
  doc: string;
  /** Turns the given text into the value the command gets; throws with the reason when it cannot. */
  parse?(text: string): unknown;
}

export type CommandOptions = Record<string, unknown>;

/** An operator command of `npm run cli -- <command>`. */
export interface CliCommand {
  summary: string;
  /** Its positional arguments in order, as the usage line names them (`<username>`); all required. */
  args?: string[];
  options?: Record<string, CommandOption>;
  run(app: INestApplicationContext, args: string[], options?: CommandOptions): Promise<void>;
}

/** What the command line asks for: a command to run, a help text to print, or one line saying what is wrong. */
export type CommandLine =
  | { kind: 'run'; name: string; command: CliCommand; args: string[]; options: CommandOptions }
  | { kind: 'help'; text: string }
  | { kind: 'error'; message: string };

const PROGRAM = 'npm run cli --';

export function commandUsage(name: string, command: CliCommand): string {
  const options = Object.entries(command.options ?? {}).map(([flag, o]) => `[--${flag}${o.value ? ` ${o.value}` : ''}]`);
  return [name, ...(command.args ?? []), ...options].join(' ');
}

export function programHelp(commands: Record<string, CliCommand>): string {
  const rows = Object.entries(commands).map(([name, c]) => `  ${commandUsage(name, c).padEnd(40)} ${c.summary}`);
  return [
    `usage: ${PROGRAM} <command> [arguments]`,
    '',
    'commands:',
    ...rows,
    '',
    `${PROGRAM} <command> --help describes one. Commands use the database the server uses (DATABASE_URL, or the`,
    'embedded one in DATA_DIR), from the same environment variables; results go to standard output, logs to standard error.',
    '',
  ].join('\n');
}

export function commandHelp(name: string, command: CliCommand): string {
  const options = Object.entries(command.options ?? {}).map(([flag, o]) => [`--${flag}${o.value ? ` ${o.value}` : ''}`, o.doc]);
  options.push(['-h, --help', 'show this help']);
  return [`usage: ${PROGRAM} ${commandUsage(name, command)}`, '', command.summary, '', 'options:', ...options.map(([flag, doc]) => `  ${flag.padEnd(20)} ${doc}`), ''].join('\n');
}

/** The token a parseArgs error names (`Unknown option '--x'`). */
function named(error: unknown): string {
  return /'([^']+)'/.exec((error as Error).message)?.[1]?.split(' ')[0] ?? '';
}

/**
 * Reads `<command> [arguments]` (process.argv without node and the script) with
 * node:util's parseArgs, each command's options and arguments checked before anything
 * is opened.
 */
export function parseCommandLine(argv: string[], commands: Record<string, CliCommand>): CommandLine {
  const [name, ...rest] = argv;
  const names = Object.keys(commands).join(', ');
  if (name === undefined) return { kind: 'error', message: `missing command; one of ${names} (${PROGRAM} --help describes them)` };
  if (name === '--help' || name === '-h' || name === 'help') {
    const about = rest[0] !== undefined ? commands[rest[0]] : undefined;
    return { kind: 'help', text: about ? commandHelp(rest[0], about) : programHelp(commands) };
  }
  const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
  if (!command) return { kind: 'error', message: `unknown command "${name}"; one of ${names} (${PROGRAM} --help describes them)` };

  const usage = `usage: ${PROGRAM} ${commandUsage(name, command)}`;
  const fail = (reason: string): CommandLine => ({ kind: 'error', message: `${name}: ${reason}; ${usage}` });
  const specs = command.options ?? {};
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...Object.fromEntries(Object.entries(specs).map(([flag, o]) => [flag, { type: o.type }])), help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return fail(`unknown option ${named(error)}`);
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return fail(`${named(error)} needs a value`);
    return fail((error as Error).message);
  }
  if (parsed.values.help) return { kind: 'help', text: commandHelp(name, command) };

  const expected = command.args ?? [];
  if (parsed.positionals.length < expected.length) return fail(`missing ${expected.slice(parsed.positionals.length).join(' ')}`);
  if (parsed.positionals.length > expected.length) return fail(`unexpected argument "${parsed.positionals[expected.length]}"`);
  const options: CommandOptions = {};
  for (const [flag, spec] of Object.entries(specs)) {
    const given = parsed.values[flag];
    if (given === undefined) continue;
    if (Array.isArray(given)) return fail(`--${flag} is given more than once`);
    try {
      options[flag] = spec.parse && typeof given === 'string' ? spec.parse(given) : given;
    } catch (error) {
      return fail(`--${flag} ${(error as Error).message}`);
    }
  }
  return { kind: 'run', name, command, args: parsed.positionals, options };
}
