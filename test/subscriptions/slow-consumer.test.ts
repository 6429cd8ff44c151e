/**
 * Backpressure: a WebSocket (or, last test, SSE) client that stops reading (its socket paused, as a frozen
 * browser tab's would be) while thousands of large events are generated is cut off with
 * one terminal SLOW_CONSUMER error: its hub listener goes at once, the gateway's memory
 * does not grow with what it did not read, and a normal subscriber meanwhile receives
 * every event without waiting for it.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Harness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import {
  barePod,
  cached,
  ensureNamespace,
  type Json,
  listeners,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribeOn,
  wsConnection,
} from './clients.js';

// Read by config.ts's settingsFromEnv, which the harness calls as the CLI does.
const QUEUE_LIMIT = 64;
process.env.KUBEGATE_SUBSCRIBER_QUEUE = String(QUEUE_LIMIT);
const { startHarness } = await import('../helpers/harness.js');

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

function heapMB(): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    // A short history: the simulator must not keep every large version for watch resumption.
    simulator: { scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 1, seed: 4 }, historyLimit: 200 },
    // Likewise the gateway's retention log (resumable subscriptions) is off: it keeps versions
    // on purpose, within its own bound (kube/event-log.ts), and what is measured here is what
    // the queues keep. Even 200 retained 40 KB versions add enough GC work on a loaded machine
    // for the simulator to cut the gateway's watch (64 MB unread), which relists.
    eventLog: { maxEvents: 0 },
  });
  stopBackgroundActivity(h.sim);
});

afterAll(() => h?.close(), 30_000);

/** A raw graphql-transport-ws client, so the test can stop reading its socket. */
async function rawSubscriber(url: string, id: string, query: string) {
  const messages: Json[] = [];
  const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
  socket.on('message', (data) => messages.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
  await waitFor(() => messages.some((m) => m.type === 'connection_ack'), 'connection_ack');
  socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query } }));
  const tcp = (socket as unknown as { _socket: import('node:net').Socket })._socket;
  return { socket, messages, pause: () => tcp.pause(), resume: () => tcp.resume() };
}

