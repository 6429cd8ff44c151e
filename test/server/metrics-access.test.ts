/**
 * /metrics leaks nothing and cannot grow (issue #10): no label carries a URL, a query, its
 * variables or object names; operation names are bounded; on the GraphQL listener of a
 * gateway with auth only an operator's token reads it; or it has a listener of its own.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_OPERATION_NAMES } from '../../src/server/metrics.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { subscribe } from '../subscriptions/clients.js';

const OPERATOR = 'operator-token-0123456789';
const TEAM = 'team-token-0123456789abc';
const SECRET_NS = 'kubegate-secret-namespace';

describe('on the GraphQL listener, with auth', () => {
  let h: Harness;
  let metricsUrl: string;
  beforeAll(async () => {
    h = await startHarness({
      simulator: { scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 1, seed: 8 } },
      tokens: [
        { name: 'operator', token: OPERATOR, clusters: '*', namespaces: '*' },
        { name: 'team', token: TEAM, clusters: ['sim'], namespaces: ['default'] },
      ],
    });
    metricsUrl = h.url.replace(/\/graphql$/, '/metrics');
  });
  afterAll(() => h?.close());

  const scrape = (token?: string) =>
    fetch(metricsUrl, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers 401 without a token and 403 to a scoped one, with a coded body', async () => {
    const anonymous = await scrape();
    expect(anonymous.status).toBe(401);
    expect(
      ((await anonymous.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code,
    ).toBe('UNAUTHENTICATED');
    const scoped = await scrape(TEAM);
    expect(scoped.status).toBe(403);
    const body = (await scoped.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors[0].message).toMatch(/needs every cluster and namespace/);
    const operator = await scrape(OPERATOR);
    expect(operator.status).toBe(200);
    expect(await operator.text()).toMatch(/kubegate_cache_objects\{cluster="sim",kind="Pod"\}/);
  });

  it('carries no URL, query, variable or object name, and bounds operation names', async () => {
    const auth = { authorization: `Bearer ${OPERATOR}` };
    const query = `query LeakProbe($ns: String) { cluster(name: "sim") { pods(namespace: $ns) { totalCount } } }`;
    // A GET query (the whole operation in the URL), as browsers and CDNs send them.
    const get = await fetch(
      `${h.url}?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ ns: SECRET_NS }))}`,
      { headers: { ...auth, accept: 'application/graphql-response+json' } },
    );
    expect(get.status).toBe(200);
    // Far more distinct operation names than are kept, some of them not even GraphQL names.
    for (let i = 0; i < MAX_OPERATION_NAMES + 30; i++) {
      await h.query(`query Op${i} { clusters { name } }`, undefined, auth);
    }
    await fetch(h.url, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ clusters { name } }', operationName: `${SECRET_NS}-not-a-name` }),
    });
    const text = await (await scrape(OPERATOR)).text();
    expect(text).not.toContain(SECRET_NS);
    expect(text).not.toContain('LeakProbe('); // no query text
    expect(text).not.toMatch(/url="/);
    expect(text).not.toMatch(/path="/);
    const names = new Set([...text.matchAll(/operationName="([^"]*)"/g)].map((m) => m[1]));
    expect(names.has('other')).toBe(true);
    expect(names.size).toBeLessThanOrEqual(MAX_OPERATION_NAMES + 2); // + Anonymous, other
  });

  it("names no namespace, object or query text after a dashboard's traffic, GETs and subscriptions included", async () => {
    const auth = { authorization: `Bearer ${OPERATOR}` };
    const root = join(import.meta.dirname, '..', '..');
    const documents = ['examples', 'bench/operations'].flatMap((dir) =>
      readdirSync(join(root, dir))
        .filter((f) => f.endsWith('.graphql'))
        .map((f) => readFileSync(join(root, dir, f), 'utf8')),
    );
    const pods = [...h.sim.store.scan('pods')];
    const nodes = [...h.sim.store.scan('nodes')];
    const namespaces = [...h.sim.store.scan('namespaces')];
    const jobs = [...h.sim.store.scan('jobs')];
    for (const doc of documents) {
      for (const [, name] of doc.matchAll(/\b(?:query|subscription)\s+(\w+)/g)) {
        for (const pod of pods.slice(0, 3)) {
          const variables = {
            cluster: 'sim',
            namespace: pod.metadata.namespace,
            name: pod.metadata.name,
            id: 'x',
            labelSelector: `app=${pod.metadata.name}`,
          };
          await h.query(doc, variables, auth).catch(() => undefined);
          // The same as a GET (the operation and its variables in the URL).
          const params = new URLSearchParams({
            query: doc,
            operationName: name,
            variables: JSON.stringify(variables),
          });
          await fetch(`${h.url}?${params}`, { headers: { ...auth, 'x-graphql-yoga-csrf': '1' } });
        }
      }
    }
    // Errors carrying names, and subscriptions filtered by them over both transports.
    for (const pod of pods.slice(0, 5)) {
      await h.query(
        `{ cluster(name: "sim") { pods(namespace: "${pod.metadata.namespace}", labelSelector: "${pod.metadata.name} in (") { totalCount } } }`,
        undefined,
        auth,
      );
    }
    const subs = ['ws', 'sse'].map((t) =>
      subscribe(
        t as 'ws' | 'sse',
        h.url,
        `subscription Live { podEvents(namespace: "${pods[0].metadata.namespace}", initial: true) { object { name } } }`,
        { token: OPERATOR },
      ),
    );
    try {
      for (const sub of subs) await sub.count(1);
    } finally {
      for (const sub of subs) sub.dispose();
    }
    const text = await (await scrape(OPERATOR)).text();
    const names = [...pods, ...nodes, ...namespaces, ...jobs].map((o) => o.metadata.name as string);
    const leaked = names.filter((n) => n.length >= 5 && text.includes(n));
    expect(leaked).toEqual([]);
    const quoted = text.match(/.*(cluster\(name|podEvents\(|labelSelector:|query \w+\().*/)?.[0];
    expect(quoted).toBeUndefined();
    // Bounded by the kept operation names (this file's earlier test fills all 100), ~5 KB of
    // histogram series each, whatever the traffic: the unbounded version reached 62 MB.
    expect(text.length).toBeLessThan(MAX_OPERATION_NAMES * 8_000);
  });

  it('does not grow with distinct URLs', async () => {
    const auth = { authorization: `Bearer ${OPERATOR}` };
    // The series (name and labels, without the value) the listener exposes now.
    const series = async () =>
      new Set(
        (await (await scrape(OPERATOR)).text())
          .split('\n')
          .filter((line) => line !== '' && !line.startsWith('#'))
          .map((line) => line.slice(0, line.lastIndexOf(' '))),
      );
    const warm = async (n: number, from: number) => {
      for (let i = from; i < from + n; i++) {
        await fetch(`${h.url}?query=${encodeURIComponent('{ clusters { name } }')}&x=${i}`, {
          headers: { ...auth, accept: 'application/graphql-response+json' },
        });
      }
    };
    await warm(20, 0);
    const before = await series();
    await warm(300, 20);
    const after = await series();
    // Series may appear for reasons of their own while the requests run (e.g. prom-client's
    // nodejs_gc_duration_seconds{kind} at the first GC of a kind, ~0.5 KB a kind: a bound on
    // the exposition's length, 200 B, failed once on a loaded CI machine with 1,141 B more),
    // but none per URL: 300 distinct URLs would add at least 300, each naming its `x`.
    const added = [...after].filter((s) => !before.has(s));
    expect(added.filter((s) => /x=\d|%7B|\{ ?clusters/.test(s))).toEqual([]);
    expect(added.length).toBeLessThan(50);
  });
});

describe('on a listener of its own', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      simulator: { scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 1, seed: 8 } },
      tokens: [{ name: 'team', token: TEAM, clusters: ['sim'], namespaces: ['default'] }],
      metricsListener: { host: '127.0.0.1', port: 0 },
    });
  });
  afterAll(() => h?.close());

  it('serves /metrics there, without a token, and not on the GraphQL listener', async () => {
    const own = h.gateway.metricsUrl();
    expect(own).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const res = await fetch(own!);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/kubegate_cache_synced\{cluster="sim",kind="Node"\} 1/);
    const main = await fetch(h.url.replace(/\/graphql$/, '/metrics'), {
      headers: { authorization: `Bearer ${TEAM}` },
    });
    expect(main.status).toBe(404);
  });
});
