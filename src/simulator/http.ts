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

/** Text is written in slices of at most this many UTF-16 units (`writeText`). */
export const SLICE_CHARS = 64 * 1024;

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
  if (text.length > SLICE_CHARS) {
    writeText(res, text);
    res.end();
  } else res.end(text);
  return length;
}

/**
 * Writes text to the response in slices (`textSlices`) and returns the last write's answer
 * (false: wait for 'drain'). Node encodes a string inside the socket write, and above
 * ~128 KiB that is slow: one 500-pod LIST page (4 MB) took 17 ms to write as one string and
 * 2.9 ms in slices. `Buffer.from` would be as fast on its own, but its buffers count as V8
 * external memory, which starts collections of the whole heap. With 100,000 pods in the heap (size L), the simulator's CPU for a full
 * LIST of pods by 500 (`npx tsx bench/list-ab.ts BASE CHANGE L 4`, alternating rounds) was
 * 11.3–17.2 s with whole strings, 26.2–27.7 s with buffers, and in slices 27 % less than
 * with whole strings (9.2, 7.9, 9.1, 7.6 s against 13.2, 9.8, 13.4, 10.5 s). The gateway
 * writes its answers the same way (server/sliced-response.ts; the simulator stands apart).
 */
export function writeText(res: ServerResponse, text: string): boolean {
  if (text.length <= SLICE_CHARS) return res.write(text);
  let ok = true;
  for (const slice of textSlices(text)) ok = res.write(slice);
  return ok;
}

/**
 * `text` in slices of at most `SLICE_CHARS` units, never cut between the two halves of a
 * surrogate pair (each half alone would be encoded as U+FFFD). The gateway's listeners do the
 * same (server/sliced-response.ts); the simulator imports nothing of ours, so it has its own.
 */
export function textSlices(text: string): string[] {
  if (text.length <= SLICE_CHARS) return [text];
  const slices: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + SLICE_CHARS);
    const before = text.charCodeAt(end - 1);
    if (end < text.length && before >= 0xd800 && before <= 0xdbff) end--;
    slices.push(text.slice(start, end));
    start = end;
  }
  return slices;
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
  if (writeText(res, chunk)) return true;
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
