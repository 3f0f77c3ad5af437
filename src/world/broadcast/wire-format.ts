import type { Socket } from 'socket.io';
import type { WireFormat } from '../session-directory';

/** Every packed client of the world (all nodes) is in this room; JSON clients are not. */
export const PACKED_ROOM = 'format:packed';

/**
 * Reads `auth.format` of the handshake (absent = `json`, v1), records it on the socket and,
 * for `packed`, joins the socket to PACKED_ROOM at once, so that no broadcast can reach it
 * as JSON before its `welcome`. Null when the value is unknown (`invalid_format`); a
 * refused socket leaves its rooms.
 */
export function acceptWireFormat(socket: Socket): WireFormat | null {
  const format = (socket.handshake.auth as { format?: unknown } | undefined)?.format ?? 'json';
  if (format !== 'json' && format !== 'packed') return null;
  socket.data.format = format;
  if (format === 'packed') void socket.join(PACKED_ROOM);
  return format;
}
