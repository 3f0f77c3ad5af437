import type { Server } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Requests Node's HTTP parser refuses before Express sees them (a head over
 * MAX_HTTP_HEADER_BYTES, a malformed request line, a head too slow to arrive) get the
 * same `{statusCode, error, message}` body as every other HTTP error, instead of Node's
 * bare status line with no body. Also sets the head's size limit: Nest creates the
 * server without options, and Node reads the server's `maxHeaderSize` (the option of
 * http.createServer, kept on the server but not in its types) as each connection opens,
 * so this must run before the server listens. The replay tests send a head just under
 * and over the limit, so a Node.js that stopped reading it would fail them.
 */
export function limitRequestHeads(server: Server, maxHeaderBytes: number): void {
  (server as Server & { maxHeaderSize?: number }).maxHeaderSize = maxHeaderBytes;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // A client that went away, or a socket that already answered: nothing to tell it.
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, message] =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, `request line and headers are over MAX_HTTP_HEADER_BYTES (${maxHeaderBytes} bytes); send a shorter URL or fewer headers (a long players list: fewer ids per request)`]
        : error.code === 'HPE_HEADERS_TIMEOUT' || error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? [408, 'the request did not arrive in time; send it again']
          : [400, 'malformed HTTP request'];
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
