import { csvHeader, exportBatchSql, exportJoinSql, exportLineSql, ExportSpec, jsonObjectSql } from './export.sql';

const spec = (format: 'ndjson' | 'csv', columns: ExportSpec['columns']): ExportSpec => ({ format, columns, streamPrefixLength: 9 });

describe('export SQL', () => {
  it('writes an NDJSON line as one JSON object with the columns in order, and a newline', () => {
    const ndjson = spec('ndjson', [
      { name: 'id', event: 'eventId' },
      { name: 'x', field: 'x', kind: 'number', missing: 'null' },
      { name: 'z', field: 'z', kind: 'number', missing: 'zero' },
      { name: 'tags', field: 'tags', kind: 'json', missing: 'null' },
    ]);
    const object =
      `'{"id":' || coalesce((metadata -> 'eventId')::text, 'null') || ',"x":' || coalesce(data ->> 'x', 'null') || ',"z":' || coalesce(data ->> 'z', '0')` +
      ` || ',"tags":' || coalesce((data -> 'tags')::text, 'null') || '}'`;
    expect(jsonObjectSql(ndjson)).toBe(object);
    expect(exportLineSql(ndjson)).toBe(`${object} || E'\\n'`);
    expect(() => jsonObjectSql(spec('csv', [{ name: 'x', field: 'x', kind: 'number', missing: 'null' }]))).toThrow(/ndjson/);
  });

  it('writes a CSV row, quoting text values only when they must be, and a header', () => {
    const columns: ExportSpec['columns'] = [
      { name: 'playerId', event: 'streamSuffix' },
      { name: 'seq', field: 'seq', kind: 'number', missing: 'null' },
      { name: 'position', event: 'globalPosition' },
    ];
    expect(exportLineSql(spec('csv', columns))).toBe(
      `CASE WHEN substr(stream_id, 10) ~ '[",\\r\\n]' THEN '"' || replace(substr(stream_id, 10), '"', '""') || '"' ELSE substr(stream_id, 10) END` +
        ` || ',' || coalesce(data ->> 'seq', '') || ',' || global_position::text || E'\\r\\n'`,
    );
    expect(csvHeader(spec('csv', columns))).toBe('playerId,seq,position\r\n');
  });

  it('writes a plain stream suffix between quotes without escaping it', () => {
    const plain = (format: 'ndjson' | 'csv') => exportLineSql(spec(format, [{ name: 'playerId', event: 'streamSuffix', plain: true }]));
    expect(plain('ndjson')).toBe(`'{"playerId":' || '"' || substr(stream_id, 10) || '"' || '}' || E'\\n'`);
    expect(plain('csv')).toBe(`substr(stream_id, 10) || E'\\r\\n'`);
  });

  it('writes a text column the caller computes, escaped unless plain, null or empty when NULL', () => {
    const label = (format: 'ndjson' | 'csv', plain?: true) => exportLineSql(spec(format, [{ name: 'who', text: 'SELECT name FROM t', plain }]));
    expect(label('ndjson')).toBe(`'{"who":' || coalesce(to_json((SELECT name FROM t))::text, 'null') || '}' || E'\\n'`);
    expect(label('csv')).toBe(
      `coalesce(CASE WHEN (SELECT name FROM t) ~ '[",\\r\\n]' THEN '"' || replace((SELECT name FROM t), '"', '""') || '"' ELSE (SELECT name FROM t) END, '') || E'\\r\\n'`,
    );
    expect(label('ndjson', true)).toBe(`'{"who":' || coalesce('"' || (SELECT name FROM t) || '"', 'null') || '}' || E'\\n'`);
    expect(label('csv', true)).toBe(`coalesce((SELECT name FROM t), '') || E'\\r\\n'`);
  });

  it("joins the spec's table to each event, or nothing", () => {
    const joined: ExportSpec = { ...spec('csv', [{ name: 'who', text: 'p.name' }]), join: { table: 'people', alias: 'p', key: 'id', on: 'substr(stream_id, 10)' } };
    expect(exportJoinSql(joined)).toBe(' LEFT JOIN people p ON p.id = substr(stream_id, 10)');
    expect(exportJoinSql(spec('csv', [{ name: 'who', text: 'p.name' }]))).toBe('');
    expect(() => exportJoinSql({ ...joined, join: { ...joined.join!, table: 'people; DROP TABLE events' } })).toThrow(/plain identifier/);
  });

  it('refuses names that would need escaping in SQL or JSON', () => {
    expect(() => exportLineSql(spec('ndjson', [{ name: 'x"', field: 'x', kind: 'number', missing: 'null' }]))).toThrow(/plain identifier/);
    expect(() => exportLineSql(spec('csv', [{ name: 'x', field: "x'; DROP TABLE events; --", kind: 'number', missing: 'null' }]))).toThrow(/plain identifier/);
    expect(() => exportLineSql(spec('csv', []))).toThrow(/at least one column/);
  });

  it('aggregates a page into one text with its count and last position', () => {
    expect(exportBatchSql('SELECT 1')).toContain("string_agg(page.line, '' ORDER BY page.recorded_at, page.global_position)");
  });
});
