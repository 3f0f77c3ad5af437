import type { DataSource } from 'typeorm';
import { driverPool } from '../database/data-source';

/**
 * Runs one read on the driver's pool when there is one, as the event store's range
 * reads do: a TypeORM query runner per call and its result wrapping cost about a
 * millisecond, which is the whole time of a small aggregate.
 */
export async function queryRows<Row>(dataSource: DataSource, sql: string, params: unknown[]): Promise<Row[]> {
  const pool = driverPool(dataSource);
  if (!pool) return dataSource.query(sql, params);
  return (await pool.query({ text: sql, values: params })).rows as Row[];
}
