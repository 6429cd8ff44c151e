/**
 * Operation limits as a hostile client meets them, over HTTP: a cost that counts the
 * page sizes a request will get (literal, variable, default or none), the size of an
 * answer, the time of an execution, armor's limits, each with its code and limit; a
 * dashboard's own operations well under the ceiling; an honest client served while
 * hostile requests are refused; client input quoted back cut short.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ECHO_CHARS } from '../../src/errors.js';
import { buildSchema } from '../../src/schema/index.js';
import { MAX_PAGE_SIZE } from '../../src/schema/pagination.js';
import { DEFAULT_LIMITS, LIST_FACTOR, operationCost } from '../../src/server/limits.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

type Body = Awaited<ReturnType<Harness['query']>>;

let h: Harness;
let variables: Record<string, unknown>;
const schema = buildSchema();

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 3, pods: 40, jobs: 3, namespaces: 2 } } });
  const pod = [...h.sim.store.scan('pods')][0];
  const node = [...h.sim.store.scan('nodes')][0];
  const job = [...h.sim.store.scan('jobs')][0];
  variables = {
    cluster: 'sim',
    namespace: pod.metadata.namespace,
    name: pod.metadata.name,
    node: node.metadata.name,
    job: job.metadata.name,
    labelSelector: 'app',
    phase: 'RUNNING',
    id: 'x',
  };
});

afterAll(async () => {
  await h?.close();
});

/** The code of the only error, and that there is nothing else. */
function rejection(body: Body) {
  expect(body.errors, JSON.stringify(body).slice(0, 500)).toHaveLength(1);
  return body.errors![0] as { message: string; extensions: Record<string, unknown> };
}

/** A pod's whole page: many fields, its containers, and its events (a page of 20). */
const POD_FIELDS = `name namespace uid phase ready restarts reason message qosClass nodeName podIP hostIP createdAt startedAt
  labels { key value } annotations { key value } conditions { type status reason lastTransitionTime }
  containers { name image ready started restartCount state { state reason exitCode startedAt finishedAt }
    lastState { state reason exitCode } requests { cpuMillis memoryBytes } limits { cpuMillis memoryBytes } }
  events(first: 20) { totalCount edges { node { reason message type count lastSeen } } }`;

const HOSTILE_LITERAL = `{ clusters { pods(first: 500) { edges { node { ${POD_FIELDS} } } } } }`;
const HOSTILE_VARIABLE = `query($n: Int) { clusters { pods(first: $n) { edges { node { ${POD_FIELDS} } } } } }`;
const HOSTILE_DEFAULT = `query($n: Int = 500) { clusters { pods(first: $n) { edges { node { ${POD_FIELDS} } } } } }`;
const HOSTILE_NO_FIRST = `{ clusters { pods { edges { node { ${POD_FIELDS} } } } } }`;

