import { describeDatabase, startBanner } from './start-banner';

describe('the start-up banner', () => {
  const embedded = { databaseUrl: null, dataDir: '/srv/waypoint', databaseSchema: 'public' };

  it('names the embedded database by its folder', () => {
    expect(describeDatabase(embedded)).toBe('embedded PostgreSQL (PGlite) in /srv/waypoint/pgdata');
  });

  it('names PostgreSQL by user, host, port and database, never the password', () => {
    const described = describeDatabase({ ...embedded, databaseUrl: 'postgresql://game:s3cret@db.internal:5433/waypoint?sslmode=require', databaseSchema: 'live' });
    expect(described).toBe('PostgreSQL game@db.internal:5433/waypoint, schema live');
    expect(startBanner('http://127.0.0.1:5000', { ...embedded, databaseUrl: 'postgresql://game:s3cret@db/w' })).not.toContain('s3cret');
  });

  it('lists the pages to open and the data folder', () => {
    const banner = startBanner('http://127.0.0.1:5000', embedded);
    for (const page of ['/', '/replay', '/monitor', '/docs']) expect(banner).toContain(`http://127.0.0.1:5000${page}\n`);
    expect(banner).toMatch(/data folder\s+\/srv\/waypoint\n/);
  });
});
