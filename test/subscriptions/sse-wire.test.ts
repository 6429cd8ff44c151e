/**
 * The SSE wire format, read as raw HTTP (no client library in between): the stream
 * opens with a ping, each event is one `event: next` message whose data is the GraphQL
 * result, identical subscribers get byte-identical messages, and the stream releases its
 * subscription when the client goes away. On the socket itself: an HTTP/1.1 response is
 * chunked, each message one well-formed chunk (server/sse.ts writes them to the connection
 * framed); an HTTP/1.0 one is not chunked and carries the same messages. What a result keeps for the server
 * (`extensions.http`, `unexpected`) never reaches the wire.
 */
import { connect, type Socket } from 'node:net';
import { GraphQLError } from 'graphql';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { serialise } from '../../src/server/result-json.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  ensureNamespace,
  listeners,
  serverSubscriptions,
  stopBackgroundActivity,
} from './clients.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 4, jobs: 1, namespaces: 1, seed: 3 } } });
  stopBackgroundActivity(h.sim);
});

afterAll(() => h?.close(), 30_000);

/** A subscription over plain fetch, collecting the raw text of its response body. */
async function rawSubscription(query: string) {
  const abort = new AbortController();
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ query }),
    signal: abort.signal,
  });
  const state = { text: '', res, close: () => abort.abort() };
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        state.text += decoder.decode(value, { stream: true });
      }
    } catch {
      // aborted by close()
    }
  })();
  return state;
}

it('streams one `event: next` message per event, byte-identical for identical subscribers', async () => {
  const ns = 'wire';
  ensureNamespace(h, ns);
  const before = serverSubscriptions(h);
  const query = `subscription { podEvents(namespace: "${ns}") { type object { name namespace } } }`;
  const subs = [await rawSubscription(query), await rawSubscription(query)];
  try {
    for (const s of subs) {
      expect(s.res.status).toBe(200);
      expect(s.res.headers.get('content-type')).toBe('text/event-stream');
      expect(s.res.headers.get('cache-control')).toBe('no-cache');
    }
    await listeners(h, before + 2);
    for (const s of subs) await waitFor(() => s.text.startsWith(':\n\n'), 'the opening ping');
    h.sim.store.create('pods', barePod(ns, 'on-the-wire'));
    const expected = `event: next\ndata: ${JSON.stringify({
      data: { podEvents: { type: 'ADDED', object: { name: 'on-the-wire', namespace: ns } } },
    })}\n\n`;
    for (const s of subs) await waitFor(() => s.text.includes('event: next'), 'the event');
    for (const s of subs) expect(s.text).toBe(`:\n\n${expected}`);
  } finally {
    for (const s of subs) s.close();
  }
  // Closing the connection releases each subscription on the server.
  await listeners(h, before);
});

it('keeps a result’s transport-only fields (extensions.http, unexpected) off the wire', () => {
  const error = new GraphQLError('subscriber fell behind', {
    path: ['podEvents'],
    extensions: { code: 'SLOW_CONSUMER', queueLimit: 1000, http: { status: 500 }, unexpected: true },
  });
  const wire = JSON.parse(serialise({ data: null, errors: [error], extensions: { http: { status: 200 } } }));
  expect(wire).toEqual({
    data: null,
    errors: [
      {
        message: 'subscriber fell behind',
        path: ['podEvents'],
        extensions: { code: 'SLOW_CONSUMER', queueLimit: 1000 },
      },
    ],
  });
  // A result without errors is serialised as it is.
  expect(serialise({ data: { a: 1 } })).toBe('{"data":{"a":1}}');
});

/**
 * A subscription over a bare TCP connection, as `version` (HTTP/1.1 or HTTP/1.0): the bytes
 * exactly as the gateway wrote them.
 */
function socketSubscription(query: string, version: 'HTTP/1.1' | 'HTTP/1.0') {
  const url = new URL(h.url);
  const body = JSON.stringify({ query });
  const state = { bytes: Buffer.alloc(0), socket: undefined as Socket | undefined };
  const socket = connect(Number(url.port), url.hostname, () => {
    socket.write(
      `POST ${url.pathname} ${version}\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
        `Accept: text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  socket.on('data', (d: Buffer) => {
    state.bytes = Buffer.concat([state.bytes, d]);
  });
  socket.on('error', () => {});
  state.socket = socket;
  const split = () => {
    const end = state.bytes.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    return { head: state.bytes.subarray(0, end).toString('latin1'), body: state.bytes.subarray(end + 4) };
  };
  return { state, split, close: () => socket.destroy() };
}

/** A chunked body's chunks, strictly (RFC 9112 7.1): throws on anything else; a partial last chunk is left out. */
function chunksOf(body: Buffer): string[] {
  const chunks: string[] = [];
  let at = 0;
  for (;;) {
    const line = body.indexOf('\r\n', at);
    if (line < 0) return chunks;
    const sizeText = body.subarray(at, line).toString('latin1');
    if (!/^[0-9a-f]+$/.test(sizeText))
      throw new Error(`expected a chunk size in hex, received ${JSON.stringify(sizeText)}`);
    const size = Number.parseInt(sizeText, 16);
    const data = line + 2;
    if (body.length < data + size + 2) return chunks;
    if (body.subarray(data + size, data + size + 2).toString('latin1') !== '\r\n')
      throw new Error(`expected CRLF after a chunk of ${size} bytes`);
    if (size === 0) throw new Error('the body ended (a last chunk) while the subscription was live');
    chunks.push(body.subarray(data, data + size).toString('utf8'));
    at = data + size + 2;
  }
}

it('writes each message as one chunk of a chunked HTTP/1.1 body, and the same messages unchunked over HTTP/1.0', async () => {
  const ns = 'wire-socket';
  ensureNamespace(h, ns);
  const before = serverSubscriptions(h);
  const query = `subscription { podEvents(namespace: "${ns}") { type object { name } } }`;
  const http11 = socketSubscription(query, 'HTTP/1.1');
  const http10 = socketSubscription(query, 'HTTP/1.0');
  const message = (name: string) =>
    `event: next\ndata: ${JSON.stringify({ data: { podEvents: { type: 'ADDED', object: { name } } } })}\n\n`;
  try {
    await listeners(h, before + 2);
    const head11 = await waitFor(() => http11.split()?.head, 'the HTTP/1.1 response head');
    expect(head11).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head11.toLowerCase()).toContain('transfer-encoding: chunked');
    const head10 = await waitFor(() => http10.split()?.head, 'the HTTP/1.0 response head');
    expect(head10).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head10.toLowerCase()).not.toContain('transfer-encoding');
    await waitFor(() => chunksOf(http11.split()!.body).length === 1, 'the opening ping');
    for (const name of ['socket-a', 'socket-b', 'socket-c']) h.sim.store.create('pods', barePod(ns, name));
    const expected = [':\n\n', message('socket-a'), message('socket-b'), message('socket-c')];
    await waitFor(() => chunksOf(http11.split()!.body).length === expected.length, {
      message: 'three chunks after the ping',
      observe: () => http11.state.bytes.toString('latin1'),
    });
    expect(chunksOf(http11.split()!.body)).toEqual(expected);
    await waitFor(() => http10.split()!.body.toString('utf8') === expected.join(''), {
      message: 'the same messages over HTTP/1.0',
      observe: () => http10.state.bytes.toString('latin1'),
    });
  } finally {
    http11.close();
    http10.close();
  }
  await listeners(h, before);
});
