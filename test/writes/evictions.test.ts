/**
 * evictPod and drainNode against the simulator's Eviction API, graceful deletion, kubelet
 * and node controller. A drain evicts exactly the pods `kubectl drain --ignore-daemonsets
 * --delete-emptydir-data --force` evicts on the same node (compared with kubectl's own
 * server-side dry run), leaves DaemonSet and mirror pods, lists each pod's outcome, and
 * answers once the gateway's cache shows the cordon and every eviction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { requireKubectl } from '../simulator/kubectl-runner.js';
import { type Json, startWriteKit, type WriteKit } from './kit.js';

let k: WriteKit;
const NO_EVICT = 'writes-no-evict-token-0123456789';
const NO_PATCH = 'writes-no-patch-token-0123456789';

beforeAll(async () => {
  await requireKubectl();
  k = await startWriteKit({
    // 200 pods: every node runs kube-proxy (a DaemonSet); three are control-plane nodes (mirror pods).
    simulator: { scenario: { nodes: 6, pods: 200, jobs: 4, namespaces: 3, seed: 21 } },
    writes: { qps: 1000, burst: 1000, perPrincipal: { perMinute: 100_000 } },
    tokens: [
      { name: 'no-evict', token: NO_EVICT, user: 'no-evict' },
      { name: 'no-patch', token: NO_PATCH, user: 'no-patch' },
    ],
  });
  // no-evict may cordon and list but not evict; no-patch may list and evict but not cordon.
  await k.rbac.clusterRole('writes-drainer-no-evict', [
    { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
  ]);
  await k.rbac.clusterRole('writes-drainer-no-patch', [
    { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'list', 'watch'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
  ]);
  await k.rbac.clusterRoleBinding('writes-no-evict', 'writes-drainer-no-evict', [{ user: 'no-evict' }]);
  await k.rbac.clusterRoleBinding('writes-no-patch', 'writes-drainer-no-patch', [{ user: 'no-patch' }]);
  await waitFor(async () => {
    for (const token of [NO_EVICT, NO_PATCH]) {
      if (!(await k.gql('{ cluster(name: "sim") { name } }', {}, token)).data?.cluster) return false;
    }
    return true;
  }, 'the gateway to mirror the drainers’ bindings');
}, 60_000);

afterAll(() => k?.close(), 30_000);

type Pod = {
  metadata: {
    name: string;
    namespace: string;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; controller?: boolean }[];
  };
  status?: { phase?: string };
};

/** The simulator's pods on a node, as the API has them. */
function podsOn(node: string): Pod[] {
  return [...k.h.sim.store.scan('pods')].filter((p) => p.spec?.nodeName === node) as unknown as Pod[];
}

const key = (p: { metadata: { namespace: string; name: string } }) =>
  `${p.metadata.namespace}/${p.metadata.name}`;
const daemon = (p: Pod) => p.metadata.ownerReferences?.some((o) => o.controller && o.kind === 'DaemonSet');
const mirror = (p: Pod) => p.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined;
/** A running pod of an ordinary workload: an eviction makes it Terminating until its kubelet is done. */
const plainRunning = (p: Pod) => !daemon(p) && !mirror(p) && p.status?.phase === 'Running';

/** A node with pods of every sort the drain tells apart (control plane: mirror pods; worker: plain ones). */
function nodeWith(check: (pods: Pod[]) => boolean, but: string[] = []): string {
  const nodes = [...k.h.sim.store.scan('nodes')].map((n) => n.metadata.name).filter((n) => !but.includes(n));
  const found = nodes.find((n) => check(podsOn(n)));
  if (!found) throw new Error('the scenario has no such node');
  return found;
}

