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
    // A client that went away, or a connection whose earlier response has begun (an
    // export streaming on a kept-alive connection, say): an answer written now would
    // land inside that response, so the connection is only closed, as Node.js does.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, message] = describeClientError(error.code, maxHeaderBytes);
    const body = JSON.stringify({ statusCode: status, error: STATUS_CODES[status], message });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      // Closed once written, whether or not the client closes its side.
      () => socket.destroy(),
    );
  });
}

/** The status and message of a request the HTTP parser refused, by its error code (Node.js's own choice of status). */
function describeClientError(code: string | undefined, maxHeaderBytes: number): [number, string] {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `request line and headers are over MAX_HTTP_HEADER_BYTES (${maxHeaderBytes} bytes); send a shorter URL or fewer headers (a long players list: fewer ids per request)`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'chunk extensions are too large'];
    case 'HPE_HEADERS_TIMEOUT':
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'the request did not arrive in time; send it again'];
    default:
      return [400, 'malformed HTTP request'];
  }
}
