/** `--name value` / `--name=value` / `--flag` options of the replay load scripts. */
export function parseArgs(argv: string[], known: Record<string, 'number' | 'string' | 'boolean'>): Record<string, string | number | boolean> {
  const out: Record<string, string | number | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const [raw, inline] = argv[i].split(/=(.*)/s, 2);
    const name = raw.replace(/^--/, '');
    const kind = known[name];
    if (!raw.startsWith('--') || !kind) throw new Error(`unknown option ${raw}; known: ${Object.keys(known).map((k) => `--${k}`).join(', ')}`);
    if (kind === 'boolean') {
      out[name] = inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`${raw} needs a value`);
    if (kind === 'number') {
      const n = Number(value.replace(/_/g, ''));
      if (!Number.isFinite(n) || n < 0) throw new Error(`${raw} must be a non-negative number, got "${value}"`);
      out[name] = n;
    } else out[name] = value;
  }
  return out;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
