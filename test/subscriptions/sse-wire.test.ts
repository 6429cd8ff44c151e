/**
 * The SSE wire format, read as raw HTTP (no client library in between): the stream
 * opens with a ping, each event is one `event: next` message whose data is the GraphQL
 * result, identical subscribers get byte-identical messages, and the stream releases its
 * subscription when the client goes away. What a result keeps for the server
 * (`extensions.http`, `unexpected`) never reaches the wire.
 */
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