it('cuts off a subscriber that stops reading with SLOW_CONSUMER, without delaying the others or growing memory', async () => {
  const ns = 'slow';
  ensureNamespace(h, ns);
  h.sim.store.create('pods', barePod(ns, 'big'));
  const baseline = serverSubscriptions(h);

  const slow = await rawSubscriber(
    h.url,
    'slow',
    `subscription { podEvents(namespace: "${ns}", allChanges: true) {
      type resourceVersion object { name annotations { key value } } } }`,
  );
  const client = wsConnection(h.url);
  const fast = subscribeOn(
    client,
    `subscription { podEvents(namespace: "${ns}", allChanges: true) { type resourceVersion object { name } } }`,
  );
  try {
    await listeners(h, baseline + 2);
    slow.pause();
    h.sim.compact();
    const heapBefore = heapMB();

    // Thousands of large versions of one pod (a 40 KB annotation each, different every time):
    // far more than the socket buffers and the queue of the slow one can hold.
    const versions = 2000;
    const blob = 'x'.repeat(40 * 1024);
    let lastRV = '';
    for (let i = 0; i < versions; i++) {
      lastRV = h.sim.store.mutate('pods', ns, 'big', (d) => ({
        ...d,
        metadata: { ...d.metadata, annotations: { blob: `${i}:${blob}` } },
      }))!.metadata.resourceVersion!;
      // Every 25 versions (1 MB), until the gateway's own watch has them: the simulator shares
      // this process and cuts a watch 64 MB behind (as kube-apiserver cuts slow watchers), and
      // 80 MB produced faster than the gateway reads would cut the gateway's watch, relist,
      // and skip versions for every subscriber. That is not what is tested here; the slow
      // subscriber is.
      if (i % 25 === 24) await cached(h, 'Pod', `${ns}/big`, lastRV);
    }

    // The other subscriber got every event, while the slow one still has not read a byte more.
    await fast.until('every version', (s) => s.events.at(-1)?.resourceVersion === lastRV, 30_000);
    expect(fast.events.map((e: Json) => e.type)).toEqual(Array(versions).fill('MODIFIED'));
    expect(fast.errors).toEqual([]);
    // The slow one's listener is gone; the fast one's stays.
    expect(serverSubscriptions(h)).toBe(baseline + 1);
    // What it did not read is not kept: ~80 MB went by, the heap grew by far less.
    // (The simulator shares this process: its watch history keeps old versions, so it is
    // compacted before both measurements; what is left to grow is the gateway's.)
    h.sim.compact();
    const grown = heapMB() - heapBefore;
    expect(grown).toBeLessThan(30);

    // When it reads again: what fitted in the socket buffers, then the error, then complete.
    slow.resume();
    await waitFor(
      () => slow.messages.some((m) => m.id === 'slow' && m.type === 'complete'),
      'the slow subscription to complete',
    );
    const own = slow.messages.filter((m) => m.id === 'slow');
    expect(own.at(-1).type).toBe('complete');
    const last = own.at(-2);
    expect(last.type).toBe('next');
    expect(last.payload.errors[0].extensions).toMatchObject({
      code: 'SLOW_CONSUMER',
      queueLimit: QUEUE_LIMIT,
    });
    expect(last.payload.errors[0].message).toMatch(/resubscribe/);
    const delivered = own.filter((m) => m.type === 'next' && m.payload.data?.podEvents);
    expect(delivered.length).toBeGreaterThan(0);
    expect(delivered.length).toBeLessThan(versions);
    // What it did get is a prefix of the stream: in order, nothing skipped before the cut.
    const rvs = delivered.map((m) => Number(m.payload.data.podEvents.resourceVersion));
    expect(rvs).toEqual([...rvs].sort((a, b) => a - b));
    expect(rvs).toEqual(fast.events.slice(0, rvs.length).map((e: Json) => Number(e.resourceVersion)));

    // The connection itself survives: a new subscription on it works.
    slow.socket.send(
      JSON.stringify({
        id: 'again',
        type: 'subscribe',
        payload: { query: `subscription { podEvents(namespace: "${ns}") { type } }` },
      }),
    );
    await listeners(h, baseline + 2);
    fast.dispose();
    await client.dispose();
    slow.socket.close();
    await listeners(h, baseline);
  } finally {
    // A paused socket never reads the server's close frame: end it, or closing the gateway waits for it.
    slow.socket.terminate();
    fast.dispose();
    await client.dispose();
  }
}, 60_000);

it('a connection that stops reading for a while, with two subscriptions on it, gets every event of both once it reads again', async () => {
  // The gateway writes graphql-ws frames itself (server/ws-delivery.ts) and, when the socket
  // is backed up, waits for its own frames to be written before it pulls the next result:
  // both subscriptions resume when the client reads again, in order, nothing skipped.
  const ns = 'paused';
  ensureNamespace(h, ns);
  h.sim.store.create('pods', barePod(ns, 'wide'));
  const baseline = serverSubscriptions(h);
  const query = `subscription { podEvents(namespace: "${ns}", allChanges: true) {
    type resourceVersion object { name annotations { key value } } } }`;
  const paused = await rawSubscriber(h.url, 'one', query);
  paused.socket.send(JSON.stringify({ id: 'two', type: 'subscribe', payload: { query } }));
  try {
    await listeners(h, baseline + 2);
    paused.pause();
    // 40 versions of 200 KB for each subscription: 16 MB, more than the socket buffers hold,
    // fewer events than the queue limit (64), so nobody is cut.
    const versions = 40;
    const blob = 'y'.repeat(200 * 1024);
    const rvs: string[] = [];
    for (let i = 0; i < versions; i++) {
      rvs.push(
        h.sim.store.mutate('pods', ns, 'wide', (d) => ({
          ...d,
          metadata: { ...d.metadata, annotations: { blob: `${i}:${blob}` } },
        }))!.metadata.resourceVersion!,
      );
      if (i % 5 === 4) await cached(h, 'Pod', `${ns}/wide`, rvs.at(-1)!);
    }
    // Give the gateway time to fill the socket and back up.
    await new Promise((r) => setTimeout(r, 500));
    paused.resume();
    const received = (id: string) =>
      paused.messages
        .filter((m) => m.id === id && m.type === 'next')
        .map((m) => m.payload.data?.podEvents?.resourceVersion);
    await waitFor(() => received('one').length === versions && received('two').length === versions, {
      message: 'every version on both subscriptions',
      timeoutMs: 30_000,
      observe: () => [received('one').length, received('two').length],
    });
    expect(received('one')).toEqual(rvs);
    expect(received('two')).toEqual(rvs);
  } finally {
    paused.socket.terminate();
    await listeners(h, baseline);
  }
}, 60_000);

