/**
 * kubectl's writes against the simulator, with every kubectl on this machine (the one on
 * PATH and kubectl.1.27 ... 1.33), compared with what a real cluster does — one combined
 * test per version, on one simulator whose controllers run on a fake clock:
 *
 * - `create job NAME --image=busybox -- echo hi` (protobuf from 1.32 on): its pod runs to
 *   completion and the job is Complete; `create namespace` (protobuf too), `run`, `label`, and
 *   `delete namespace` with the pod in it;
 * - `cordon` taints the node node.kubernetes.io/unschedulable:NoSchedule, `uncordon` removes it;
 * - `drain --ignore-daemonsets --delete-emptydir-data --grace-period=1` evicts every pod of
 *   the node but the DaemonSets' and the mirror pods, and leaves the node cordoned;
 * - `delete pod --wait=false` shows the pod Terminating until the kubelet has stopped it, then
 *   it is gone; a plain `delete pod` waits for that;
 * - `delete job --cascade=foreground|background|orphan` deletes, deletes later, or keeps its pods;
 * - `label` and `annotate` with `--dry-run=server` change nothing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { containerStopMs } from '../../src/simulator/kubelet.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { eachKubectl, Kubectl, requireKubectl, rows } from './kubectl-runner.js';
import type { AnyJson } from './sim-kit.js';

let sim: Simulator;
const clock = new FakeClock();
/** The control-plane node: mirror pods (static ones) and DaemonSet pods live on it. */
let target: string;

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({
    clock,
    churnPerSecond: 0,
    jobStepMs: 1000,
    jobFailureRate: 0,
    scenario: { seed: 21, nodes: 3, pods: 150, jobs: 0, namespaces: 1 },
  });
  target = [...sim.store.scan('nodes')].find(
    (n) => n.metadata.labels?.['node-role.kubernetes.io/control-plane'] !== undefined,
  )!.metadata.name;
});

afterAll(async () => {
  await sim?.close();
});

/** Runs `work` while the fake clock moves (a kubelet's second per 20 ms of real time). */
async function withClockRunning<T>(work: Promise<T>): Promise<T> {
  const pump = setInterval(() => clock.advance(1000), 20);
  try {
    return await work;
  } finally {
    clearInterval(pump);
  }
}

/** A running pod a ReplicaSet owns on `node`, with an emptyDir (what drain needs flags for). */
function replicaPod(name: string, node: string): KubeObject {
  return sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: 'rs-uid-1', controller: true },
      ],
    },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'web', image: 'nginx' }],
      volumes: [{ name: 'scratch', emptyDir: {} }],
    },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

function jobWithPods(name: string): { uid: string; pods: string[] } {
  const job = sim.store.create('jobs', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      suspend: true,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
    },
  });
  const uid = job.metadata.uid!;
  const pods = [0, 1].map(
    (i) =>
      sim.store.create('pods', {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: `${name}-${i}`,
          namespace: 'default',
          ownerReferences: [
            { apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true },
          ],
        },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      }).metadata.name,
  );
  return { uid, pods };
}

