import { VersionedNewEvent } from './event-store.types';

/**
 * Parallel arrays for `unnest(...)`: one bind parameter per column however many rows,
 * which is what makes a batch one round trip (and avoids pg's 65,535-parameter limit).
 * Order: stream ids, versions, types, schema versions, data JSON, metadata JSON.
 */
export function toColumns(events: VersionedNewEvent[]): [string[], number[], string[], number[], string[], string[]] {
  const n = events.length;
  const streams = new Array<string>(n);
  const versions = new Array<number>(n);
  const types = new Array<string>(n);
  const schemaVersions = new Array<number>(n);
  const data = new Array<string>(n);
  const metadata = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const e = events[i];
    streams[i] = e.streamId;
    versions[i] = e.streamVersion;
    types[i] = e.type;
    schemaVersions[i] = e.schemaVersion ?? 1;
    data[i] = JSON.stringify(e.data);
    metadata[i] = JSON.stringify(e.metadata);
  }
  return [streams, versions, types, schemaVersions, data, metadata];
}
