import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The step `npm test` runs first so that the page tests find a browser (test/support/ensure-chromium.js). */
const SCRIPT = join(__dirname, 'support', 'ensure-chromium.js');
const run = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [SCRIPT], { env: { ...process.env, ...env }, encoding: 'utf8' });

describe('getting a browser for the page tests', () => {
  it('is the pretest step of npm test', () => {
    const { scripts } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    expect(scripts.pretest).toBe('node test/support/ensure-chromium.js');
  });

  it('passes quietly when CHROMIUM_PATH names a program', () => {
    expect(run({ CHROMIUM_PATH: process.execPath })).toMatchObject({ status: 0, stdout: '', stderr: '' });
  });

  it('stops with one line saying what to do when CHROMIUM_PATH names nothing runnable, installing nothing', () => {
    const { status, stderr } = run({ CHROMIUM_PATH: join(__dirname, 'no-such-browser') });
    expect(status).toBe(1);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^CHROMIUM_PATH is .*no-such-browser, which is not a program that can be run: point it at a Chromium or Chrome binary/);
  });
});
