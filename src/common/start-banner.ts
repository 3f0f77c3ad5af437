import { join } from 'node:path';
import { Settings } from '../config/settings';

/** Which database the server uses, with no password: the embedded one's folder, or PostgreSQL's user@host:port/database. */
export function describeDatabase(settings: Pick<Settings, 'databaseUrl' | 'dataDir' | 'databaseSchema'>): string {
  const schema = settings.databaseSchema === 'public' ? '' : `, schema ${settings.databaseSchema}`;
  if (!settings.databaseUrl) return `embedded PostgreSQL (PGlite) in ${join(settings.dataDir, 'pgdata')}${schema}`;
  try {
    const url = new URL(settings.databaseUrl);
    const host = url.hostname || url.searchParams.get('host') || 'local socket';
    const port = url.port ? `:${url.port}` : '';
    const user = url.username ? `${decodeURIComponent(url.username)}@` : '';
    return `PostgreSQL ${user}${host}${port}${url.pathname || '/'}${schema}`;
  } catch {
    return `PostgreSQL at DATABASE_URL${schema}`;
  }
}

/** What a person starting the server at a terminal needs: where to go, and what it runs on. */
export function startBanner(url: string, settings: Pick<Settings, 'databaseUrl' | 'dataDir' | 'databaseSchema'>): string {
  const rows: [string, string][] = [
    ['game', `${url}/`],
    ['replay', `${url}/replay`],
    ['monitor', `${url}/monitor`],
    ['API docs', `${url}/docs`],
    ['database', describeDatabase(settings)],
    ['data folder', settings.dataDir],
  ];
  return [
    '',
    `  Waypoint is running on ${url}`,
    '',
    ...rows.map(([name, value]) => `    ${name.padEnd(13)}${value}`),
    '',
    '  Make an analyst (also while this runs): npm run cli -- grant-role <username> analyst',
    '  Stop with Ctrl+C.',
    '',
    '',
  ].join('\n');
}
