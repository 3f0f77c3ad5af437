#!/usr/bin/env node
/**
 * Writes the settings table of docs/operating.md from the settings schema (src/config/settings.ts),
 * in place of the table that is there. Run through `npm run settings:table`, which builds first.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { settingsTable } = require('../dist/src/config/settings');

const file = join(__dirname, '..', 'docs', 'operating.md');
const lines = readFileSync(file, 'utf8').split('\n');
const start = lines.indexOf('| env | flag | default | meaning |');
if (start < 0) {
  console.error('docs/operating.md has no settings table (a line "| env | flag | default | meaning |"); add that header where the table belongs.');
  process.exit(1);
}
let end = start;
while (end < lines.length && lines[end].startsWith('|')) end++;
lines.splice(start, end - start, ...settingsTable().split('\n'));
writeFileSync(file, lines.join('\n'));
console.log(`docs/operating.md: settings table written (${end - start - 2} rows before, ${settingsTable().split('\n').length - 2} now)`);
