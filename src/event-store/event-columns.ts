import { VersionedNewEvent } from './event-store.types';

/**
 * Bind parameters for a batch append: one per column however many rows, which is what
 * makes a batch one round trip (and avoids pg's 65,535-parameter limit). Stream ids,
 * versions, types and schema versions go as arrays for `unnest`; data and metadata go as
 * ONE JSON array each, for `jsonb_array_elements`: a single JSON.stringify, where an
 * array of JSON strings made node-postgres escape every quote of every event
 * (a quarter of the hot path's allocations: docs/performance.md, "One JSON array per column").
 * Order: stream ids, versions, types, schema versions, data array, metadata array.
 */
export function toColumns(events: VersionedNewEvent[]): [string[], number[], string[], number[], string, string] {
  const n = events.length;
  const streams = new Array<string>(n);
  const versions = new Array<number>(n);
  const types = new Array<string>(n);
  const schemaVersions = new Array<number>(n);
  const data = new Array<unknown>(n);
  const metadata = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i];
    streams[i] = e.streamId;
    versions[i] = e.streamVersion;
    types[i] = e.type;
    schemaVersions[i] = e.schemaVersion ?? 1;
    data[i] = e.data;
    metadata[i] = e.metadata;
  }
  return [streams, versions, types, schemaVersions, JSON.stringify(data), JSON.stringify(metadata)];
}

/** The rows of a batch from toColumns' parameters $1…$6, as relation e(s, v, t, sv, d, m). */
export const BATCH_ROWS = `ROWS FROM (
      unnest($1::text[]), unnest($2::bigint[]), unnest($3::text[]), unnest($4::smallint[]),
      jsonb_array_elements($5::jsonb), jsonb_array_elements($6::jsonb)
    ) AS e(s, v, t, sv, d, m)`;
