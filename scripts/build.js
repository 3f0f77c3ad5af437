#!/usr/bin/env node
/**
 * Compiles what tsconfig.build.json includes into dist/, rebuilding only what changed.
 *
 * - tsc runs incrementally (its .tsbuildinfo lives in dist/, so removing dist/ means a
 *   full build); when no input is newer than the last good build and the list of inputs
 *   is the same, tsc is not started at all.
 * - dist/ is never wiped: compiled files whose source is gone (deleted, renamed or now
 *   excluded) are removed instead, so no test or start can pick up stale code.
 *
 * `--clean` removes dist/ first (a full build).
 */
const { spawnSync } = require('node:child_process');
const { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } = require('node:fs');
const { dirname, join, relative, resolve } = require('node:path');
const ts = require('typescript');

const ROOT = resolve(__dirname, '..');
const CONFIG = join(ROOT, 'tsconfig.build.json');
const STAMP_NAME = '.build-inputs.json';

function fail(message) {
  console.error(message);
  process.exit(1);
}

function readConfig() {
  const parsed = ts.getParsedCommandLineOfConfigFile(CONFIG, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => fail(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
  if (parsed.errors.length > 0) fail(ts.formatDiagnostics(parsed.errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => ROOT, getNewLine: () => '\n' }));
  return parsed;
}

/** Everything whose change can change the output: the sources, the tsconfig files, the installed packages. */
function inputsOf(fileNames) {
  return [...fileNames, CONFIG, join(ROOT, 'tsconfig.json'), join(ROOT, 'package-lock.json')].filter((f) => existsSync(f));
}

function upToDate(stampPath, inputs) {
  if (!existsSync(stampPath)) return false;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(stampPath, 'utf8'));
  } catch {
    return false;
  }
  const names = inputs.map((f) => relative(ROOT, f));
  if (JSON.stringify(stamp.inputs) !== JSON.stringify(names)) return false;
  const builtAt = statSync(stampPath).mtimeMs;
  return inputs.every((f) => statSync(f).mtimeMs <= builtAt);
}

/** The .js (and .js.map) tsc writes for each source, relative to outDir; .mjs for an ES module source (.mts). */
function expectedOutputs(parsed) {
  const { rootDir, outDir } = parsed.options;
  const expected = new Set();
  for (const source of parsed.fileNames) {
    if (source.endsWith('.d.ts')) continue;
    const js = join(outDir, relative(rootDir, source)).replace(/\.tsx?$/, '.js').replace(/\.mts$/, '.mjs');
    expected.add(js);
    expected.add(`${js}.map`);
  }
  return expected;
}

function removeStaleOutputs(outDir, expected) {
  const removed = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      } else if (/\.m?js(\.map)?$/.test(entry.name) && !expected.has(path)) {
        unlinkSync(path);
        removed.push(relative(ROOT, path));
      }
    }
  };
  if (existsSync(outDir)) walk(outDir);
  return removed;
}

function main() {
  const parsed = readConfig();
  const outDir = parsed.options.outDir;
  if (process.argv.includes('--clean')) rmSync(outDir, { recursive: true, force: true });
  const stampPath = join(outDir, STAMP_NAME);
  const inputs = inputsOf(parsed.fileNames);
  const expected = expectedOutputs(parsed);
  const removed = removeStaleOutputs(outDir, expected);
  if (removed.length > 0) console.error(`build: removed ${removed.length} compiled file(s) whose source is gone`);
  const missing = [...expected].some((f) => /\.m?js$/.test(f) && !existsSync(f));
  if (!missing && removed.length === 0 && upToDate(stampPath, inputs)) return;
  // tsc trusts its .tsbuildinfo and would not write again an output deleted by hand.
  if (missing && parsed.options.tsBuildInfoFile) rmSync(parsed.options.tsBuildInfoFile, { force: true });

  // The stamp carries the time tsc started: a file saved while it ran counts as changed next time.
  const startedAt = new Date();
  const tsc = spawnSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', CONFIG], { cwd: ROOT, stdio: 'inherit' });
  if (tsc.status !== 0) {
    rmSync(stampPath, { force: true });
    fail(`build: tsc failed (exit ${tsc.status ?? tsc.signal}); fix the errors above and run it again`);
  }
  mkdirSync(dirname(stampPath), { recursive: true });
  writeFileSync(stampPath, JSON.stringify({ inputs: inputs.map((f) => relative(ROOT, f)) }, null, 1) + '\n');
  utimesSync(stampPath, startedAt, startedAt);
}

main();
