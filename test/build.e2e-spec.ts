import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * scripts/build.js on a project of its own (two source files, the repo's TypeScript):
 * it compiles, skips tsc when nothing changed, and leaves no compiled file behind whose
 * source is gone.
 */
const REPO = join(__dirname, '..');

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'waypoint-build-'));
  mkdirSync(join(dir, 'scripts'));
  mkdirSync(join(dir, 'src'));
  copyFileSync(join(REPO, 'scripts', 'build.js'), join(dir, 'scripts', 'build.js'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'commonjs', target: 'ES2022', outDir: './dist', rootDir: '.', incremental: true, sourceMap: true, strict: true, types: [] } }));
  writeFileSync(join(dir, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { tsBuildInfoFile: 'dist/tsconfig.build.tsbuildinfo' }, include: ['src/**/*.ts'] }));
  writeFileSync(join(dir, 'src', 'main.ts'), "import { greeting } from './greeting';\nconsole.log(greeting);\n");
  writeFileSync(join(dir, 'src', 'greeting.ts'), "export const greeting = 'hello';\n");
  writeFileSync(join(dir, 'src', 'old.ts'), 'export const old = 1;\n');
  return dir;
}

function build(dir: string): { status: number | null; stderr: string } {
  const run = spawnSync(process.execPath, [join(dir, 'scripts', 'build.js')], { cwd: dir, encoding: 'utf8' });
  return { status: run.status, stderr: run.stderr };
}

const run = (dir: string) => spawnSync(process.execPath, [join(dir, 'dist', 'src', 'main.js')], { encoding: 'utf8' }).stdout.trim();
const stamp = (dir: string) => statSync(join(dir, 'dist', '.build-inputs.json')).mtimeMs;

describe('the build (scripts/build.js)', () => {
  it('compiles, does nothing when nothing changed, recompiles a changed file, and removes what a deleted source compiled to', () => {
    const dir = project();
    expect(build(dir).status).toBe(0);
    expect(run(dir)).toBe('hello');
    expect(existsSync(join(dir, 'dist', 'src', 'old.js'))).toBe(true);

    const before = stamp(dir);
    expect(build(dir)).toEqual({ status: 0, stderr: '' });
    expect(stamp(dir)).toBe(before); // tsc did not run

    writeFileSync(join(dir, 'src', 'greeting.ts'), "export const greeting = 'changed';\n");
    // A save in the same instant as the last build still counts as a change.
    utimesSync(join(dir, 'src', 'greeting.ts'), new Date(before + 1000), new Date(before + 1000));
    expect(build(dir).status).toBe(0);
    expect(run(dir)).toBe('changed');

    unlinkSync(join(dir, 'src', 'old.ts'));
    const afterDelete = build(dir);
    expect(afterDelete.status).toBe(0);
    expect(afterDelete.stderr).toContain('removed 2 compiled file(s) whose source is gone');
    expect(existsSync(join(dir, 'dist', 'src', 'old.js'))).toBe(false);
    expect(existsSync(join(dir, 'dist', 'src', 'old.js.map'))).toBe(false);
  });

  it('writes again a compiled file deleted by hand, and fails on a type error until it is fixed', () => {
    const dir = project();
    expect(build(dir).status).toBe(0);
    unlinkSync(join(dir, 'dist', 'src', 'greeting.js'));
    expect(build(dir).status).toBe(0);
    expect(run(dir)).toBe('hello');

    writeFileSync(join(dir, 'src', 'greeting.ts'), 'export const greeting: number = "text";\n');
    expect(build(dir)).toEqual({ status: 1, stderr: expect.stringContaining('build: tsc failed') });
    expect(build(dir).status).toBe(1); // not taken for up to date
    writeFileSync(join(dir, 'src', 'greeting.ts'), "export const greeting = 'fixed';\n");
    expect(build(dir).status).toBe(0);
    expect(run(dir)).toBe('fixed');
    expect(readFileSync(join(dir, 'dist', 'src', 'greeting.js'), 'utf8')).toContain('fixed');
  });
});