/** The pods `kubectl drain --dry-run=server` says it would evict. */
async function kubectlWouldEvict(node: string): Promise<string[]> {
  const r = await k.kubectl.run(
    [
      'drain',
      node,
      '--ignore-daemonsets',
      '--delete-emptydir-data',
      '--force',
      '--dry-run=server',
      '--timeout=60s',
    ],
    90_000,
  );
  if (r.code !== 0) throw new Error(`kubectl drain exited ${r.code}: ${r.stderr}`);
  return [...`${r.stdout}\n${r.stderr}`.matchAll(/evicting pod (\S+)\/(\S+)/g)]
    .map((m) => `${m[1]}/${m[2]}`)
    .sort();
}

const DRAIN = `mutation($node: String!, $dryRun: Boolean) { drainNode(cluster: "sim", name: $node, dryRun: $dryRun) {
  node { name unschedulable } resourceVersion visible dryRun
  pods { namespace name outcome message pod { name } } } }`;

describe('evictPod', () => {
  it('evicts a running pod: Terminating at once (answer and next query), gone when its kubelet is done', async () => {
    const pod = podsOn(nodeWith((ps) => ps.some(plainRunning)))
      .filter(plainRunning)
      .at(0)!;
    const { namespace, name } = pod.metadata;
    const r = await k.gql(
      `mutation { evictPod(cluster: "sim", namespace: "${namespace}", name: "${name}") {
        pod { name deletedAt conditions { type reason } } resourceVersion visible dryRun } }`,
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.evictPod).toMatchObject({
      pod: { name },
      resourceVersion: null,
      visible: true,
      dryRun: false,
    });
    expect(r.data.evictPod.pod.deletedAt).not.toBeNull();
    expect(r.data.evictPod.pod.conditions).toContainEqual({
      type: 'DisruptionTarget',
      reason: 'EvictionByEvictionAPI',
    });
    const q = await k.gql(
      `{ cluster(name: "sim") { pod(namespace: "${namespace}", name: "${name}") { deletedAt } } }`,
    );
    expect(q.data.cluster.pod?.deletedAt ?? 'gone').not.toBeNull();
    expect(k.records.at(-1)).toMatchObject({
      mutation: 'evictPod',
      verb: 'create',
      resource: 'pods/eviction',
      code: 'OK',
    });
    expect(k.h.sim.audit.at(-1)).toMatchObject({
      user: 'ops',
      impersonatedBy: { user: 'admin' },
      verb: 'create',
      resource: 'pods',
      subresource: 'eviction',
      namespace,
      name,
      code: 201,
    });
    await waitFor(
      async () => (await k.kubectl.run(['get', 'pod', name, '-n', namespace])).code !== 0,
      'the kubelet',
    );
  });

  it('answers NOT_FOUND for a pod that is not there, and changes nothing with dryRun', async () => {
    const missing = await k.gql(
      'mutation { evictPod(cluster: "sim", namespace: "default", name: "nope") { visible } }',
    );
    expect(missing.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', upstreamStatus: 404 });
    const pod = podsOn(nodeWith((ps) => ps.some((p) => !daemon(p) && !mirror(p)))).find(
      (p) => !daemon(p) && !mirror(p),
    )!;
    const before = await k.kubectl.ok([
      'get',
      'pod',
      pod.metadata.name,
      '-n',
      pod.metadata.namespace,
      '-o',
      'json',
    ]);
    const dry = await k.gql(
      `mutation { evictPod(cluster: "sim", namespace: "${pod.metadata.namespace}", name: "${pod.metadata.name}", dryRun: true) { visible dryRun } }`,
    );
    expect(dry.data.evictPod).toEqual({ visible: false, dryRun: true });
    expect(k.h.sim.audit.at(-1)).toMatchObject({ subresource: 'eviction', dryRun: true, code: 201 });
    expect(
      await k.kubectl.ok(['get', 'pod', pod.metadata.name, '-n', pod.metadata.namespace, '-o', 'json']),
    ).toBe(before);
  });
});

describe('drainNode', () => {
  it('would evict exactly what kubectl drain would, on a control-plane node (mirror pods) and a worker (dry runs)', async () => {
    const controlPlane = nodeWith((ps) => ps.some(mirror));
    const worker = nodeWith(
      (ps) => ps.some(daemon) && ps.filter((p) => !daemon(p) && !mirror(p)).length >= 3,
      [controlPlane],
    );
    for (const node of [controlPlane, worker]) {
      const before = await k.kubectl.ok(['get', 'node', node, '-o', 'json']);
      const r = await k.gql(DRAIN, { node, dryRun: true });
      expect(r.errors).toBeUndefined();
      const d = r.data.drainNode;
      expect(d).toMatchObject({ node: { name: node, unschedulable: true }, visible: false, dryRun: true });
      const by = (o: string) =>
        d.pods
          .filter((p: Json) => p.outcome === o)
          .map((p: Json) => `${p.namespace}/${p.name}`)
          .sort();
      expect(by('EVICTED'), node).toEqual(await kubectlWouldEvict(node));
      expect(by('SKIPPED_DAEMONSET')).toEqual(podsOn(node).filter(daemon).map(key).sort());
      expect(by('SKIPPED_MIRROR')).toEqual(podsOn(node).filter(mirror).map(key).sort());
      expect(d.pods.length).toBe(podsOn(node).length);
      // Neither dry run changed the node.
      expect(await k.kubectl.ok(['get', 'node', node, '-o', 'json'])).toBe(before);
    }
  });

  it('cordons and evicts as the caller; the answer and the next query show it; DaemonSet and mirror pods stay', async () => {
    const node = nodeWith((ps) => ps.some(daemon) && ps.filter((p) => !daemon(p) && !mirror(p)).length >= 3);
    const evictable = podsOn(node)
      .filter((p) => !daemon(p) && !mirror(p))
      .map(key)
      .sort();
    const staying = podsOn(node)
      .filter((p) => daemon(p) || mirror(p))
      .map(key)
      .sort();
    const r = await k.gql(DRAIN, { node });
    expect(r.errors).toBeUndefined();
    const d = r.data.drainNode;
    expect(d).toMatchObject({ node: { name: node, unschedulable: true }, visible: true, dryRun: false });
    expect(
      d.pods
        .filter((p: Json) => p.outcome === 'EVICTED')
        .map((p: Json) => `${p.namespace}/${p.name}`)
        .sort(),
    ).toEqual(evictable);
    // Right after the answer: the node is cordoned and every evicted pod Terminating (or gone) in the cache.
    const q = await k.gql(
      `{ cluster(name: "sim") { node(name: "${node}") { unschedulable pods(first: 500) { edges { node { namespace name deletedAt } } } } } }`,
    );
    expect(q.data.cluster.node.unschedulable).toBe(true);
    for (const { node: p } of q.data.cluster.node.pods.edges) {
      if (evictable.includes(`${p.namespace}/${p.name}`)) expect(p.deletedAt, p.name).not.toBeNull();
      else expect(p.deletedAt, p.name).toBeNull();
    }
    // The cluster's audit: one cordon and one eviction per evicted pod, all as ops.
    const writes = k.h.sim.audit.filter(
      (a) => a.user === 'ops' && (a.resource === 'nodes' || a.subresource === 'eviction'),
    );
    expect(
      writes.filter((a) => a.resource === 'nodes' && a.name === node && !a.dryRun).length,
    ).toBeGreaterThanOrEqual(1);
    expect(
      writes
        .filter(
          (a) => a.subresource === 'eviction' && !a.dryRun && evictable.includes(`${a.namespace}/${a.name}`),
        )
        .map((a) => `${a.namespace}/${a.name}`)
        .sort(),
    ).toEqual(evictable);
    // kubectl: cordoned and tainted by the node controller; in the end only the DaemonSet and mirror pods.
    await waitFor(async () => {
      const n = JSON.parse(await k.kubectl.ok(['get', 'node', node, '-o', 'json']));
      return (
        n.spec.unschedulable === true &&
        n.spec.taints?.some((t: Json) => t.key === 'node.kubernetes.io/unschedulable')
      );
    }, 'the cordon taint');
    await waitFor(async () => {
      const out = await k.kubectl.ok([
        'get',
        'pods',
        '-A',
        '--field-selector',
        `spec.nodeName=${node}`,
        '-o',
        'json',
      ]);
      const left = JSON.parse(out)
        .items.map((p: Json) => `${p.metadata.namespace}/${p.metadata.name}`)
        .sort();
      return JSON.stringify(left) === JSON.stringify(staying);
    }, 'only the DaemonSet and mirror pods on the drained node');
    await k.gql(`mutation { uncordonNode(cluster: "sim", name: "${node}") { visible } }`);
  });

  it('reports FORBIDDEN per pod for a caller who may cordon but not evict, and refuses one who may not cordon', async () => {
    const node = nodeWith((ps) => ps.filter((p) => !daemon(p) && !mirror(p)).length >= 1);
    const evictable = podsOn(node).filter((p) => !daemon(p) && !mirror(p));
    const r = await k.gql(DRAIN, { node }, NO_EVICT);
    expect(r.errors).toBeUndefined();
    const outcomes = r.data.drainNode.pods.filter((p: Json) => p.outcome === 'FORBIDDEN');
    expect(outcomes.length).toBe(evictable.length);
    expect(outcomes[0].message).toContain('User "no-evict" cannot create resource "pods/eviction"');
    expect(
      podsOn(node)
        .filter((p) => !daemon(p) && !mirror(p))
        .map(key)
        .sort(),
    ).toEqual(evictable.map(key).sort());
    await k.gql(`mutation { uncordonNode(cluster: "sim", name: "${node}") { visible } }`);

    const evictions = await k.sent('CREATE', 'pods');
    const refused = await k.gql(DRAIN, { node }, NO_PATCH);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', upstreamStatus: 403 });
    expect(refused.errors?.[0].message).toContain('User "no-patch" cannot patch resource "nodes"');
    expect(await k.sent('CREATE', 'pods')).toBe(evictions);
  });
});

describe('drainNode under the cluster’s write limit', () => {
  it('evicts what the bucket allows within the drain’s time and reports the rest RATE_LIMITED, never sent', async () => {
    const slow = await startWriteKit({
      simulator: { scenario: { nodes: 3, pods: 40, jobs: 0, namespaces: 2, seed: 22 } },
      // One token a minute after a burst of 3: the cordon takes one, two evictions the rest.
      writes: { qps: 1 / 60, burst: 3, visibilityTimeoutMs: 1000 },
    });
    try {
      const pods = (n: string) =>
        [...slow.h.sim.store.scan('pods')].filter((p) => p.spec?.nodeName === n) as unknown as Pod[];
      const node = [...slow.h.sim.store.scan('nodes')]
        .map((n) => n.metadata.name)
        .find((n) => pods(n).filter((p) => !daemon(p) && !mirror(p)).length >= 4)!;
      const evictable = pods(node).filter((p) => !daemon(p) && !mirror(p)).length;
      const evictions = await slow.sent('CREATE', 'pods');
      const r = await slow.gql(DRAIN, { node });
      expect(r.errors).toBeUndefined();
      const count = (o: string) => r.data.drainNode.pods.filter((p: Json) => p.outcome === o).length;
      expect(count('EVICTED')).toBe(2);
      expect(count('RATE_LIMITED')).toBe(evictable - 2);
      expect(r.data.drainNode.pods.find((p: Json) => p.outcome === 'RATE_LIMITED').message).toContain(
        'drain again',
      );
      expect(await slow.sent('CREATE', 'pods')).toBe(evictions + 2);
      expect(slow.records.filter((w) => w.code === 'RATE_LIMITED').length).toBe(evictable - 2);
    } finally {
      await slow.close();
    }
  });
});