/**
 * A raw SSE subscriber (graphql-sse's distinct connections mode, as graphql-sse's client and
 * browsers' EventSource read it), whose response the test can stop reading.
 */
async function rawSseSubscriber(url: string, query: string) {
  const { request } = await import('node:http');
  const messages: Json[] = [];
  let completed = false;
  let buffered = '';
  const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    });
    req.once('response', resolve).once('error', reject);
    req.end(JSON.stringify({ query }));
  });
  expect(res.statusCode).toBe(200);
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n\n'); end >= 0; end = buffered.indexOf('\n\n')) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      if (block.startsWith('event: next\ndata: ')) messages.push(JSON.parse(block.slice(18)));
      else if (block.startsWith('event: complete')) completed = true;
    }
  });
  return {
    messages,
    completed: () => completed,
    // The response, not its socket: a flowing response resumes its socket as it reads.
    pause: () => res.pause(),
    resume: () => res.resume(),
    close: () => res.destroy(),
  };
}

it('over SSE too: a response that stops being read for a while gets every event once it is read again; one that stays unread is cut with SLOW_CONSUMER', async () => {
  // server/sse.ts pulls a result only while the response takes more: a paused reader backs
  // up into its relay queue, which either drains when it reads again or cuts it.
  const ns = 'sse-paused';
  ensureNamespace(h, ns);
  h.sim.store.create('pods', barePod(ns, 'wide'));
  const baseline = serverSubscriptions(h);
  const query = `subscription { podEvents(namespace: "${ns}", allChanges: true) {
    type resourceVersion object { name annotations { key value } } } }`;
  const paused = await rawSseSubscriber(h.url, query);
  const cut = await rawSseSubscriber(h.url, query);
  try {
    await listeners(h, baseline + 2);
    paused.pause();
    cut.pause();
    // 40 versions of 200 KB: more than the socket buffers hold, fewer than the queue limit.
    const blob = 'z'.repeat(200 * 1024);
    const rvs: string[] = [];
    const mutate = (i: number) =>
      h.sim.store.mutate('pods', ns, 'wide', (d) => ({
        ...d,
        metadata: { ...d.metadata, annotations: { blob: `${i}:${blob}` } },
      }))!.metadata.resourceVersion!;
    for (let i = 0; i < 40; i++) {
      rvs.push(mutate(i));
      if (i % 5 === 4) await cached(h, 'Pod', `${ns}/wide`, rvs.at(-1)!);
    }
    await new Promise((r) => setTimeout(r, 500));
    expect(paused.messages.length).toBeLessThan(40);
    paused.resume();
    const received = () => paused.messages.map((m) => m.data?.podEvents?.resourceVersion);
    await waitFor(() => received().length === rvs.length, {
      message: 'every version after the pause',
      timeoutMs: 30_000,
      observe: () => received().length,
    });
    expect(received()).toEqual(rvs);

    // The other stays paused while more than its queue holds goes by: it is cut, its
    // listener goes, and the reading one still gets every version.
    const more = 3 * QUEUE_LIMIT;
    for (let i = 0; i < more; i++) {
      rvs.push(mutate(40 + i));
      if (i % 5 === 4) await cached(h, 'Pod', `${ns}/wide`, rvs.at(-1)!);
    }
    await waitFor(() => received().length === rvs.length, {
      message: 'every version for the reading subscriber',
      timeoutMs: 30_000,
      observe: () => received().length,
    });
    expect(received()).toEqual(rvs);
    await listeners(h, baseline + 1);
    cut.resume();
    await waitFor(() => cut.completed(), 'the cut subscription to complete');
    const last = cut.messages.at(-1);
    expect(last.errors[0].extensions).toMatchObject({ code: 'SLOW_CONSUMER', queueLimit: QUEUE_LIMIT });
    const delivered = cut.messages
      .filter((m) => m.data?.podEvents)
      .map((m) => m.data.podEvents.resourceVersion);
    expect(delivered).toEqual(rvs.slice(0, delivered.length));
  } finally {
    paused.close();
    cut.close();
    await listeners(h, baseline);
  }
}, 60_000);