const pod = (name: string, namespace = 'default') => sim.store.get('pods', namespace, name);
const taints = (node: string) =>
  ((sim.store.get('nodes', undefined, node)!.spec.taints ?? []) as AnyJson[]).map(
    (t) => `${t.key}:${t.effect}`,
  );

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    const tag = `k${label.replace('.', '')}`.toLowerCase();

    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it('creates a job that runs to completion, a namespace and a pod, cordons, drains, deletes with grace and cascades as a cluster does', async () => {
      // create job: the pod runs to completion, the job is Complete.
      const job = `${tag}-hello`;
      expect(await kubectl.ok(['create', 'job', job, '--image=busybox', '--', 'echo', 'hi'])).toContain(
        `job.batch/${job} created`,
      );
      for (let i = 0; i < 10 && !sim.store.get('jobs', 'default', job)?.status?.completionTime; i++)
        clock.advance(1000);
      const created: AnyJson = JSON.parse(await kubectl.ok(['get', 'job', job, '-o', 'json']));
      expect(created.spec.template.spec.containers[0]).toMatchObject({
        image: 'busybox',
        command: ['echo', 'hi'],
      });
      expect(created.status.conditions.map((c: AnyJson) => c.type)).toContain('Complete');
      expect(
        rows(await kubectl.ok(['get', 'pods', '-l', `job-name=${job}`, '--no-headers'])).map((r) => r[2]),
      ).toEqual(['Completed']);

      // create namespace (protobuf from 1.32 on), run a pod in it, label it, delete it with its pod.
      const ns = `${tag}-space`;
      await kubectl.ok(['create', 'namespace', ns]);
      await kubectl.ok(['run', 'solo', '--image=busybox', '-n', ns, '--', 'sleep', '60']);
      await kubectl.ok(['label', 'namespace', ns, 'team=web']);
      expect(sim.store.get('namespaces', undefined, ns)!.metadata.labels).toMatchObject({ team: 'web' });
      expect(pod('solo', ns)!.spec.containers[0]).toMatchObject({ image: 'busybox', args: ['sleep', '60'] });
      await kubectl.ok(['delete', 'namespace', ns]);
      expect(sim.store.get('namespaces', undefined, ns)).toBeUndefined();
      expect(pod('solo', ns)).toBeUndefined();

      // cordon / uncordon: the taint follows.
      const node = target;
      await kubectl.ok(['cordon', node]);
      clock.advance(0);
      expect(sim.store.get('nodes', undefined, node)!.spec.unschedulable).toBe(true);
      expect(taints(node)).toContain('node.kubernetes.io/unschedulable:NoSchedule');
      await kubectl.ok(['uncordon', node]);
      clock.advance(0);
      expect(taints(node)).not.toContain('node.kubernetes.io/unschedulable:NoSchedule');

      // drain: evicts the ReplicaSet's pods, leaves DaemonSet and mirror pods, node cordoned.
      const evicted = [replicaPod(`${tag}-web-0`, node), replicaPod(`${tag}-web-1`, node)];
      const kept = [...sim.store.scan('pods', { namespace: 'kube-system' })].filter(
        (p) => p.spec.nodeName === node,
      );
      expect(kept.some((p) => p.metadata.annotations?.['kubernetes.io/config.mirror'])).toBe(true);
      expect(kept.some((p) => p.metadata.ownerReferences?.[0].kind === 'DaemonSet')).toBe(true);
      const drained = await withClockRunning(
        kubectl.run([
          'drain',
          node,
          '--ignore-daemonsets',
          '--delete-emptydir-data',
          '--grace-period=1',
          '--timeout=20s',
        ]),
      );
      expect(drained.code, drained.stderr).toBe(0);
      for (const p of evicted) expect(drained.stdout).toContain(`pod/${p.metadata.name} evicted`);
      expect(drained.stdout).toContain(`node/${node} drained`);
      expect(drained.stderr).toMatch(/Warning: ignoring DaemonSet-managed Pods: .*kube-system\/kube-proxy-/);
      for (const p of evicted) expect(pod(p.metadata.name)).toBeUndefined();
      for (const p of kept) expect(pod(p.metadata.name, 'kube-system')?.metadata.uid).toBe(p.metadata.uid);
      clock.advance(0);
      expect(taints(node)).toContain('node.kubernetes.io/unschedulable:NoSchedule');
      await kubectl.ok(['uncordon', node]);
      clock.advance(0);

      // delete pod: Terminating until the kubelet has stopped it, then gone.
      const [slow, waited] = [replicaPod(`${tag}-slow`, node), replicaPod(`${tag}-waited`, node)];
      await kubectl.ok(['delete', 'pod', slow.metadata.name, '--wait=false']);
      expect(rows(await kubectl.ok(['get', 'pod', slow.metadata.name, '--no-headers']))[0][2]).toBe(
        'Terminating',
      );
      clock.advance(containerStopMs(slow));
      const gone = await kubectl.run(['get', 'pod', slow.metadata.name]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain(`pods "${slow.metadata.name}" not found`);
      const deleted = await withClockRunning(kubectl.ok(['delete', 'pod', waited.metadata.name]));
      expect(deleted.trim()).toBe(`pod "${waited.metadata.name}" deleted`);
      expect(pod(waited.metadata.name)).toBeUndefined();

      // delete job --cascade: foreground (pods first), background (pods right after), orphan (pods kept).
      const fg = jobWithPods(`${tag}-fg`);
      await kubectl.ok(['delete', 'job', `${tag}-fg`, '--cascade=foreground']);
      expect(sim.store.get('jobs', 'default', `${tag}-fg`)).toBeUndefined();
      for (const p of fg.pods) expect(pod(p)).toBeUndefined();
      const bg = jobWithPods(`${tag}-bg`);
      await kubectl.ok(['delete', 'job', `${tag}-bg`, '--cascade=background']);
      await new Promise((r) => setImmediate(r)); // the garbage collector's turn
      for (const p of bg.pods) expect(pod(p)).toBeUndefined();
      const orphaned = jobWithPods(`${tag}-orphan`);
      await kubectl.ok(['delete', 'job', `${tag}-orphan`, '--cascade=orphan']);
      for (const p of orphaned.pods) expect(pod(p)?.metadata.ownerReferences).toBeUndefined();

      // label / annotate --dry-run=server: answered as if, nothing stored.
      const before = replicaPod(`${tag}-dry`, node);
      expect(
        await kubectl.ok(['label', 'pod', before.metadata.name, 'tier=web', '--dry-run=server']),
      ).toContain('(server dry run)');
      expect(
        await kubectl.ok(['annotate', 'pod', before.metadata.name, 'note=x', '--dry-run=server']),
      ).toContain('(server dry run)');
      expect(pod(before.metadata.name)).toEqual(before);
    });
  });
}
