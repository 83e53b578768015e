// RFC 9457 problem+json responses with generic text: type, title, status, detail, instance (the request
// id) and our stable `code`. Written to a raw ServerResponse, or to a socket for refused upgrades.
import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERRORS, type HttpErrorCode } from './errors.ts';

export const PROBLEM_TYPE_BASE = 'https://edgepass.dev/errors/';

export function problemBody(code: HttpErrorCode, requestId: string): string {
  const { status, title, detail } = ERRORS[code];
  return JSON.stringify({
    type: `${PROBLEM_TYPE_BASE}${code.toLowerCase().replaceAll('_', '-')}`,
    title,
    status,
    detail,
    instance: requestId,
    code,
  });
}

/** Writes a problem unless a response was already started (then the connection is cut). */
export function sendProblem(
  res: ServerResponse,
  code: HttpErrorCode,
  requestId: string,
  headers?: Readonly<Record<string, string>>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = problemBody(code, requestId);
  res.statusCode = ERRORS[code].status;
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('x-request-id', requestId);
  res.setHeader('cache-control', 'no-store');
  if (headers) for (const name in headers) res.setHeader(name, headers[name] as string);
  res.end(body);
}

/** For an upgrade request that is refused: a complete HTTP/1.1 response, then the socket is closed. */
export function sendProblemOnSocket(
  socket: Duplex,
  code: HttpErrorCode,
  requestId: string,
  headers?: Readonly<Record<string, string>>,
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const status = ERRORS[code].status;
  const body = problemBody(code, requestId);
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nx-request-id: ${requestId}\r\ncache-control: no-store\r\nconnection: close\r\n`;
  if (headers) for (const name in headers) head += `${name}: ${headers[name]}\r\n`;
  socket.end(`${head}\r\n${body}`);
}
