/**
 * Every mutation of issue 13 end to end: GraphQL over HTTP to the gateway, the write sent
 * as the caller to the simulator, and the result confirmed by the real kubectl (as the
 * cluster's admin) and by a query sent right after the mutation answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setSimFaults } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { requireKubectl } from '../simulator/kubectl-runner.js';
import { serverSubscriptions, subscribe } from '../subscriptions/clients.js';
import { type Json, OPS, startWriteKit, type WriteKit } from './kit.js';

let k: WriteKit;
const NS = 'writes-e2e';

beforeAll(async () => {
  await requireKubectl();
  k = await startWriteKit({
    simulator: { scenario: { nodes: 3, pods: 12, jobs: 2, namespaces: 2, seed: 13 }, jobStepMs: 40 },
  });
  await k.namespace(NS);
}, 60_000);

afterAll(() => k?.close(), 30_000);

/** kubectl's JSON of an object, or undefined when it says NotFound. */
async function kubectlGet(...args: string[]): Promise<Json | undefined> {
  const r = await k.kubectl.run(['get', ...args, '-o', 'json']);
  if (r.code !== 0) {
    if (/NotFound|not found/.test(r.stderr)) return undefined;
    throw new Error(`kubectl get ${args.join(' ')}: ${r.stderr}`);
  }
  return JSON.parse(r.stdout);
}

const POD_QUERY = `query($ns: String!, $name: String!) { cluster(name: "sim") { pod(namespace: $ns, name: $name) { name labels { key value } } } }`;

