#!/usr/bin/env node
/**
 * Run before `npm test` (its pretest script): the page tests drive a real Chromium
 * (page-browser.ts). When there is none, Debian's `chromium` package is installed
 * with apt-get if this process may do so (root, apt-get present); otherwise the tests
 * stop here with one line saying how to get a browser.
 */
const { spawnSync } = require('node:child_process');
const { accessSync, constants } = require('node:fs');

const DEFAULT_PATH = '/usr/bin/chromium';
const chosen = process.env.CHROMIUM_PATH;
const path = chosen || DEFAULT_PATH;

function runnable(file) {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function stop(message) {
  console.error(message);
  process.exit(1);
}

function hasAptGet() {
  return spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
}

function apt(args) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return run.status === 0;
}

if (runnable(path)) process.exit(0);
if (chosen) stop(`CHROMIUM_PATH is ${chosen}, which is not a program that can be run: point it at a Chromium or Chrome binary, or unset it to use ${DEFAULT_PATH}.`);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const howTo = `The page tests need Chromium at ${DEFAULT_PATH}: install it (sudo apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary.`;
if (!isRoot || !hasAptGet()) stop(howTo);

console.error(`No Chromium at ${DEFAULT_PATH}: installing Debian's chromium package with apt-get for the page tests (once).`);
if (!apt(['update', '-qq']) || !apt(['install', '-y', '-qq', 'chromium'])) stop(`apt-get could not install chromium (see above). ${howTo}`);
if (!runnable(DEFAULT_PATH)) stop(`apt-get installed chromium, but ${DEFAULT_PATH} is still missing. ${howTo}`);
console.error(`Chromium installed at ${DEFAULT_PATH}.`);
