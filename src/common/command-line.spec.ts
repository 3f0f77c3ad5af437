import { grantRoleCommand } from '../roles/role.commands';
import { CliCommand, parseCommandLine } from './command-line';

const rebuild: CliCommand = {
  summary: 'replay the projection',
  options: {
    'page-size': {
      type: 'string',
      value: 'N',
      doc: 'events per page',
      parse(text) {
        if (!/^\d+$/.test(text) || Number(text) < 1) throw new Error(`must be a positive whole number, not "${text}"`);
        return Number(text);
      },
    },
  },
  run: async () => undefined,
};
const commands: Record<string, CliCommand> = { 'projections:rebuild': rebuild, 'grant-role': grantRoleCommand };

describe('the command line', () => {
  it('gives a command its arguments and parsed options', () => {
    expect(parseCommandLine(['projections:rebuild', '--page-size', '50'], commands)).toMatchObject({ kind: 'run', name: 'projections:rebuild', args: [], options: { 'page-size': 50 } });
    expect(parseCommandLine(['projections:rebuild', '--page-size=7'], commands)).toMatchObject({ kind: 'run', options: { 'page-size': 7 } });
    expect(parseCommandLine(['projections:rebuild'], commands)).toMatchObject({ kind: 'run', options: {} });
    expect(parseCommandLine(['grant-role', 'ana', 'analyst'], commands)).toMatchObject({ kind: 'run', args: ['ana', 'analyst'] });
    // A username that starts with a dash goes after `--`.
    expect(parseCommandLine(['grant-role', '--', '-ana-', 'analyst'], commands)).toMatchObject({ kind: 'run', args: ['-ana-', 'analyst'] });
  });

  it.each([
    [[], /^missing command; one of projections:rebuild, grant-role \(npm run cli -- --help describes them\)$/],
    [['rebuild'], /^unknown command "rebuild"; one of projections:rebuild, grant-role/],
    [['toString'], /^unknown command "toString"/],
    [['projections:rebuild', '--pages', '5'], /^projections:rebuild: unknown option --pages; usage: npm run cli -- projections:rebuild \[--page-size N\]$/],
    [['projections:rebuild', '--page-size'], /^projections:rebuild: --page-size needs a value; usage:/],
    [['projections:rebuild', '--page-size', 'ten'], /^projections:rebuild: --page-size must be a positive whole number, not "ten"; usage:/],
    [['projections:rebuild', 'now'], /^projections:rebuild: unexpected argument "now"; usage:/],
    [['grant-role', 'ana'], /^grant-role: missing analyst; usage: npm run cli -- grant-role <username> analyst$/],
    [['grant-role'], /^grant-role: missing <username> analyst; usage:/],
    [['grant-role', 'ana', 'analyst', 'extra'], /^grant-role: unexpected argument "extra"; usage:/],
  ])('refuses %j in one line', (argv, message) => {
    const line = parseCommandLine(argv, commands);
    expect(line).toEqual({ kind: 'error', message: expect.stringMatching(message) });
    expect((line as { message: string }).message).not.toContain('\n');
  });

  it('describes every command, and each one with its options, on --help', () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const line = parseCommandLine(argv, commands);
      expect(line).toEqual({ kind: 'help', text: expect.stringContaining('usage: npm run cli -- <command> [arguments]') });
      expect((line as { text: string }).text).toMatch(/ {2}grant-role <username> analyst +make a player an analyst/);
    }
    for (const argv of [['projections:rebuild', '--help'], ['projections:rebuild', '-h'], ['help', 'projections:rebuild'], ['projections:rebuild', 'x', '--help']]) {
      const line = parseCommandLine(argv, commands);
      expect(line).toEqual({ kind: 'help', text: expect.stringContaining('usage: npm run cli -- projections:rebuild [--page-size N]\n\nreplay the projection\n') });
      expect((line as { text: string }).text).toMatch(/--page-size N +events per page/);
    }
  });
});
