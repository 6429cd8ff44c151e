/**
 * Graceful shutdown (gateway.ts `shutdown`), through the real surface: a harness gateway
 * under load (slow queries against an API server with injected latency, live SSE and
 * graphql-ws subscriptions), and the real CLI signalled with SIGTERM.
 */
import { request } from 'node:http';
import { createClient } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { type Json, listeners, subscribe, subscribeOn } from '../subscriptions/clients.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const SLOW = '{ clusters { name nodes(first: 10) { totalCount } } }';
const POD_EVENTS = 'subscription { podEvents { type object { name } } }';

/** GET with node:http, to read the Connection header fetch hides. */
function get(url: string): Promise<{ status: number; body: string; connection?: string }> {
  return new Promise((resolve, reject) => {
    request(url, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection }));
    })
      .on('error', reject)
      .end();
  });
}

const codes = (result: Json) => (result.errors ?? []).map((e: Json) => e.extensions?.code);

describe('graceful shutdown', () => {
  it('under load: /readyz 503 during the delay, every query answered, subscriptions end with SHUTTING_DOWN, then connections refused', async () => {
    h = await startHarness({ cache: false, simulator: { scenario: { nodes: 2, pods: 4, jobs: 0 } } });
    const base = h.url.replace(/\/graphql$/, '');
    expect((await get(`${base}/readyz`)).status).toBe(200);

    const sse = subscribe('sse', h.url, POD_EVENTS);
    // Not lazy: the client keeps its socket when its operations complete, so the close is the server's.
    const ws = createClient({
      url: h.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      // Its close is read from 'closed' below, not printed.
      onNonLazyError: () => {},
    });
    let closeCode: number | undefined;
    ws.on('closed', (event) => {
      closeCode = (event as { code: number }).code;
    });
    const wsSub = subscribeOn(ws, POD_EVENTS);
    await listeners(h, 2);

    // Every API request now takes longer than the drain delay: queries started before the
    // shutdown and during its delay are still running when the listener stops accepting.
    // "Started" means the gateway has read them (test/writes/shutdown.test.ts says why a
    // request still unread when the listener closes is reset): wait until it counts them open.
    h.sim.injectFaults({ latencyMs: 4_000 });
    const gateway = h.gateway;
    const open = gateway.openRequests; // the SSE subscription's
    const before = Array.from({ length: 4 }, () => h!.query(SLOW));
    await waitFor(() => gateway.openRequests >= open + 4, 'the gateway reads the four queries');
    const shutdown = gateway.shutdown({ delayMs: 2_000, timeoutMs: 10_000 });
    const during = h.query(SLOW);
    await waitFor(
      () => gateway.openRequests >= open + 5,
      'the gateway reads the query sent during the delay',
    );

    // At once: not ready, saying why, and asking the client to close its connection.
    const ready = await get(`${base}/readyz`);
    expect(ready).toMatchObject({ status: 503, body: 'shutting down\n', connection: 'close' });
    // A query over the open WebSocket, in flight when its subscription is ended.
    const wsQuery = new Promise<Json>((resolve, reject) => {
      let result: Json;
      ws.subscribe(
        { query: SLOW },
        { next: (r) => (result = r), error: reject, complete: () => resolve(result) },
      );
    });
    await shutdown;

    for (const result of [...(await Promise.all(before)), await during, await wsQuery]) {
      expect(result.errors).toBeUndefined();
      expect(result.data).toEqual({ clusters: [{ name: 'sim', nodes: { totalCount: 2 } }] });
    }
    for (const sub of [sse, wsSub]) {
      await sub.end();
      expect(sub.failure).toBeUndefined();
      expect(sub.completed).toBe(true);
      expect(sub.results.map(codes)).toEqual([['SHUTTING_DOWN']]);
    }
    await waitFor(() => closeCode, 'the WebSocket to close');
    // 1012 Service Restart: graphql-ws clients reconnect on it.
    expect(closeCode).toBe(1012);
    await expect(fetch(`${base}/readyz`)).rejects.toThrow();
    await ws.dispose();
  }, 60_000);

  it('cuts an operation that outlasts shutdownTimeoutMs with SHUTTING_DOWN', async () => {
    h = await startHarness({ cache: false, simulator: { scenario: { nodes: 1, pods: 1, jobs: 0 } } });
    h.sim.injectFaults({ latencyMs: 3_000 });
    const slow = h.query(SLOW);
    await waitFor(() => h!.gateway.openRequests >= 1, 'the gateway reads the query');
    // After the delay, 200 ms more, far less than the API server's 3 s.
    const shutdown = h.gateway.shutdown({ delayMs: 300, timeoutMs: 200 });
    const result = await slow;
    expect(result.data).toBeNull();
    expect(codes(result)).toEqual(['SHUTTING_DOWN']);
    await shutdown;
    h.sim.injectFaults({ latencyMs: 0 });
  }, 30_000);
});