describe('cost counts the page sizes a request will get', () => {
  it('refuses the same page of 500 pods whether 500 is a literal, a variable, a default or left out', async () => {
    const asked: [string, string, Record<string, unknown>?][] = [
      ['literal', HOSTILE_LITERAL],
      ['variable', HOSTILE_VARIABLE, { n: 500 }],
      ['variable default', HOSTILE_DEFAULT],
      ['no first (counted at the largest page)', HOSTILE_NO_FIRST],
    ];
    const costs = new Set<unknown>();
    for (const [how, query, vars] of asked) {
      const body = await h.query(query, vars);
      expect(body.data, how).toBeUndefined();
      const error = rejection(body);
      expect(error.extensions.code, how).toBe('COST_LIMIT');
      expect(error.extensions.limit, how).toBe(DEFAULT_LIMITS.maxCost);
      expect(error.extensions.cost as number, how).toBeGreaterThan(DEFAULT_LIMITS.maxCost);
      expect(error.message, how).toContain(`costs ${error.extensions.cost}`);
      expect(error.message, how).toContain(`at most ${DEFAULT_LIMITS.maxCost}`);
      expect(error.message, how).toMatch(/smaller pages/);
      costs.add(error.extensions.cost);
    }
    // One estimate for the same answer, however the page size was given.
    expect(costs.size).toBe(1);
  });

  it('serves the same selection with a small page, however that page size is given', async () => {
    for (const [query, vars] of [
      [HOSTILE_VARIABLE, { n: 5 }],
      [HOSTILE_DEFAULT, { n: 5 }],
      [HOSTILE_LITERAL.replace('first: 500', 'first: 5'), undefined],
    ] as const) {
      const body = await h.query<{ clusters: { pods: { edges: unknown[] } }[] }>(query, vars);
      expect(body.errors).toBeUndefined();
      expect(body.data?.clusters[0].pods.edges).toHaveLength(5);
    }
  });

  it('costs the same document anew for each set of variables (the cost is cached per document and variables)', async () => {
    // Served, refused, served again, refused again: a cost remembered for one set of
    // variables must never answer for another.
    for (const n of [5, 500, 5, 500, 6]) {
      const body = await h.query<{ clusters: { pods: { edges: unknown[] } }[] }>(HOSTILE_VARIABLE, { n });
      if (n === 500) expect(rejection(body).extensions.code).toBe('COST_LIMIT');
      else {
        expect(body.errors).toBeUndefined();
        expect(body.data?.clusters[0].pods.edges).toHaveLength(n);
      }
    }
  });

  it('counts a connection without first at the largest page, not the default one', () => {
    const cost = (q: string) => operationCost({ schema, document: parse(q) })!;
    const one = cost('{ clusters { pods(first: 1) { edges { node { name } } } } }');
    const none = cost('{ clusters { pods { edges { node { name } } } } }');
    const largest = cost(`{ clusters { pods(first: ${MAX_PAGE_SIZE}) { edges { node { name } } } } }`);
    expect(none).toBe(largest);
    // Per edge: the edge, its node and the name; the clusters list at LIST_FACTOR without a gateway.
    expect(largest - one).toBe(LIST_FACTOR * (MAX_PAGE_SIZE - 1) * 3);
  });

  it('counts skipped selections out and fragments once per use', () => {
    const cost = (q: string, v?: Record<string, unknown>) =>
      operationCost({ schema, document: parse(q), variableValues: v })!;
    const query = `query($x: Boolean!) { cluster(name: "a") { name pods(first: 100) @include(if: $x) { edges { node { name } } } } }`;
    const base = cost(`{ cluster(name: "a") { name } }`);
    const included = cost(query, { x: true });
    const skipped = cost(query, { x: false });
    expect(skipped).toBe(base);
    expect(included).toBe(base + 1 + 100 * 3);
    // A chain of fragments each spread twice doubles at every link, and the estimate with it.
    const chain = Array.from(
      { length: 30 },
      (_, i) => `fragment F${i} on Pod { ...F${i + 1} ...F${i + 1} }`,
    ).join('\n');
    const doubled = cost(
      `{ cluster(name: "a") { pod(namespace: "n", name: "p") { ...F0 } } }\n${chain}\nfragment F30 on Pod { name }`,
    );
    expect(doubled).toBe(1 + 1 + 2 ** 30);
  });

  it('keeps every operation of examples/ and bench/operations/ at a quarter of the ceiling or less', async () => {
    const documents = ['examples', 'bench/operations'].flatMap((dir) =>
      readdirSync(dir)
        .filter((f) => f.endsWith('.graphql'))
        .map((f) => [join(dir, f), readFileSync(join(dir, f), 'utf8')] as const),
    );
    expect(documents.length).toBeGreaterThanOrEqual(10);
    const measured: Record<string, number> = {};
    for (const [file, text] of documents) {
      const document = parse(text);
      for (const op of document.definitions) {
        if (op.kind !== 'OperationDefinition') continue;
        // Variables at their defaults, with both of Q2's pages.
        const cost = operationCost({
          schema,
          document,
          operationName: op.name?.value,
          variableValues: { ...variables, twoPages: true },
        });
        expect(cost, `${file} ${op.name?.value}`).toBeDefined();
        measured[`${file} ${op.name?.value}`] = cost!;
        expect(cost!, `${file} ${op.name?.value}`).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost / 4);
        // And through the gateway, no limit stands in their way.
        const body = await h.query(text, variables);
        for (const e of body.errors ?? []) expect(String(e.extensions?.code), file).not.toMatch(/_LIMIT$/);
      }
    }
    // The heaviest is Q2 with both pages of 500 nodes: the ceiling is not so low it stops it.
    expect(Math.max(...Object.values(measured))).toBeGreaterThan(10_000);
    // A page of the largest size of the pods, nodes or jobs page is still served.
    for (const file of [
      'examples/pods-page.graphql',
      'examples/nodes-page.graphql',
      'examples/jobs-page.graphql',
    ]) {
      const cost = operationCost({
        schema,
        document: parse(readFileSync(file, 'utf8')),
        variableValues: { ...variables, first: MAX_PAGE_SIZE },
      });
      expect(cost!, file).toBeLessThanOrEqual(DEFAULT_LIMITS.maxCost);
    }
  });

  it('serves an honest client in full while hostile requests at the same time are refused', async () => {
    const honest = [
      'examples/pods-page.graphql',
      'examples/nodes-page.graphql',
      'examples/jobs-page.graphql',
    ].map((f) => readFileSync(f, 'utf8'));
    const hostile = [
      () => h.query(HOSTILE_VARIABLE, { n: 500 }),
      () => h.query(HOSTILE_NO_FIRST),
      () => h.query(HOSTILE_DEFAULT),
    ];
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        hostile[i % hostile.length]().then((b) => ['hostile', b] as const),
      ),
      ...Array.from({ length: 12 }, (_, i) =>
        h.query(honest[i % honest.length], variables).then((b) => ['honest', b] as const),
      ),
    ]);
    for (const [who, body] of results) {
      if (who === 'honest') {
        expect(body.errors).toBeUndefined();
        expect(body.data).toMatchObject({ cluster: { name: 'sim' } });
      } else {
        expect(rejection(body).extensions.code).toBe('COST_LIMIT');
      }
    }
  });
});

