/**
 * Open mode is not open to every web page (issue #10, "Browsers"). Against a gateway
 * without auth, as `npm start` runs it: a request a page could forge is refused before
 * anything runs (CSRF), a foreign Host is refused (DNS rebinding), CORS is off unless
 * origins are listed (never `*`), and a WebSocket from another origin is refused. Then the
 * same from a real page of another origin in Chromium: it reads nothing over fetch, form
 * POST, EventSource or WebSocket, and the gateway executed none of it.
 */

import { existsSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { buildSchema } from '../../src/schema/index.js';
import { createAuthenticator } from '../../src/server/auth.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { createMetrics } from '../../src/server/metrics.js';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { gatewayLog } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LISTED = 'http://dashboard.127.0.0.1.nip.invalid:8080';
const QUERY = '{ clusters { name } }';

let h: Harness;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 2 } } });
  // As `npm start` serves it: no auth; one origin listed to show what listing does.
  gateway = createGateway({
    schema: buildSchema(),
    directory: h.registry,
    auth: createAuthenticator([]),
    metrics: createMetrics(h.registry),
    browsers: { origins: [LISTED] },
    connectionInitTimeoutMs: 300,
    logError: gatewayLog().logError,
  });
  url = await gateway.listen(0, '127.0.0.1');
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await h?.close();
});

/** GraphQL operations the gateway executed so far (its own counter). */
async function executed(): Promise<number> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  let n = 0;
  for (const [key, value] of parsePrometheusText(text))
    if (key.startsWith('graphql_envelop_request{')) n += value;
  return n;
}

/** A raw HTTP request, so that Host and Origin can be anything. */
function raw(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        text += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const codeOf = (body: string) =>
  (JSON.parse(body) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code;

describe('requests a page could forge', () => {
  it.each([
    ['a GET query', 'GET', `/graphql?query=${encodeURIComponent(QUERY)}`, {}, undefined],
    [
      'a form POST',
      'POST',
      '/graphql',
      { 'content-type': 'application/x-www-form-urlencoded' },
      `query=${encodeURIComponent(QUERY)}`,
    ],
    [
      'a text/plain POST',
      'POST',
      '/graphql',
      { 'content-type': 'text/plain' },
      JSON.stringify({ query: QUERY }),
    ],
  ])(
    'refuses %s with CSRF_HEADER_REQUIRED, before executing it',
    async (_what, method, path, headers, body) => {
      const before = await executed();
      const res = await raw(
        method,
        path,
        { host: new URL(url).host, accept: 'application/json', ...headers },
        body,
      );
      expect(res.status).toBe(403);
      expect(codeOf(res.body)).toBe('CSRF_HEADER_REQUIRED');
      expect(res.body).toMatch(
        /expected a request a web page cannot forge: a Content-Type of application\/json/,
      );
      expect(await executed()).toBe(before);
    },
  );

  it('answers the same GET with the preflight header, and a JSON POST', async () => {
    const host = new URL(url).host;
    const get = await raw('GET', `/graphql?query=${encodeURIComponent(QUERY)}`, {
      host,
      accept: 'application/json',
      'x-graphql-yoga-csrf': '1',
    });
    expect(get.status).toBe(200);
    const post = await raw(
      'POST',
      '/graphql',
      { host, 'content-type': 'application/json' },
      JSON.stringify({ query: QUERY }),
    );
    expect(JSON.parse(post.body)).toEqual({ data: { clusters: [{ name: 'sim' }] } });
  });
});

describe('Host and Origin', () => {
  it('refuses a foreign Host on an open gateway (DNS rebinding), and takes loopback names', async () => {
    const body = JSON.stringify({ query: QUERY });
    const json = { 'content-type': 'application/json' };
    const evil = await raw('POST', '/graphql', { ...json, host: 'attacker.example:4000' }, body);
    expect(evil.status).toBe(421);
    expect(codeOf(evil.body)).toBe('HOST_NOT_ALLOWED');
    expect(evil.body).toMatch(/expected the Host header to be a loopback name/);
    for (const host of ['localhost:4000', '127.0.0.1', '[::1]:4000']) {
      expect((await raw('POST', '/graphql', { ...json, host }, body)).status).toBe(200);
    }
    // The GraphiQL page too, not only the API.
    expect((await raw('GET', '/graphql', { host: 'attacker.example', accept: 'text/html' })).status).toBe(
      421,
    );
  });

  it('refuses a page of another origin, lets a listed one read, and never answers *', async () => {
    const host = new URL(url).host;
    const body = JSON.stringify({ query: QUERY });
    const json = { 'content-type': 'application/json', host };
    const foreign = await raw('POST', '/graphql', { ...json, origin: 'https://attacker.example' }, body);
    expect(foreign.status).toBe(403);
    expect(codeOf(foreign.body)).toBe('ORIGIN_NOT_ALLOWED');
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    const same = await raw('POST', '/graphql', { ...json, origin: `http://${host}` }, body);
    expect(same.status).toBe(200);
    const listed = await raw('POST', '/graphql', { ...json, origin: LISTED }, body);
    expect(listed.status).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(LISTED);
    const preflight = await raw('OPTIONS', '/graphql', {
      host,
      origin: LISTED,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    });
    expect(preflight.headers['access-control-allow-origin']).toBe(LISTED);
  });

  it('refuses a WebSocket from another origin or to a foreign Host, and takes one without Origin', async () => {
    const ws = url.replace(/^http/, 'ws');
    const outcome = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(ws, 'graphql-transport-ws', { headers });
        socket.on('open', () => {
          socket.close();
          resolve('open');
        });
        socket.on('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        socket.on('error', () => resolve('error'));
      });
    expect(await outcome({ origin: 'https://attacker.example' })).toBe('refused 403');
    expect(await outcome({ host: 'attacker.example' })).toBe('refused 421');
    expect(await outcome({ origin: LISTED })).toBe('open');
    expect(await outcome({})).toBe('open');
  });

  it('closes a WebSocket that sends a message over the body limit, or no connection_init in time', async () => {
    const ws = url.replace(/^http/, 'ws');
    const closeCode = (send?: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(ws, 'graphql-transport-ws');
        socket.on('open', () => {
          if (send) socket.send(send);
        });
        socket.on('close', (code) => resolve(code));
      });
    const huge = JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(2_000_000) } });
    expect(await closeCode(huge)).toBe(1009); // message too big: ws closes before parsing it
    expect(await closeCode()).toBe(4408); // graphql-ws: connection initialisation timeout
  });

  it('takes a connection_init that came in time but was read late, the gateway busy past its init timeout', async () => {
    // A connect storm or a large fan-out can hold the event loop longer than the timeout;
    // timers run before the loop reads its sockets, and graphql-ws's own timer then closed
    // (4408) clients whose connection_init was waiting to be read.
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    const types: string[] = [];
    socket.on('message', (data) => types.push(JSON.parse(String(data)).type));
    let closedWith: number | undefined;
    socket.on('close', (code) => {
      closedWith = code;
    });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    // The gateway runs in this process: hold its loop for twice its 300 ms init timeout.
    const until = Date.now() + 600;
    while (Date.now() < until);
    await waitFor(() => types.includes('connection_ack') || closedWith !== undefined, 'an ack or a close');
    expect(closedWith).toBeUndefined();
    expect(types).toEqual(['connection_ack']);
    // Still open well past the timeout.
    await new Promise((r) => setTimeout(r, 400));
    expect(closedWith).toBeUndefined();
    socket.close(1000);
  });
});

