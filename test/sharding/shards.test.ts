/**
 * Two harness gateways, shards 0/2 and 1/2, over one fleet of five simulators: each serves
 * a disjoint part and together all of it, as rendezvous hashing assigns; naming another
 * shard's cluster (a query, a global id, a subscription over SSE and WebSocket) answers
 * WRONG_SHARD naming the shard that serves it; lists of clusters say what they left out.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownerOf } from '../../src/kube/shard.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { subscribe, TRANSPORTS } from '../subscriptions/clients.js';

const NAMES = ['sim', 'sim-1', 'sim-2', 'sim-3', 'sim-4'];
const ADMIN_TOKEN = 'shard-test-admin-token-0123456789';
const LIMITED_TOKEN = 'shard-test-limited-token-0123456789';
const ADMIN = { authorization: `Bearer ${ADMIN_TOKEN}` };
const SMALL = { nodes: 1, pods: 4, jobs: 1, namespaces: 1 };

let sims: Simulator[] = [];
let shards: Harness[] = [];
beforeAll(async () => {
  sims = await Promise.all(
    NAMES.map((_, i) => startSimulator({ churnPerSecond: 0, scenario: { ...SMALL, seed: i + 1 } })),
  );
  // The fleet holds still: a running job's controller creates its next pod every second, and a
  // count taken from the simulator just after one lands can be ahead of the shard's watch by
  // that one pod (CI saw 4 against 5). These tests are about who serves what, not progress.
  for (const sim of sims) sim.pauseActivity();
  shards = await Promise.all(
    [0, 1].map((index) =>
      startHarness({
        existingSimulators: sims,
        shard: { index, count: 2 },
        tokens: [
          { name: 'admin', token: ADMIN_TOKEN, clusters: '*', namespaces: '*' },
          // Lists one cluster of each shard (sim-2 is shard 0's; sim-1 shard 1's).
          { name: 'limited', token: LIMITED_TOKEN, clusters: ['sim-2', 'sim-1'], namespaces: '*' },
        ],
      }),
    ),
  );
}, 60_000);
afterAll(async () => {
  await Promise.all(shards.map((h) => h.close()));
  await Promise.all(sims.map((s) => s.close()));
}, 60_000);

const owned = (index: number) => NAMES.filter((n) => ownerOf(n, 2) === index);

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
  extensions?: Record<string, unknown>;
}

describe('two shards over one fleet', () => {
  it('each shard serves its own clusters, disjoint and together the whole fleet', async () => {
    // The fleet's names are split by the hash, not by configuration order: both shards get some.
    expect(owned(0).length).toBeGreaterThan(0);
    expect(owned(1).length).toBeGreaterThan(0);
    const served: string[][] = [];
    for (const [index, h] of shards.entries()) {
      const r = (await h.query(`{ clusters { name summary { pods } } }`, undefined, ADMIN)) as Answer & {
        data: { clusters: { name: string; summary: { pods: number } }[] };
      };
      expect(r.errors).toBeUndefined();
      served.push(r.data.clusters.map((c) => c.name));
      expect(served[index]).toEqual(owned(index));
      for (const c of r.data.clusters)
        expect(c.summary.pods).toBe(sims[NAMES.indexOf(c.name)].store.count('pods'));
      // The answer says what it left out, and who serves it.
      expect(r.extensions?.shard).toEqual({
        shard: `${index}/2`,
        notOwned: Object.fromEntries(owned(1 - index).map((n) => [n, `${1 - index}/2`])),
      });
    }
    expect([...served[0], ...served[1]].sort()).toEqual([...NAMES].sort());
    // No client, no informer for the others: only its own clusters in the registry.
    for (const [index, h] of shards.entries()) expect(h.registry.names()).toEqual(owned(index));
  });

  it('a cluster another shard serves answers WRONG_SHARD naming that shard', async () => {
    const [h] = shards;
    const other = owned(1)[0];
    const r = (await h.query(
      `query($c: String!) { cluster(name: $c) { name } }`,
      { c: other },
      ADMIN,
    )) as Answer;
    expect(r.data).toEqual({ cluster: null });
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0]).toMatchObject({
      path: ['cluster'],
      message: `cluster "${other}" is served by shard 1/2, not by this replica (shard 0/2): send the request to shard 1/2`,
      extensions: { code: 'WRONG_SHARD', cluster: other, shard: '1/2', servedBy: '0/2' },
    });
    // A name nobody configured is still NOT_FOUND (null), not a shard's.
    const missing = (await h.query(`{ cluster(name: "nowhere") { name } }`, undefined, ADMIN)) as Answer;
    expect(missing).toEqual({ data: { cluster: null } });
  });

  it("a global id of another shard's object answers WRONG_SHARD; the owner resolves it", async () => {
    const [h0, h1] = shards;
    const other = owned(1)[0];
    const page = (await h1.query(
      `query($c: String!) { cluster(name: $c) { pods(first: 1) { edges { node { id name } } } } }`,
      {
        c: other,
      },
      ADMIN,
    )) as { data: { cluster: { pods: { edges: { node: { id: string; name: string } }[] } } } };
    const pod = page.data.cluster.pods.edges[0].node;
    const wrong = (await h0.query(
      `query($id: ID!) { node(id: $id) { id } }`,
      { id: pod.id },
      ADMIN,
    )) as Answer;
    expect(wrong.errors?.[0].extensions).toMatchObject({ code: 'WRONG_SHARD', cluster: other, shard: '1/2' });
    const right = (await h1.query(
      `query($id: ID!) { node(id: $id) { ... on Pod { name } } }`,
      { id: pod.id },
      ADMIN,
    )) as Answer;
    expect(right).toEqual({ data: { node: { name: pod.name } } });
  });

  it("a mutation in another shard's cluster answers WRONG_SHARD before anything is sent", async () => {
    const [h] = shards;
    const other = owned(1)[0];
    const r = (await h.query(
      `mutation($c: String!) { deletePod(cluster: $c, namespace: "default", name: "any", dryRun: true) { dryRun } }`,
      { c: other },
      ADMIN,
    )) as Answer;
    expect(r.errors?.map((e) => e.extensions)).toEqual([
      expect.objectContaining({ code: 'WRONG_SHARD', cluster: other, shard: '1/2' }),
    ]);
  });

  for (const transport of TRANSPORTS) {
    it(`a subscription naming another shard's cluster ends WRONG_SHARD (${transport})`, async () => {
      const [h] = shards;
      const other = owned(1)[0];
      const sub = subscribe(
        transport,
        h.url,
        `subscription($c: String!) { podEvents(cluster: $c, initial: true) { type } }`,
        {
          variables: { c: other },
          token: ADMIN_TOKEN,
        },
      );
      await sub.until('the subscription to end', (s) => s.ended);
      const errors = [...sub.errors, ...(Array.isArray(sub.failure) ? sub.failure : [])];
      expect(errors.map((e) => e.extensions)).toEqual([
        expect.objectContaining({ code: 'WRONG_SHARD', cluster: other, shard: '1/2' }),
      ]);
      sub.dispose();
    });
  }

  it("a static principal not listing a cluster gets NOT_FOUND's answer for it on any shard", async () => {
    const [h] = shards;
    const limited = { authorization: `Bearer ${LIMITED_TOKEN}` };
    expect(ownerOf('sim-1', 2)).toBe(1);
    expect(ownerOf('sim-3', 2)).toBe(1);
    const unlisted = (await h.query(`{ cluster(name: "sim-3") { name } }`, undefined, limited)) as Answer;
    expect(unlisted).toEqual({ data: { cluster: null } });
    const listed = (await h.query(`{ cluster(name: "sim-1") { name } }`, undefined, limited)) as Answer;
    expect(listed.errors?.[0].extensions).toMatchObject({ code: 'WRONG_SHARD', shard: '1/2' });
    // What the list left out is only what the principal may know of.
    const all = (await h.query(`{ clusters { name } }`, undefined, limited)) as Answer;
    expect(all.data).toEqual({ clusters: [{ name: 'sim-2' }] });
    expect(all.extensions?.shard).toEqual({ shard: '0/2', notOwned: { 'sim-1': '1/2' } });
  });

  it("/readyz lists the other shards' clusters as not owned and counts only its own", async () => {
    const [h] = shards;
    const res = await fetch(h.url.replace(/\/graphql$/, '/readyz'));
    expect(res.status).toBe(200);
    const body = await res.text();
    for (const name of owned(0)) expect(body).toContain(`${name}: synced\n`);
    for (const name of owned(1)) expect(body).toContain(`${name}: not owned (shard 1/2)\n`);
    const one = await fetch(h.url.replace(/\/graphql$/, `/readyz?cluster=${owned(1)[0]}`));
    expect(one.status).toBe(404);
    expect(await one.text()).toBe(`${owned(1)[0]}: not owned (shard 1/2)\n`);
  });
});