describe('subscriptions', () => {
  it('refuses a subscription whose every event would cost over the limit, before it starts', async () => {
    const node = variables.node as string;
    const res = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({
        query: `subscription { nodeSummary(cluster: "sim", name: "${node}") { name pods { edges { node { name events { edges { node { name message } } } } } } } }`,
      }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const next = /event: next\ndata: (.*)\n/.exec(text);
    expect(next, text.slice(0, 300)).not.toBeNull();
    const error = rejection(JSON.parse(next![1]) as Body);
    expect(error.extensions).toMatchObject({ code: 'COST_LIMIT', limit: DEFAULT_LIMITS.maxCost });
    expect(text).toContain('event: complete');
  });
});

describe("armor's limits", () => {
  it('refuses depth with DEPTH_LIMIT and the limit', async () => {
    const deep = `{ clusters { nodes { edges { node { pods { edges { node { node { pods { edges { node { job { pods { edges { node { name } } } } } } } } } } } } } } } }`;
    const error = rejection(await h.query(deep));
    expect(error.extensions).toMatchObject({
      code: 'DEPTH_LIMIT',
      limit: DEFAULT_LIMITS.maxDepth,
      depth: 16,
    });
    expect(error.message).not.toMatch(/Syntax Error/);
    expect(error.message).toContain(`at most ${DEFAULT_LIMITS.maxDepth} levels`);
  });

  it('refuses aliases with ALIAS_LIMIT and the limit', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: clusters { name }`).join(' ');
    const error = rejection(await h.query(`{ ${aliases} }`));
    expect(error.extensions).toMatchObject({
      code: 'ALIAS_LIMIT',
      limit: DEFAULT_LIMITS.maxAliases,
      aliases: 40,
    });
  });

  it('refuses tokens with TOKEN_LIMIT and the limit', async () => {
    const fields = Array.from({ length: DEFAULT_LIMITS.maxTokens }, () => 'name').join(' ');
    const error = rejection(await h.query(`{ clusters { ${fields} } }`));
    expect(error.extensions).toMatchObject({ code: 'TOKEN_LIMIT', limit: DEFAULT_LIMITS.maxTokens });
    expect(error.message).not.toMatch(/Syntax Error/);
  });

  it('refuses directives with DIRECTIVE_LIMIT and the limit', async () => {
    const fragments = Array.from({ length: 60 }, () => '... @include(if: true) { name }').join(' ');
    const error = rejection(await h.query(`{ clusters { ${fragments} } }`));
    expect(error.extensions).toMatchObject({
      code: 'DIRECTIVE_LIMIT',
      limit: DEFAULT_LIMITS.maxDirectives,
      directives: 60,
    });
  });
});

describe('answer size and execution time', () => {
  it('replaces an answer over the byte limit with RESPONSE_TOO_LARGE, the limit and its size', async () => {
    const small = await startHarness({ existingSimulator: h.sim, limits: { maxResponseBytes: 2_000 } });
    try {
      const query = `{ cluster(name: "sim") { pods(first: 40) { edges { node { name namespace uid nodeName } } } } }`;
      const res = await fetch(small.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query }),
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as Body;
      expect(body.data).toBeNull();
      const error = rejection(body);
      expect(error.extensions.code).toBe('RESPONSE_TOO_LARGE');
      expect(error.extensions.limit).toBe(2_000);
      // What the full answer weighs, as the default gateway sends it.
      const full = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query }),
      });
      const fullBytes = Buffer.byteLength(await full.text());
      expect(error.extensions.bytes).toBe(fullBytes);
      expect(error.message).toContain(`at most 2000 bytes, this one has ${fullBytes}`);
      // An answer under the limit is sent as it is.
      expect(await small.query('{ clusters { name } }')).toEqual({ data: { clusters: [{ name: 'sim' }] } });
    } finally {
      await small.close();
    }
  });

  it('answers an execution that outlasts the time limit with TIMEOUT and the limit', async () => {
    const clock = new FakeClock(1_000_000);
    const slow = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 5, jobs: 1, namespaces: 1 } },
      cache: false,
      clock,
      limits: { timeoutMs: 5_000 },
    });
    try {
      const query = `{ cluster(name: "sim") { pods(first: 5) { edges { node { name } } } } }`;
      // Without the limit's time passing, the same execution completes.
      const fast = await slow.query<{ cluster: { pods: { edges: unknown[] } } }>(query);
      expect(fast.errors).toBeUndefined();
      expect(fast.data?.cluster.pods.edges).toHaveLength(5);

      slow.sim.injectFaults({ latencyMs: 2_000, verbs: ['LIST'], resources: ['pods'] });
      const answer = slow.query(query);
      // The execution's timer is set: the limit passes on the gateway's clock.
      await waitFor(() => clock.nextDueIn === 5_000, 'the execution timer of 5000 ms');
      clock.advance(5_000);
      const body = await answer;
      expect(body.data).toBeNull();
      const error = rejection(body);
      expect(error.extensions).toMatchObject({ code: 'TIMEOUT', limit: 5_000 });
      expect(error.message).toContain('within 5000 ms');
      slow.sim.injectFaults({ reset: true });
    } finally {
      await slow.close();
    }
  });
});

describe('echoed input', () => {
  const longest = MAX_ECHO_CHARS + 100;

  it('quotes at most 100 characters of a rejected argument', async () => {
    const huge = 'x'.repeat(200_000);
    for (const [what, query, vars] of [
      [
        'name',
        'query($n: String!) { cluster(name: "sim") { pod(namespace: "a", name: $n) { name } } }',
        { n: huge },
      ],
      [
        'namespace',
        'query($n: String) { cluster(name: "sim") { pods(namespace: $n) { totalCount } } }',
        { n: huge },
      ],
      [
        'label selector',
        'query($s: String) { cluster(name: "sim") { pods(labelSelector: $s) { totalCount } } }',
        { s: `a in (${huge}` },
      ],
      [
        'cursor',
        'query($c: String) { cluster(name: "sim") { pods(after: $c) { totalCount } } }',
        { c: huge },
      ],
      ['global id', 'query($id: ID!) { node(id: $id) { id } }', { id: huge }],
    ] as const) {
      const body = await h.query(query, vars);
      const error = rejection(body);
      expect(error.extensions.code, what).toBe('BAD_USER_INPUT');
      expect(error.message, what).toContain('x'.repeat(40));
      expect(error.message.length, `${what}: ${error.message.slice(0, 300)}`).toBeLessThan(longest + 400);
    }
  });

  it("cuts the document's names in graphql-js's own parse and validation errors", async () => {
    const field = `f${'y'.repeat(3_000)}`;
    for (const query of [`{ clusters { ${field} } }`, `{ clusters { name ${'"'}${'z'.repeat(3_000)}" } }`]) {
      const body = await h.query(query);
      expect(body.errors?.length).toBeGreaterThan(0);
      for (const e of body.errors ?? [])
        expect(e.message.length, e.message.slice(0, 200)).toBeLessThan(longest + 200);
    }
  });
});
