/**
 * Who may write at all: the gateway never writes with its own rights for someone who has
 * none. A token with lists and no `writeAs` is refused before anything is sent (the
 * simulator's request counts prove it); a token with `writeAs` writes as that identity,
 * whose RBAC decides, and only inside the namespaces its lists name; the open gateway
 * writes only when `openWriteAs` names who it writes as.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness } from '../helpers/harness.js';
import { RbacKit } from '../simulator/rbac-kit.js';
import { LISTS, OPS, startWriteKit, type WriteKit } from './kit.js';

const WRITER = 'writes-writer-token-0123456789';
const NARROW = 'writes-narrow-token-0123456789';
const NS = 'writes-principals';
const OTHER = 'writes-principals-other';

let k: WriteKit;

beforeAll(async () => {
  k = await startWriteKit({
    tokens: [
      // Reads everything by its lists; writes as dash-writer, whom RBAC lets edit NS only.
      {
        name: 'dashboard',
        token: WRITER,
        clusters: '*',
        namespaces: '*',
        writeAs: { user: 'dash-writer', groups: ['dash'] },
      },
      // Writes as someone who may do anything, but its lists name NS only.
      {
        name: 'narrow',
        token: NARROW,
        clusters: '*',
        namespaces: [NS],
        writeAs: { user: 'ops', groups: ['ops'] },
      },
    ],
  });
  await k.namespace(NS);
  await k.namespace(OTHER);
  await k.rbac.roleBinding(NS, 'dash-edit', 'edit', [{ group: 'dash' }]);
  for (const ns of [NS, OTHER]) for (const name of ['a', 'b', 'c']) await k.pod(ns, name);
}, 60_000);

afterAll(() => k?.close(), 30_000);

const deletePod = (ns: string, name: string) =>
  `mutation { deletePod(cluster: "sim", namespace: "${ns}", name: "${name}") { pod { name } visible } }`;

describe('viewer.writesAs', () => {
  it('says whom each caller writes as, or that it may not', async () => {
    const whom = async (token: string) =>
      (await k.gql('{ viewer { name writesAs } }', {}, token)).data.viewer;
    expect(await whom(LISTS)).toEqual({ name: 'lists', writesAs: null });
    expect(await whom(WRITER)).toEqual({ name: 'dashboard', writesAs: 'dash-writer' });
    expect(await whom(OPS)).toEqual({ name: 'ops', writesAs: 'ops' });
  });
});

describe('a token with lists and no writeAs', () => {
  it('may not write: FORBIDDEN, and the API server never hears of it', async () => {
    const before = await k.sent('DELETE', 'pods');
    const patches = await k.sent('PATCH', 'nodes');
    const node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
    for (const query of [
      deletePod(NS, 'a'),
      `mutation { cordonNode(cluster: "sim", name: "${node}") { visible } }`,
    ]) {
      const r = await k.gql(query, {}, LISTS);
      expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', cluster: 'sim' });
      expect(r.errors?.[0].message).toContain('never with its own rights');
    }
    expect(await k.sent('DELETE', 'pods')).toBe(before);
    expect(await k.sent('PATCH', 'nodes')).toBe(patches);
    expect(k.h.sim.store.get('pods', NS, 'a')).toBeDefined();
    const record = k.records.at(-1);
    expect(record).toMatchObject({ principal: 'lists', code: 'FORBIDDEN', latencyMs: 0 });
    expect(record?.as).toBeUndefined();
    expect(record?.upstreamStatus).toBeUndefined();
  });

  it('still reads everything it lists', async () => {
    const r = await k.gql(
      `{ cluster(name: "sim") { pod(namespace: "${NS}", name: "a") { name } } }`,
      {},
      LISTS,
    );
    expect(r.data.cluster.pod.name).toBe('a');
  });
});

describe('a token with lists and writeAs', () => {
  it('writes as that identity, where its RBAC allows', async () => {
    const r = await k.gql(deletePod(NS, 'b'), {}, WRITER);
    expect(r.errors).toBeUndefined();
    expect(r.data.deletePod).toEqual({ pod: { name: 'b' }, visible: true });
    expect(k.h.sim.store.get('pods', NS, 'b')).toBeUndefined();
    expect(k.records.at(-1)).toMatchObject({ principal: 'dashboard', as: 'dash-writer', code: 'OK' });
  });

  it('and its RBAC refuses where it does not (the server names dash-writer)', async () => {
    const r = await k.gql(deletePod(OTHER, 'b'), {}, WRITER);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', upstreamStatus: 403 });
    expect(r.errors?.[0].message).toContain(
      `User "dash-writer" cannot delete resource "pods" in API group "" in the namespace "${OTHER}"`,
    );
    expect(k.h.sim.store.get('pods', OTHER, 'b')).toBeDefined();
  });

  it('never outside the namespaces its lists name, whatever the identity may do', async () => {
    const before = await k.sent('DELETE', 'pods');
    const r = await k.gql(deletePod(OTHER, 'c'), {}, NARROW);
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(r.errors?.[0].message).toContain(`may not write in namespace "${OTHER}"`);
    const node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
    const drain = await k.gql(
      `mutation { drainNode(cluster: "sim", name: "${node}") { visible } }`,
      {},
      NARROW,
    );
    expect(drain.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    expect(drain.errors?.[0].message).toContain('across every namespace');
    expect(await k.sent('DELETE', 'pods')).toBe(before);
    const inside = await k.gql(deletePod(NS, 'c'), {}, NARROW);
    expect(inside.data.deletePod.visible).toBe(true);
  });
});

describe('the open gateway', () => {
  it('may not write unless openWriteAs names who it writes as; then it writes as that identity', async () => {
    const open = await startHarness({
      simulator: { scenario: { nodes: 1, pods: 4, jobs: 0, namespaces: 1, seed: 3 } },
    });
    const named = await startHarness({
      existingSimulator: open.sim,
      auth: { openWriteAs: { user: 'local-dev' } },
    });
    try {
      open.sim.pauseActivity();
      const rbac = new RbacKit(open.sim);
      await rbac.clusterRoleBinding('local-dev', 'edit', [{ user: 'local-dev' }]);
      const pod = [...open.sim.store.scan('pods')][0];
      const m = `mutation { deletePod(cluster: "sim", namespace: "${pod.metadata.namespace}", name: "${pod.metadata.name}") { visible } }`;
      const refused = await open.query(m);
      expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
      expect(refused.errors?.[0].message).toContain('"anonymous" may not write');
      expect(open.sim.store.get('pods', pod.metadata.namespace, pod.metadata.name)).toBeDefined();
      // The named identity's RBAC decides: `edit` has no nodes, so a cordon is refused naming it.
      const node = [...open.sim.store.scan('nodes')][0].metadata.name;
      const cordon = await named.query(
        `mutation { cordonNode(cluster: "sim", name: "${node}") { visible } }`,
      );
      expect(cordon.errors?.[0].message).toContain('User "local-dev" cannot patch resource "nodes"');
      const done = await named.query<{ deletePod: { visible: boolean } }>(m);
      expect(done.errors).toBeUndefined();
      expect(done.data?.deletePod.visible).toBe(true);
      // A running pod is deleted gracefully: marked now, gone once its kubelet has stopped it.
      expect(
        open.sim.store.get('pods', pod.metadata.namespace, pod.metadata.name)?.metadata.deletionTimestamp,
      ).toBeDefined();
    } finally {
      await named.close();
      await open.close();
    }
  });
});
