/**
 * What the database this server runs on can do, decided once where it is opened
 * (connectDatabase) and injected wherever a choice depends on it.
 *
 * - PostgreSQL: many sessions, each pooled connection its own; replies travel a network
 *   and can be lost; other sessions' transactions show in pg_locks.
 * - The embedded PGlite: one session in this process behind one pooled connection; no
 *   reply can be lost on the way, and no other session exists.
 */
export interface DatabaseCapabilities {
  /** The in-process PGlite (no DATABASE_URL). */
  readonly embedded: boolean;
  /**
   * Statements run often may be named prepared statements, planned once per pooled
   * connection. Not on PGlite, whose connections share one session and so one statement
   * namespace.
   */
  readonly preparedStatements: boolean;
  /**
   * Several sessions run at once: transactions of others are visible in pg_locks (the
   * replay live edge), two reads can run in parallel, and a lost reply must be settled.
   */
  readonly concurrentSessions: boolean;
}

export const DATABASE_CAPABILITIES = Symbol('DATABASE_CAPABILITIES');

export function databaseCapabilities(embedded: boolean): DatabaseCapabilities {
  return { embedded, preparedStatements: !embedded, concurrentSessions: !embedded };
}