describe('a page of another origin, in Chromium', () => {
  let browser: Browser | undefined;
  let attacker: Server;
  let attackerOrigin: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`,
      );
    }
    attacker = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>attacker</title><body></body>');
    });
    await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
    attackerOrigin = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        // The rebinding attacker's name points at the gateway's address.
        '--host-resolver-rules=MAP rebind.attacker.test 127.0.0.1',
      ],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
  });

  it('reads nothing over fetch, form POST, EventSource or WebSocket, and nothing is executed', async () => {
    const page = await browser!.newPage();
    await page.goto(attackerOrigin);
    const before = await executed();
    const target = url;
    const results = await page.evaluate(async (gql) => {
      const query = '{ clusters { name } }';
      const out: Record<string, string> = {};
      try {
        const r = await fetch(gql, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query }),
        });
        out.fetch = `read ${await r.text()}`;
      } catch (e) {
        out.fetch = `blocked ${(e as Error).name}`;
      }
      try {
        const r = await fetch(`${gql}?query=${encodeURIComponent(query)}`, { mode: 'no-cors' });
        out.noCors = `${r.type} ${r.status} ${(await r.text()).length}`;
      } catch (e) {
        out.noCors = `blocked ${(e as Error).name}`;
      }
      out.form = await new Promise<string>((resolve) => {
        const frame = document.createElement('iframe');
        frame.name = 'sink';
        document.body.append(frame);
        const form = document.createElement('form');
        form.method = 'POST';
        form.action = gql;
        form.target = 'sink';
        form.enctype = 'application/x-www-form-urlencoded';
        const input = document.createElement('input');
        input.name = 'query';
        input.value = query;
        form.append(input);
        document.body.append(form);
        frame.onload = () => {
          try {
            // The frame's own first load (about:blank) is readable; the form's answer must not be.
            if (frame.contentWindow?.location.href === 'about:blank') return;
            resolve(`read ${frame.contentDocument?.body?.textContent ?? ''}`);
          } catch {
            resolve('blocked cross-origin frame');
          }
        };
        form.submit();
      });
      out.eventSource = await new Promise<string>((resolve) => {
        const es = new EventSource(
          `${gql}?query=${encodeURIComponent('subscription { clusterStatus { cluster } }')}`,
        );
        es.onmessage = (m) => {
          es.close();
          resolve(`read ${m.data}`);
        };
        es.onerror = () => {
          es.close();
          resolve('blocked');
        };
      });
      out.webSocket = await new Promise<string>((resolve) => {
        // The page's own WebSocket (the bare name is this module's import from 'ws').
        const ws = new window.WebSocket(gql.replace(/^http/, 'ws'), 'graphql-transport-ws');
        ws.onopen = () => {
          ws.close();
          resolve('open');
        };
        ws.onerror = () => resolve('blocked');
      });
      return out;
    }, target);
    expect(results.fetch).toMatch(/^blocked/);
    expect(results.noCors).toBe('opaque 0 0');
    expect(results.form).toBe('blocked cross-origin frame');
    expect(results.eventSource).toBe('blocked');
    expect(results.webSocket).toBe('blocked');
    expect(await executed()).toBe(before);
  });

  it('a rebinding page (an attacker name resolving to the gateway) is refused', async () => {
    const page = await browser!.newPage();
    const port = new URL(url).port;
    const response = await page.goto(`http://rebind.attacker.test:${port}/graphql`);
    expect(response?.status()).toBe(421);
    expect(await page.textContent('body')).toContain('HOST_NOT_ALLOWED');
  });
});