describe('deletePod', () => {
  it('deletes the pod as the caller; kubectl and the next query no longer find it', async () => {
    await k.pod(NS, 'doomed');
    const before = await kubectlGet('pod', 'doomed', '-n', NS);
    expect(before?.metadata.name).toBe('doomed');
    const r = await k.gql(
      `mutation($ns: String!) { deletePod(cluster: "sim", namespace: $ns, name: "doomed", gracePeriodSeconds: 0) {
        pod { name namespace } resourceVersion visible dryRun } }`,
      { ns: NS },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.deletePod).toMatchObject({
      pod: { name: 'doomed', namespace: NS },
      visible: true,
      dryRun: false,
    });
    expect(Number(r.data.deletePod.resourceVersion)).toBeGreaterThan(
      Number(before?.metadata.resourceVersion),
    );
    expect(await kubectlGet('pod', 'doomed', '-n', NS)).toBeUndefined();
    const after = await k.gql(POD_QUERY, { ns: NS, name: 'doomed' });
    expect(after.data.cluster.pod).toBeNull();
    expect(k.records.at(-1)).toMatchObject({
      mutation: 'deletePod',
      principal: 'ops',
      as: 'ops',
      cluster: 'sim',
      verb: 'delete',
      resource: 'pods',
      namespace: NS,
      name: 'doomed',
      code: 'OK',
      visible: true,
    });
    // The cluster's own audit: the write was made as ops, the gateway only impersonating.
    expect(k.h.sim.audit.at(-1)).toMatchObject({
      user: 'ops',
      groups: expect.arrayContaining(['ops', 'system:authenticated']),
      impersonatedBy: { user: 'admin' },
      verb: 'delete',
      resource: 'pods',
      namespace: NS,
      name: 'doomed',
      code: 200,
      dryRun: false,
    });
  });

  it('deletes a running pod gracefully: the answer and the next query show it Terminating, the kubelet removes it', async () => {
    const node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
    await k.pod(NS, 'graceful', { node });
    await waitFor(
      async () => (await k.gql(POD_QUERY, { ns: NS, name: 'graceful' })).data.cluster.pod,
      'the pod cached',
    );
    const r = await k.gql(
      `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "graceful") { pod { name deletedAt } visible } }`,
    );
    expect(r.data.deletePod.visible).toBe(true);
    expect(r.data.deletePod.pod.deletedAt).not.toBeNull();
    const q = await k.gql(
      `{ cluster(name: "sim") { pod(namespace: "${NS}", name: "graceful") { deletedAt } } }`,
    );
    expect(q.data.cluster.pod.deletedAt).toBe(r.data.deletePod.pod.deletedAt);
    expect((await kubectlGet('pod', 'graceful', '-n', NS))?.metadata.deletionTimestamp).toBeDefined();
    await waitFor(
      async () => (await kubectlGet('pod', 'graceful', '-n', NS)) === undefined,
      'the kubelet to remove it',
    );
  });

  it('is never sent twice: a delete whose connection closes on arrival answers UNAVAILABLE and the pod stays', async () => {
    // Reads are sent once more after such a close (kube/client.ts requestOnceMore); a write
    // may have been applied, so it is not.
    await k.pod(NS, 'kept');
    const deletes = await k.sent('DELETE', 'pods');
    await setSimFaults(k.h.sim, { verbs: ['DELETE'], resources: ['pods'], resetNextRequests: 1 });
    try {
      const r = await k.gql(
        `mutation($ns: String!) { deletePod(cluster: "sim", namespace: $ns, name: "kept", gracePeriodSeconds: 0) { visible } }`,
        { ns: NS },
      );
      expect(r.data?.deletePod ?? null).toBeNull();
      expect(r.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
      expect(await k.sent('DELETE', 'pods')).toBe(deletes + 1);
      expect((await kubectlGet('pod', 'kept', '-n', NS))?.metadata.name).toBe('kept');
    } finally {
      await setSimFaults(k.h.sim, { reset: true });
    }
  });

  it('answers NOT_FOUND for a pod that is not there', async () => {
    const r = await k.gql(
      `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "never-was") { visible } }`,
    );
    expect(r.errors?.[0].extensions).toMatchObject({
      code: 'NOT_FOUND',
      cluster: 'sim',
      upstreamStatus: 404,
    });
    expect(r.errors?.[0].message).toContain('never-was');
  });
});

describe('createJob', () => {
  it('creates the job kubectl create job would, whose pods run to completion while jobEvents reports it', async () => {
    k.h.sim.resumeActivity(); // the job controller runs the job's pods
    const base = serverSubscriptions(k.h);
    const sub = subscribe(
      'sse',
      k.h.url,
      `subscription { jobEvents(namespace: "${NS}") { type object { name state succeeded } } }`,
      {
        token: OPS,
      },
    );
    try {
      await waitFor(() => serverSubscriptions(k.h) > base, 'the subscription to start');
      const r = await k.gql(
        `mutation($input: CreateJobInput!) { createJob(input: $input) {
          job { name namespace state completions parallelism backoffLimit labels { key value } annotations { key value } }
          resourceVersion visible dryRun } }`,
        {
          input: {
            cluster: 'sim',
            namespace: NS,
            name: 'report',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: ['echo done'],
            env: [{ name: 'MODE', value: 'nightly' }],
            requests: { cpu: '250m', memory: '64Mi' },
            limits: { cpu: '1', memory: '128Mi' },
            completions: 2,
            parallelism: 1,
            backoffLimit: 6,
            activeDeadlineSeconds: 600,
            ttlSecondsAfterFinished: 3600,
            labels: [{ key: 'team', value: 'billing' }],
            annotations: [{ key: 'example.com/owner', value: 'ops@example.com' }],
          },
        },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data.createJob).toMatchObject({
        job: {
          name: 'report',
          namespace: NS,
          completions: 2,
          parallelism: 1,
          backoffLimit: 6,
          labels: [{ key: 'team', value: 'billing' }],
          annotations: [{ key: 'example.com/owner', value: 'ops@example.com' }],
        },
        visible: true,
        dryRun: false,
      });
      const job = await kubectlGet('job', 'report', '-n', NS);
      expect(job.metadata.resourceVersion).toBeDefined();
      expect(job.spec).toMatchObject({
        completions: 2,
        parallelism: 1,
        backoffLimit: 6,
        activeDeadlineSeconds: 600,
        ttlSecondsAfterFinished: 3600,
      });
      const container = job.spec.template.spec.containers[0];
      expect(container).toMatchObject({
        name: 'report',
        image: 'busybox:1.36',
        command: ['sh', '-c'],
        args: ['echo done'],
        env: [{ name: 'MODE', value: 'nightly' }],
        resources: { requests: { cpu: '250m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
      });
      expect(job.spec.template.spec.restartPolicy).toBe('Never');
      // Its pods run to completion, and the subscription sees the job complete.
      await sub.until('the job to complete', (s) =>
        s.events.some((e: Json) => e.object.name === 'report' && e.object.state === 'COMPLETE'),
      );
      expect(sub.events.find((e: Json) => e.object.name === 'report')?.type).toBe('ADDED');
      const done = await kubectlGet('job', 'report', '-n', NS);
      expect(done.status.succeeded).toBe(2);
    } finally {
      sub.dispose();
      k.h.sim.pauseActivity();
    }
  });

  it('creates from a generateName, the server choosing the rest of the name', async () => {
    const r = await k.gql(
      `mutation { createJob(input: { cluster: "sim", namespace: "${NS}", generateName: "backup-", image: "busybox" }) {
        job { name } resourceVersion visible } }`,
    );
    expect(r.errors).toBeUndefined();
    const name: string = r.data.createJob.job.name;
    expect(name).toMatch(/^backup-[a-z0-9]{5}$/);
    expect(r.data.createJob.visible).toBe(true);
    expect((await kubectlGet('job', name, '-n', NS))?.metadata.name).toBe(name);
    expect(k.records.at(-1)).toMatchObject({
      mutation: 'createJob',
      verb: 'create',
      resource: 'jobs',
      name,
      code: 'OK',
    });
  });

  it("answers the server's 422 as BAD_USER_INPUT with its causes (a request over its limit), creating nothing", async () => {
    const r = await k.gql('mutation($input: CreateJobInput!) { createJob(input: $input) { visible } }', {
      input: {
        cluster: 'sim',
        namespace: NS,
        name: 'greedy',
        image: 'busybox',
        requests: { memory: '2Gi' },
        limits: { memory: '1Gi' },
      },
    });
    expect(r.errors?.[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      upstreamStatus: 422,
      causes: [
        {
          field: 'spec.template.spec.containers[0].resources.requests',
          message: 'Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
        },
      ],
    });
    expect(r.errors?.[0].message).toContain('Job.batch "greedy" is invalid');
    expect(await kubectlGet('job', 'greedy', '-n', NS)).toBeUndefined();
    expect(k.h.sim.audit.at(-1)).toMatchObject({ user: 'ops', resource: 'jobs', code: 422 });
  });

  it('answers CONFLICT for a name that is taken', async () => {
    const input = { cluster: 'sim', namespace: NS, name: 'twice', image: 'busybox' };
    const m = 'mutation($input: CreateJobInput!) { createJob(input: $input) { visible } }';
    expect((await k.gql(m, { input })).errors).toBeUndefined();
    const again = await k.gql(m, { input });
    expect(again.errors?.[0].extensions).toMatchObject({ code: 'CONFLICT', upstreamStatus: 409 });
    expect(again.errors?.[0].message).toContain('already exists');
  });
});

describe('deleteJob', () => {
  async function jobWithPods(name: string): Promise<void> {
    const job = await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    await k.rbac.create(`/api/v1/namespaces/${NS}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-pod`,
        labels: { 'batch.kubernetes.io/job-name': name, 'job-name': name },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name,
            uid: job.metadata.uid,
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
  }

  const del = (name: string, propagation?: string) =>
    k.gql(
      `mutation($ns: String!, $name: String!, $p: DeletionPropagation) {
        deleteJob(cluster: "sim", namespace: $ns, name: $name, propagation: $p) { job { name } visible } }`,
      { ns: NS, name, p: propagation },
    );

  it('BACKGROUND (the default): the job goes at once, its pods after it', async () => {
    await jobWithPods('bg');
    const r = await del('bg');
    expect(r.data.deleteJob).toMatchObject({ job: { name: 'bg' }, visible: true });
    expect(await kubectlGet('job', 'bg', '-n', NS)).toBeUndefined();
    await waitFor(
      async () => (await kubectlGet('pod', 'bg-pod', '-n', NS)) === undefined,
      'the garbage collector',
    );
  });

  it('FOREGROUND: the pods go first, then the job', async () => {
    await jobWithPods('fg');
    const r = await del('fg', 'FOREGROUND');
    expect(r.data.deleteJob.visible).toBe(true);
    expect(await kubectlGet('pod', 'fg-pod', '-n', NS)).toBeUndefined();
    expect(await kubectlGet('job', 'fg', '-n', NS)).toBeUndefined();
  });

  it('ORPHAN: the pods stay, owned by nothing', async () => {
    await jobWithPods('orphan');
    const r = await del('orphan', 'ORPHAN');
    expect(r.data.deleteJob.visible).toBe(true);
    expect(await kubectlGet('job', 'orphan', '-n', NS)).toBeUndefined();
    const pod = await kubectlGet('pod', 'orphan-pod', '-n', NS);
    expect(pod?.metadata.ownerReferences ?? []).toEqual([]);
  });
});

describe('suspendJob', () => {
  it('sets spec.suspend and back; the next query shows it', async () => {
    await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pausable' },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const query = `{ cluster(name: "sim") { job(namespace: "${NS}", name: "pausable") { suspended state } } }`;
    for (const suspend of [true, false]) {
      const r = await k.gql(
        `mutation($s: Boolean!) { suspendJob(cluster: "sim", namespace: "${NS}", name: "pausable", suspend: $s) {
          job { suspended } visible } }`,
        { s: suspend },
      );
      expect(r.data.suspendJob).toEqual({ job: { suspended: suspend }, visible: true });
      expect((await kubectlGet('job', 'pausable', '-n', NS))?.spec.suspend).toBe(suspend);
      expect((await k.gql(query)).data.cluster.job.suspended).toBe(suspend);
    }
  });
});

describe('cordonNode and uncordonNode', () => {
  it('mark the node unschedulable and schedulable again, as kubectl cordon and uncordon', async () => {
    const node = [...k.h.sim.store.scan('nodes')][0].metadata.name;
    const query = `{ cluster(name: "sim") { node(name: "${node}") { unschedulable } } }`;
    const cordon = await k.gql(
      `mutation { cordonNode(cluster: "sim", name: "${node}") { node { name unschedulable } visible } }`,
    );
    expect(cordon.data.cordonNode).toEqual({ node: { name: node, unschedulable: true }, visible: true });
    expect((await kubectlGet('node', node))?.spec.unschedulable).toBe(true);
    expect((await k.gql(query)).data.cluster.node.unschedulable).toBe(true);
    const uncordon = await k.gql(
      `mutation { uncordonNode(cluster: "sim", name: "${node}") { node { unschedulable } visible } }`,
    );
    expect(uncordon.data.uncordonNode).toEqual({ node: { unschedulable: false }, visible: true });
    expect((await kubectlGet('node', node))?.spec.unschedulable).toBeUndefined();
    expect((await k.gql(query)).data.cluster.node.unschedulable).toBe(false);
    expect(k.records.slice(-2).map((r) => [r.mutation, r.verb, r.resource, r.code])).toEqual([
      ['cordonNode', 'patch', 'nodes', 'OK'],
      ['uncordonNode', 'patch', 'nodes', 'OK'],
    ]);
  });
});

describe('setLabels', () => {
  it('sets and removes labels of a Pod, Job, ClusterNode and Namespace by global id, as kubectl label', async () => {
    await k.pod(NS, 'labelled', { labels: { old: 'x', keep: 'y' } });
    await k.rbac.create(`/apis/batch/v1/namespaces/${NS}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'labelled', labels: { old: 'x', keep: 'y' } },
      spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
    });
    const node = [...k.h.sim.store.scan('nodes')][1].metadata.name;
    await waitFor(
      async () =>
        (await k.gql(`{ cluster(name: "sim") { job(namespace: "${NS}", name: "labelled") { id } } }`)).data
          .cluster.job,
      'the job in the cache',
    );
    const ids = await k.gql(`{ cluster(name: "sim") {
      pod(namespace: "${NS}", name: "labelled") { id }
      job(namespace: "${NS}", name: "labelled") { id }
      node(name: "${node}") { id }
      namespace(name: "${NS}") { id } } }`);
    const c = ids.data.cluster;
    const targets: [string, string[]][] = [
      [c.pod.id, ['pod', 'labelled', '-n', NS]],
      [c.job.id, ['job', 'labelled', '-n', NS]],
      [c.node.id, ['node', node]],
      [c.namespace.id, ['namespace', NS]],
    ];
    for (const [id, kubectlArgs] of targets) {
      const r = await k.gql(
        `mutation($id: ID!) { setLabels(id: $id, set: [{ key: "tier", value: "gold" }, { key: "example.com/owner", value: "ops" }], remove: ["old"]) {
          object { __typename ... on Node { id } label(key: "tier") } resourceVersion visible } }`,
        { id },
      );
      expect(r.errors, kubectlArgs.join(' ')).toBeUndefined();
      expect(r.data.setLabels).toMatchObject({ object: { id, label: 'gold' }, visible: true });
      const labels = (await kubectlGet(...kubectlArgs))?.metadata.labels ?? {};
      expect(labels.tier).toBe('gold');
      expect(labels['example.com/owner']).toBe('ops');
      expect(labels.old).toBeUndefined();
      const seen = await k.gql(
        `query($id: ID!) { node(id: $id) { ... on KubeObject { label(key: "tier") } } }`,
        { id },
      );
      expect(seen.data.node.label).toBe('gold');
    }
    expect(k.records.slice(-4).map((r) => r.resource)).toEqual(['pods', 'jobs', 'nodes', 'namespaces']);
  });

  it('refuses an id of a Cluster', async () => {
    const ids = await k.gql('{ cluster(name: "sim") { id } }');
    const r = await k.gql(
      `mutation($id: ID!) { setLabels(id: $id, set: [{ key: "a", value: "b" }]) { visible } }`,
      {
        id: ids.data.cluster.id,
      },
    );
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  });
});
