import { RangeEvent, RangeEventText } from '../../event-store';
import { MovementData } from '../../movement/position';
import { toMovement } from '../read-movements/movement.mapper';
import { CSV_HEADER, formatBatch } from './export-format';

/** The same event as the pages read it (parsed) and as exports read it (text from PostgreSQL). */
function pair(eventId: string, data: Record<string, unknown>, dataText: (string | null)[], position = '12345') {
  const base = { globalPosition: position, streamId: 'movement-7b0c1d2e-0000-4000-8000-000000000001', recordedAt: '2025-11-26T10:00:00.123Z' };
  const parsed: RangeEvent<MovementData> = { ...base, streamVersion: 3, eventId, data: data as unknown as MovementData };
  const text: RangeEventText = { ...base, eventIdJson: JSON.stringify(eventId), fields: dataText };
  return { parsed, text };
}

const cases = [
  pair('e0e0e0e0-0000-4000-8000-00000000000a', { x: -40.25, y: 1e21, z: 0, heading: 3.14159, seq: 7 }, ['-40.25', '1000000000000000000000', '0', '3.14159', '7']),
  pair('e0e0e0e0-0000-4000-8000-00000000000b', { x: 0.30000000000000004, y: 2, z: 1, heading: 0, seq: null }, ['0.30000000000000004', '2', '1', '0', 'null'], '12346'),
  pair('odd "id", really', { x: 1, y: 2 }, ['1', '2', null, null, null], '12347'),
];

describe('formatBatch', () => {
  it('writes NDJSON lines that parse to exactly the Movement of the JSON pages', () => {
    const lines = formatBatch(cases.map((c) => c.text), 'ndjson').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toEqual(cases.map((c) => toMovement(c.parsed)));
  });

  it('writes CSV rows in header order, quoting only what needs it', () => {
    expect(CSV_HEADER).toBe('id,playerId,x,y,z,heading,seq,at,position\r\n');
    expect(formatBatch(cases.map((c) => c.text), 'csv')).toBe(
      'e0e0e0e0-0000-4000-8000-00000000000a,7b0c1d2e-0000-4000-8000-000000000001,-40.25,1000000000000000000000,0,3.14159,7,2025-11-26T10:00:00.123Z,12345\r\n' +
        'e0e0e0e0-0000-4000-8000-00000000000b,7b0c1d2e-0000-4000-8000-000000000001,0.30000000000000004,2,1,0,,2025-11-26T10:00:00.123Z,12346\r\n' +
        '"odd ""id"", really",7b0c1d2e-0000-4000-8000-000000000001,1,2,0,0,,2025-11-26T10:00:00.123Z,12347\r\n',
    );
  });

  it('writes nothing for an empty batch', () => {
    expect(formatBatch([], 'ndjson')).toBe('');
  });
});
