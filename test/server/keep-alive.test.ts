/**
 * Idle keep-alive connections outlive Node's default 5 s (KEEP_ALIVE_MS, 65 s: past the 60 s
 * idle timeouts of ingress-nginx and AWS load balancers). A proxy or a client reusing a
 * connection that went quiet for a few seconds gets its answer on it, rather than a reset
 * from a server that closed it meanwhile.
 */
import { Agent, request } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { KEEP_ALIVE_MS } from '../../src/server/gateway.js';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1, seed: 5 } } });
  h.sim.pauseActivity();
});

afterAll(async () => {
  agent.destroy();
  await h?.close();
});

/** POSTs a query over the agent's one socket: the answer, and whether the socket was reused. */
function post(query: string): Promise<{ status: number; body: string; reused: boolean; keepAlive: string }> {
  const url = new URL(h.url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body,
            reused: req.reusedSocket,
            keepAlive: String(res.headers['keep-alive'] ?? ''),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify({ query }));
  });
}

it('answers on a kept-alive connection that sat idle past Node’s default 5 s, and says how long it keeps one', async () => {
  const first = await post('{ clusters { name } }');
  expect(first.status).toBe(200);
  expect(first.reused).toBe(false);
  // What a client's (and a proxy's) pool reads to decide how long it may reuse the socket.
  expect(first.keepAlive).toBe(`timeout=${KEEP_ALIVE_MS / 1000}`);
  await new Promise((done) => setTimeout(done, 6_000));
  const second = await post('{ clusters { name } }');
  expect(second).toMatchObject({ status: 200, reused: true });
  expect(JSON.parse(second.body)).toEqual({ data: { clusters: [{ name: 'sim' }] } });
}, 20_000);
