import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { codeForStatus, type ErrorBody } from './http-errors.ts';
import { securityHeaders } from './middleware/security-headers.ts';

interface ClientError extends Error {
  code?: string;
  /** The bytes the parser choked on, when the error came from the parser. */
  rawPacket?: Buffer;
}

// Node's own answers to requests its parser refuses, by parser code; anything else is a 400.
const byParserCode: Record<string, { status: number; code: string; message: string }> = {
  HPE_INVALID_METHOD: { status: 501, code: codeForStatus(501), message: 'this method is not supported' },
  HPE_HEADER_OVERFLOW: { status: 431, code: codeForStatus(431), message: 'request headers are too large' },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: codeForStatus(413), message: 'chunk extensions are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: codeForStatus(408), message: 'the request took too long to arrive' },
};

/** The raw HTTP response for a request Node's parser refused, in the API's error shape; a HEAD request gets no body. */
export function clientErrorResponse(parserCode: string | undefined, head = false): string {
  const { status, code, message } = byParserCode[parserCode ?? ''] ?? { status: 400, code: 'bad_request', message: 'malformed HTTP request' };
  const body: ErrorBody = { error: { code, message, details: null } };
  const json = JSON.stringify(body);
  const headers = {
    ...securityHeaders,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
    Connection: 'close',
  };
  const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}`);
  return [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, ...lines, '', head ? '' : json].join('\r\n');
}

/**
 * `clientError` listener. Koa never sees requests the parser refuses (an unknown method such as
 * `FOO`, a bad Content-Length, a control character in the target), and Node would answer them with
 * a bare `400`; this answers in the error shape instead, the way Node's default handler does otherwise.
 */
export function answerClientError(err: ClientError, socket: Duplex & { bytesWritten?: number }): void {
  const head = err.rawPacket?.subarray(0, 5).toString('latin1') === 'HEAD ';
  if (err.code !== 'ECONNRESET' && socket.writable && !socket.bytesWritten) socket.write(clientErrorResponse(err.code, head));
  socket.destroy();
}
