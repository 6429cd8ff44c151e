/**
 * Small HTTP helpers shared by the simulator's handlers: Status errors, JSON replies
 * that count their bytes, and request bodies with a size bound.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StoreError } from './store.js';

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure';
  message: string;
  reason: string;
  details?: StoreError['details'];
  code: number;
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export function statusBody(
  code: number,
  message: string,
  reason?: string,
  details?: StoreError['details'],
): StatusBody {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: reason ?? REASONS[code] ?? 'Unknown',
    ...(details ? { details } : {}),
    code,
  };
}

/** Writes a JSON reply and returns the number of body bytes, for the metrics. */
export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
  contentType = 'application/json',
): number {
  const text = JSON.stringify(body);
  const length = Buffer.byteLength(text);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': length, ...headers });
  res.end(text);
  return length;
}

export function sendStatus(
  res: ServerResponse,
  code: number,
  message: string,
  reason?: string,
  details?: StoreError['details'],
  headers: Record<string, string> = {},
): number {
  return sendJson(res, code, statusBody(code, message, reason, details), headers);
}

export class BodyTooLargeError extends Error {
  // api.ts recognises this error by name (413 RequestEntityTooLarge); without it the name
  // was the inherited "Error" and an oversized body became a 500 InternalError.
  override readonly name = 'BodyTooLargeError';
}

/** Reads a request body of at most `limit` bytes, as text. */
export async function readBody(req: IncomingMessage, limit = 3 * 1024 * 1024): Promise<string> {
  return (await readBodyBytes(req, limit)).toString('utf8');
}

/** Reads a request body of at most `limit` bytes, as bytes (a protobuf body is not text). */
export async function readBodyBytes(req: IncomingMessage, limit = 3 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLargeError(`request body larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Writes a chunk and waits for 'drain' when the socket's buffer is full (backpressure). */
export async function writeChunk(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}
