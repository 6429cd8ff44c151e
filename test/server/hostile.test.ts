/**
 * A hostile client against one gateway with auth (issue #10), while an honest client keeps
 * asking: every attack class gets its coded rejection, the honest client's requests all
 * succeed, and what the attacks could pin stays within the bounded caches' own byte counts.
 * The finer points of each class have their own files (admission, browsers, cost,
 * metrics-access, subscription-limits, config, frozen-api-server); this one runs them
 * together, as an attacker would.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ANSWER_MEMO_BYTES, answerMemoBytes } from '../../src/loaders/lists.js';
import { PARSE_CACHE_BYTES } from '../../src/server/admission.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const OPS = 'hostile-operator-token-01';
const TEAM = 'hostile-team-token-012345';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 3, pods: 30, jobs: 2, namespaces: 2, seed: 12 } },
    extraSimulators: [{ scenario: { nodes: 1, pods: 3, jobs: 0, namespaces: 1, seed: 13 } }],
    tokens: [
      { name: 'ops', token: OPS, clusters: '*', namespaces: '*' },
      { name: 'team', token: TEAM, clusters: ['sim'], namespaces: ['default'] },
    ],
  });
});
afterAll(() => h?.close());

type Body = { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] };

async function post(
  query: string,
  token?: string,
  variables?: unknown,
  headers: Record<string, string> = {},
) {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: (text ? JSON.parse(text) : {}) as Body };
}

const code = (b: Body) => b.errors?.[0]?.extensions?.code;

/** The honest client: a dashboard's page, asked again and again until stopped. */
function honestClient() {
  let running = true;
  const answers: Body[] = [];
  const query =
    '{ cluster(name: "sim") { pods(namespace: "default", first: 20) { totalCount edges { node { name phase } } } } }';
  const done = (async () => {
    while (running) {
      try {
        answers.push((await post(query, TEAM)).body);
      } catch (err) {
        answers.push({ errors: [{ message: `honest request failed: ${String(err)}` }] });
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return answers;
    },
  };
}

describe('a hostile client beside an honest one', () => {
  it('gets a coded rejection for every class, while every honest request is answered', async () => {
    const honest = honestClient();
    const parseBefore = h.gateway.parseCacheBytes();

    // Metrics: cluster-wide counts are for operators.
    const metrics = h.url.replace(/\/graphql$/, '/metrics');
    expect((await fetch(metrics)).status).toBe(401);
    expect((await fetch(metrics, { headers: { authorization: `Bearer ${TEAM}` } })).status).toBe(403);

    // Unauthenticated memory pinning: distinct large documents, never parsed.
    for (let i = 0; i < 25; i++) {
      const r = await post(`{ clusters { name } } # ${i} ${'y'.repeat(60_000)}`);
      expect([r.status, code(r.body)]).toEqual([401, 'UNAUTHENTICATED']);
    }
    expect(h.gateway.parseCacheBytes()).toBeLessThanOrEqual(parseBefore + 200 * 140); // only honest documents

    // Cost: the page size as a variable, or left out, counts.
    const wide = `query($n: Int) { cluster(name: "sim") { pods(first: $n) { edges { node { name containers { name image } events { edges { node { message } } } } } } } }`;
    expect(code((await post(wide, TEAM, { n: 500 })).body)).toBe('COST_LIMIT');
    expect(code((await post(wide, TEAM, {})).body)).toBe('COST_LIMIT');

    // Depth and aliases, with codes instead of "Syntax Error".
    const deep = `{ cluster(name: "sim") { pods { edges { node { node { pods { edges { node { job { pods { edges { node { node { name } } } } } } } } } } } } } }`;
    expect(code((await post(deep, TEAM)).body)).toBe('DEPTH_LIMIT');
    const aliases = `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: clusters { name }`).join(' ')} }`;
    expect(code((await post(aliases, TEAM)).body)).toBe('ALIAS_LIMIT');

    // Selector-keyed memo pressure, and a 900 KB selector in a variable (under the body limit).
    const store = h.registry.get('sim')!.informers!.Pod!.store;
    for (let i = 0; i < 150; i++) {
      const selector = `app in (${Array.from({ length: 250 }, (_, j) => `h${i}-${j}`).join(',')})`;
      const r = await post(
        `query($s: String) { cluster(name: "sim") { pods(labelSelector: $s) { totalCount } } }`,
        OPS,
        {
          s: selector,
        },
      );
      expect(r.body.errors).toBeUndefined();
    }
    expect(answerMemoBytes(store)).toBeLessThanOrEqual(ANSWER_MEMO_BYTES);
    const huge = await post(
      `query($s: String) { cluster(name: "sim") { pods(labelSelector: $s) { totalCount } } }`,
      TEAM,
      {
        s: `app in (${'v,'.repeat(400_000)}v)`,
      },
    );
    expect(code(huge.body)).toBe('BAD_USER_INPUT');
    expect(huge.text.length).toBeLessThan(2_000);

    // Browsers: a page's forgeable GET carries no credentials here (ambient credentials are
    // what CSRF abuses: test/server/browsers.test.ts shows the open gateway), another origin.
    const get = await fetch(`${h.url}?query=${encodeURIComponent('{ clusters { name } }')}`);
    expect([get.status, code((await get.json()) as Body)]).toEqual([401, 'UNAUTHENTICATED']);
    const foreign = await post('{ clusters { name } }', TEAM, undefined, {
      origin: 'https://attacker.example',
    });
    expect([foreign.status, code(foreign.body)]).toEqual([403, 'ORIGIN_NOT_ALLOWED']);

    // Uniform answers: a hidden cluster is a missing one; bare HTTP errors have bodies.
    expect((await post('{ cluster(name: "sim-1") { name } }', TEAM)).body).toEqual(
      (await post('{ cluster(name: "no-such") { name } }', TEAM)).body,
    );
    const xml = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml', authorization: `Bearer ${TEAM}` },
      body: '<x/>',
    });
    expect([xml.status, code((await xml.json()) as Body)]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    const nowhere = await fetch(h.url.replace(/\/graphql$/, '/nowhere'));
    expect([nowhere.status, code((await nowhere.json()) as Body)]).toEqual([404, 'NOT_FOUND']);

    // Status: what moves with other namespaces' activity is withheld from the scoped caller.
    const status = await post(
      '{ cluster(name: "sim") { status { kinds { kind resourceVersion lastEventAt } } } }',
      TEAM,
    );
    const pod = (
      status.body.data as {
        cluster: { status: { kinds: { kind: string; resourceVersion: string | null }[] } };
      }
    ).cluster.status.kinds.find((k) => k.kind === 'Pod');
    expect(pod?.resourceVersion).toBeNull();

    // WebSocket: an oversized message is cut before it is parsed; a silent socket is closed.
    const ws = h.url.replace(/^http/, 'ws');
    const closeCode = (send?: string) =>
      new Promise<number>((resolve) => {
        const socket = new WebSocket(ws, 'graphql-transport-ws');
        socket.on('open', () => send && socket.send(send));
        socket.on('close', (c) => resolve(c));
      });
    expect(
      await closeCode(JSON.stringify({ type: 'connection_init', payload: { x: 'z'.repeat(1_500_000) } })),
    ).toBe(1009);
    expect(await closeCode()).toBe(4408);

    const answers = await honest.stop();
    expect(answers.length).toBeGreaterThan(5);
    const failed = answers.filter((a) => a.errors !== undefined || a.data === undefined);
    expect(failed).toEqual([]);
  });

  it('serves GraphiQL compressed, and the same page every time', async () => {
    const page = async (encoding: string) => {
      const res = await fetch(h.url, { headers: { accept: 'text/html', 'accept-encoding': encoding } });
      // fetch decodes the body; the header says what came over the wire.
      return {
        encoding: res.headers.get('content-encoding'),
        length: Number(res.headers.get('content-length')),
        text: await res.text(),
      };
    };
    const br = await page('br');
    const gzip = await page('gzip');
    const plain = await page('identity');
    expect([br.encoding, gzip.encoding, plain.encoding]).toEqual(['br', 'gzip', null]);
    expect(br.length).toBeLessThan(plain.length / 3);
    expect(gzip.length).toBeLessThan(plain.length / 3);
    expect(br.text).toBe(plain.text);
    expect(gzip.text).toBe(plain.text);
    expect(plain.text).toContain('<title>');
  });
});

describe('bounds after the attacks', () => {
  it('keeps the parse caches within their byte bound', () => {
    expect(h.gateway.parseCacheBytes()).toBeLessThanOrEqual(PARSE_CACHE_BYTES + PARSE_CACHE_BYTES / 8);
  });
});
