// SQL of streamed exports: the range reads of event-store.queries.sql.ts, each batch
// written out as text (NDJSON or CSV) by PostgreSQL itself.

/** One column of an exported line: an attribute of the event, or one field of its data. */
export type ExportColumn =
  | {
      name: string;
      event: 'globalPosition' | 'eventId' | 'recordedAt' | 'streamSuffix';
      /**
       * The value never holds a character JSON or CSV would escape (ids this server
       * generates, such as UUIDs): written between quotes as it is, skipping the
       * escaping functions, which were a fifth of an export's database time.
       */
      plain?: true;
    }
  | {
      name: string;
      /**
       * A text value the caller computes from the event row (its columns, such as
       * stream_id) or from the spec's `join`; escaped for the format, and written as
       * null (JSON) or an empty field (CSV) when it is NULL.
       */
      text: string;
      /** The value never holds a character JSON or CSV would escape: written as it is (see above). */
      plain?: true;
    }
  | {
      name: string;
      field: string;
      /** 'number': the field always holds a JSON number (or null), printed as stored; 'json': any JSON value. */
      kind: 'number' | 'json';
      missing: 'null' | 'zero';
    };

export interface ExportSpec {
  format: 'ndjson' | 'csv';
  columns: ExportColumn[];
  /** `streamSuffix` is the stream id after this many characters (e.g. 'movement-'.length). */
  streamPrefixLength?: number;
  /**
   * A table the `text` columns read, joined to each event: `alias` holds the row of
   * `table` whose `key` equals `on` (an expression over the event row). At most one row
   * matches (`key` is unique), and an event without one still appears (a LEFT JOIN), so
   * the range's rows and order are unchanged. Exports only; JSON pages read no join.
   */
  join?: { table: string; alias: string; key: string; on: string };
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

function checkedName(name: string, what: string): string {
  // Names become SQL and JSON literals: plain identifiers only, so nothing needs escaping.
  if (!NAME.test(name)) throw new Error(`export ${what} "${name}" must be a plain identifier`);
  return name;
}

const ISO_AT = `to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** A text value as a CSV field: quoted (and its quotes doubled) only when it must be. */
const csvText = (expr: string) => `CASE WHEN ${expr} ~ '[",\\r\\n]' THEN '"' || replace(${expr}, '"', '""') || '"' ELSE ${expr} END`;

/** The SQL expression of one column's value, as JSON text (ndjson) or as a CSV field. */
function valueSql(column: ExportColumn, spec: ExportSpec): string {
  const json = spec.format === 'ndjson';
  if ('text' in column) {
    const value = `(${column.text})`;
    if (column.plain) return json ? `coalesce('"' || ${value} || '"', 'null')` : `coalesce(${value}, '')`;
    return json ? `coalesce(to_json(${value})::text, 'null')` : `coalesce(${csvText(value)}, '')`;
  }
  if ('field' in column) {
    const field = checkedName(column.field, 'data field');
    const missing = column.missing === 'zero' ? '0' : json ? 'null' : '';
    // A number's ->> text is the JSON text it was stored as, a third cheaper than
    // (-> )::text; any other JSON value needs the latter to stay valid JSON. A JSON null
    // prints as `missing`, as an absent field does.
    if (json && column.kind === 'json') return `coalesce((data -> '${field}')::text, '${missing}')`;
    return `coalesce(data ->> '${field}', '${missing}')`;
  }
  switch (column.event) {
    case 'globalPosition':
      return `global_position::text`;
    case 'recordedAt':
      return json ? `'"' || ${ISO_AT} || '"'` : ISO_AT;
    case 'eventId':
      return json ? `coalesce((metadata -> 'eventId')::text, 'null')` : `coalesce(${csvText(`(metadata ->> 'eventId')`)}, '')`;
    case 'streamSuffix': {
      const suffix = `substr(stream_id, ${(spec.streamPrefixLength ?? 0) + 1})`;
      if (column.plain) return json ? `'"' || ${suffix} || '"'` : suffix;
      return json ? `to_json(${suffix})::text` : csvText(suffix);
    }
  }
}

/** The spec's join as SQL after `FROM events` ('' when it has none). */
export function exportJoinSql(spec: ExportSpec): string {
  if (!spec.join) return '';
  const { table, alias, key, on } = spec.join;
  return ` LEFT JOIN ${checkedName(table, 'join table')} ${checkedName(alias, 'join alias')} ON ${alias}.${checkedName(key, 'join key')} = ${on}`;
}

/** One event as one JSON object (the spec's columns in order) written by PostgreSQL: for ndjson specs. */
export function jsonObjectSql(spec: ExportSpec): string {
  if (spec.format !== 'ndjson') throw new Error('JSON objects need an ndjson spec');
  if (spec.columns.length === 0) throw new Error('an export needs at least one column');
  const parts = spec.columns.map((c, i) => `'${i === 0 ? '{' : ','}"${checkedName(c.name, 'column')}":' || ${valueSql(c, spec)}`);
  return `${parts.join(' || ')} || '}'`;
}

/** One event as one line of text: a JSON object with the columns in order, or a CSV row. */
export function exportLineSql(spec: ExportSpec): string {
  if (spec.format === 'ndjson') return `${jsonObjectSql(spec)} || E'\\n'`;
  if (spec.columns.length === 0) throw new Error('an export needs at least one column');
  for (const c of spec.columns) checkedName(c.name, 'column');
  return `${spec.columns.map((c) => valueSql(c, spec)).join(` || ',' || `)} || E'\\r\\n'`;
}

/** The CSV header line of a spec. */
export function csvHeader(spec: ExportSpec): string {
  return spec.columns.map((c) => checkedName(c.name, 'column')).join(',') + '\r\n';
}

/**
 * Wraps a range read (selecting `line`, recorded_at and global_position, in recorded
 * order) into one row per batch: the batch's text, its size, the position of its last
 * event (the keyset cursor of the next batch), and the times of its first and last
 * events (epoch milliseconds: how densely the range is filled, to cut it into segments).
 * The node process then only passes one string per batch along, instead of parsing and
 * re-serialising every event.
 */
export function exportBatchSql(rangeSql: string): string {
  return `
  SELECT coalesce(string_agg(page.line, '' ORDER BY page.recorded_at, page.global_position), '') AS text,
         count(*)::int AS count,
         (array_agg(page.global_position ORDER BY page.recorded_at DESC, page.global_position DESC))[1]::text AS last,
         (extract(epoch FROM min(page.recorded_at)) * 1000)::float8 AS "firstAtMs",
         (extract(epoch FROM max(page.recorded_at)) * 1000)::float8 AS "lastAtMs"
  FROM (${rangeSql}) AS page`;
}

/** The columns a range read selects for jsonPagePartSql: what jsonObjectSql's expressions read. */
export const PAGE_SOURCE_COLUMNS = `global_position, stream_id, data, metadata, recorded_at`;

/**
 * Wraps a range read (selecting PAGE_SOURCE_COLUMNS in recorded order) into one row
 * describing rows (`first`, `last`] of it, numbered from 1: their JSON objects (`item`,
 * see jsonObjectSql) joined by commas, the position of row `last` (the next page's
 * cursor) and of row `first` (where this part joins the one before it), and how many
 * rows the range read had (more than `last`: the range goes on). `first` and `last` are
 * SQL parameters. The objects are built only for the rows of the part: a
 * page read as two parts on two backends builds each object once. As with exports, the
 * node process passes one string along instead of 10,000 objects.
 */
export function jsonPagePartSql(rangeSql: string, item: string, first: string, last: string): string {
  return `
  SELECT coalesce(string_agg(${item}, ',' ORDER BY page.n) FILTER (WHERE page.n > ${first} AND page.n <= ${last}), '') AS items,
         max(page.global_position) FILTER (WHERE page.n = ${last})::text AS last,
         max(page.global_position) FILTER (WHERE page.n = ${first})::text AS boundary,
         count(*)::int AS count
  FROM (SELECT r.*, row_number() OVER (ORDER BY r.recorded_at, r.global_position) AS n FROM (${rangeSql}) AS r) AS page`;
}
