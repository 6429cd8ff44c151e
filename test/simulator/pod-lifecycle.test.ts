/**
 * A pod's life as a client sees it, through HTTPS and the real kubectl, on one simulator
 * whose controllers run on a fake clock: what the API server stores on create (written
 * down field by field), the QoS classes, the scheduler's binding, the kubelet's start
 * (ContainerCreating, then Running with a pod IP, Ready), a run-to-completion pod ending
 * Completed, a job's pod run by the job controller with the job's events, and Killing on
 * deletion — with the events `kubectl describe` shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullMs, runMs } from '../../src/simulator/pod-runtime.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { Kubectl, requireKubectl, rows } from './kubectl-runner.js';
import { type AnyJson, getJson } from './sim-kit.js';

let sim: Simulator;
let kubectl: Kubectl;
const clock = new FakeClock();

beforeAll(async () => {
  await requireKubectl();
  sim = await startSimulator({
    clock,
    churnPerSecond: 0,
    jobStepMs: 1000,
    jobFailureRate: 0,
    nodeLeaseRenewMs: 0,
    scenario: { seed: 5, nodes: 6, pods: 60, jobs: 0, namespaces: 1 },
  });
  kubectl = new Kubectl(sim.kubeconfig());
});

afterAll(async () => {
  kubectl?.cleanup();
  await sim?.close();
});

async function createPod(body: AnyJson): Promise<AnyJson> {
  return getJson(sim, '/api/v1/namespaces/default/pods', {
    method: 'POST',
    body: JSON.stringify({ apiVersion: 'v1', kind: 'Pod', ...body }),
    headers: { 'content-type': 'application/json' },
    expect: 201,
  });
}

function pod(name: string): AnyJson {
  return sim.store.get('pods', 'default', name);
}

function eventsOf(name: string): AnyJson[] {
  return [...sim.store.scan('events', { namespace: 'default' })]
    .filter((e: AnyJson) => e.involvedObject.name === name)
    .sort(
      (a: AnyJson, b: AnyJson) => Number(a.metadata.resourceVersion) - Number(b.metadata.resourceVersion),
    );
}

describe('pods created through the API', () => {
  it('are stored with the defaults a real API server sets, status Pending with their QoS class', async () => {
    const created = await createPod({
      metadata: { name: 'defaults' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    const volume = created.spec.volumes[0].name as string;
    expect(volume).toMatch(/^kube-api-access-[a-z0-9]{5}$/);
    // What kube-apiserver v1.31 answers for `kubectl run defaults --image=nginx`'s pod.
    expect(created.spec).toEqual({
      volumes: [
        {
          name: volume,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              {
                downwardAPI: {
                  items: [
                    { path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
                  ],
                },
              },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: 'app',
          image: 'nginx',
          resources: {},
          volumeMounts: [
            { name: volume, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'Always',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        {
          key: 'node.kubernetes.io/not-ready',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
        {
          key: 'node.kubernetes.io/unreachable',
          operator: 'Exists',
          effect: 'NoExecute',
          tolerationSeconds: 300,
        },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    expect(created.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
  });

  it('keeps what the client set, and ignores the status it sent', async () => {
    const created = await createPod({
      metadata: { name: 'given' },
      spec: {
        automountServiceAccountToken: false,
        restartPolicy: 'OnFailure',
        serviceAccountName: 'builder',
        terminationGracePeriodSeconds: 5,
        tolerations: [{ operator: 'Exists' }],
        containers: [{ name: 'app', image: 'registry.acme.io/app:1.2', imagePullPolicy: 'Never' }],
      },
      status: { phase: 'Running' },
    });
    expect(created.spec.volumes).toBeUndefined();
    expect(created.spec.containers[0].volumeMounts).toBeUndefined();
    expect(created.spec.containers[0].imagePullPolicy).toBe('Never');
    expect(created.spec.restartPolicy).toBe('OnFailure');
    expect(created.spec.serviceAccount).toBe('builder');
    expect(created.spec.terminationGracePeriodSeconds).toBe(5);
    // A toleration of everything tolerates not-ready and unreachable: nothing is added.
    expect(created.spec.tolerations).toEqual([{ operator: 'Exists' }]);
    expect(created.status.phase).toBe('Pending');
  });

  it('get imagePullPolicy from the tag: Always for latest or none, IfNotPresent for a tag or digest', async () => {
    const created = await createPod({
      metadata: { name: 'pulls' },
      spec: {
        containers: [
          { name: 'a', image: 'nginx:latest' },
          { name: 'b', image: 'registry.acme.io:5000/app' },
          { name: 'c', image: 'nginx:1.27' },
          {
            name: 'd',
            image: 'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
          },
        ],
      },
    });
    expect(created.spec.containers.map((c: AnyJson) => c.imagePullPolicy)).toEqual([
      'Always',
      'Always',
      'IfNotPresent',
      'IfNotPresent',
    ]);
  });

  it('get the QoS class Kubernetes computes, limits defaulting the requests', async () => {
    const qos = async (name: string, containers: AnyJson[], initContainers?: AnyJson[]) =>
      (await createPod({ metadata: { name }, spec: { containers, initContainers } })).status.qosClass;
    const c = (name: string, resources: AnyJson) => ({ name, image: 'busybox:1.36', resources });
    expect(await qos('qos-g', [c('a', { limits: { cpu: '100m', memory: '64Mi' } })])).toBe('Guaranteed');
    expect(pod('qos-g').spec.containers[0].resources.requests).toEqual({ cpu: '100m', memory: '64Mi' });
    expect(
      await qos('qos-g2', [
        c('a', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } }),
        c('b', { limits: { cpu: '250m', memory: '128Mi' } }),
      ]),
    ).toBe('Guaranteed');
    expect(await qos('qos-b', [c('a', { requests: { cpu: '100m' } })])).toBe('Burstable');
    expect(await qos('qos-b2', [c('a', { limits: { cpu: '100m', memory: '64Mi' } }), c('b', {})])).toBe(
      'Burstable',
    );
    expect(
      await qos(
        'qos-b3',
        [c('a', { limits: { cpu: '100m', memory: '64Mi' } })],
        [c('init', { requests: { cpu: '50m' } })],
      ),
    ).toBe('Burstable');
    expect(await qos('qos-be', [c('a', {}), c('b', {})])).toBe('BestEffort');
  });
});

describe('a pod from kubectl run', () => {
  it('is scheduled, started and Running, and describe shows the events of its life', async () => {
    await kubectl.ok(['run', 'web', '--image=nginx:1.27', '--restart=Always']);
    expect(pod('web').status.phase).toBe('Pending');
    clock.advance(0);
    const bound = pod('web');
    expect(bound.spec.nodeName).toMatch(/^node-/);
    // The sandbox: containers being created, not ready yet.
    const creating = bound.status;
    expect(creating.phase).toBe('Pending');
    expect(creating.hostIP).toBeTruthy();
    expect(creating.containerStatuses[0].state.waiting.reason).toBe('ContainerCreating');
    expect(creating.conditions.find((c: AnyJson) => c.type === 'PodScheduled').status).toBe('True');
    let table = rows(await kubectl.ok(['get', 'pod', 'web']));
    expect(table[1].slice(1, 3)).toEqual(['0/1', 'ContainerCreating']);

    clock.advance(pullMs(bound));
    const running = pod('web').status;
    expect(running.phase).toBe('Running');
    expect(running.podIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(running.startTime).toBe(creating.startTime);
    expect(running.containerStatuses[0]).toMatchObject({ ready: true, started: true, restartCount: 0 });
    expect(running.containerStatuses[0].state.running.startedAt).toBeTruthy();
    expect(running.conditions.find((c: AnyJson) => c.type === 'Ready').status).toBe('True');
    table = rows(await kubectl.ok(['get', 'pod', 'web']));
    expect(table[1].slice(1, 4)).toEqual(['1/1', 'Running', '0']);

    // It keeps running: restartPolicy Always.
    clock.advance(60_000);
    expect(pod('web').status.phase).toBe('Running');

    expect(eventsOf('web').map((e) => `${e.type} ${e.reason} ${e.source.component}: ${e.message}`)).toEqual([
      `Normal Scheduled default-scheduler: Successfully assigned default/web to ${bound.spec.nodeName}`,
      'Normal Pulling kubelet: Pulling image "nginx:1.27"',
      expect.stringMatching(/^Normal Pulled kubelet: Successfully pulled image "nginx:1.27" in [\d.]+s/),
      'Normal Created kubelet: Created container web',
      'Normal Started kubelet: Started container web',
    ]);
    const described = await kubectl.ok(['describe', 'pod', 'web']);
    expect(described).toMatch(/Status:\s+Running/);
    expect(described).toMatch(/QoS Class:\s+BestEffort/);
    for (const reason of ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started']) {
      expect(described).toMatch(new RegExp(`Normal\\s+${reason}\\s`));
    }
    expect(described).toContain(`Successfully assigned default/web to ${bound.spec.nodeName}`);
  });

  it('with --restart=Never runs its command to completion: Completed', async () => {
    await kubectl.ok(['run', 'once', '--image=busybox:1.36', '--restart=Never', '--', 'true']);
    clock.advance(0);
    clock.advance(pullMs(pod('once')));
    expect(pod('once').status.phase).toBe('Running');
    const containerID = pod('once').status.containerStatuses[0].containerID;
    clock.advance(runMs(pod('once')));
    const done = pod('once').status;
    expect(done.phase).toBe('Succeeded');
    expect(done.containerStatuses[0].state.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
      containerID,
    });
    expect(done.conditions.find((c: AnyJson) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'PodCompleted',
    });
    const table = rows(await kubectl.ok(['get', 'pod', 'once']));
    expect(table[1].slice(1, 3)).toEqual(['0/1', 'Completed']);
  });

  it('deleted, is stopped by its kubelet with a Killing event', async () => {
    await kubectl.ok(['run', 'doomed', '--image=nginx:1.27']);
    clock.advance(0);
    clock.advance(pullMs(pod('doomed')));
    expect(pod('doomed').status.phase).toBe('Running');
    await kubectl.ok(['delete', 'pod', 'doomed', '--wait=false']);
    clock.advance(0);
    const killing = eventsOf('doomed').find((e) => e.reason === 'Killing');
    expect(killing).toMatchObject({
      type: 'Normal',
      message: 'Stopping container doomed',
      involvedObject: { fieldPath: 'spec.containers{doomed}' },
      source: { component: 'kubelet' },
    });
    clock.advance(30_000);
    expect(pod('doomed')).toBeUndefined();
  });
});

describe('a job from kubectl create job', () => {
  it('runs its pod where it fits and is Complete, with SuccessfulCreate and Completed events', async () => {
    await kubectl.ok(['create', 'job', 'report', '--image=busybox:1.36', '--', 'echo', 'hi']);
    for (let i = 0; i < 20 && !jobDone('report'); i++) clock.advance(1000);
    expect(jobDone('report')).toBe(true);
    const job = sim.store.get('jobs', 'default', 'report')!;
    const jobEvents = eventsOf('report').filter((e) => e.involvedObject.kind === 'Job');
    const podName = jobEvents[0]?.message.replace('Created pod: ', '');
    expect(jobEvents.map((e) => `${e.reason} ${e.source.component}: ${e.message}`)).toEqual([
      `SuccessfulCreate job-controller: Created pod: ${podName}`,
      'Completed job-controller: Job completed',
    ]);
    expect(eventsOf(podName).map((e) => e.reason)).toEqual([
      'Scheduled',
      'Pulling',
      'Pulled',
      'Created',
      'Started',
    ]);
    const described = await kubectl.ok(['describe', 'job', 'report']);
    expect(described).toMatch(/Normal\s+SuccessfulCreate\s/);
    expect(described).toMatch(/Normal\s+Completed\s/);
    expect(job.status?.succeeded).toBe(1);
  });
});

function jobDone(name: string): boolean {
  const job = sim.store.get('jobs', 'default', name);
  return ((job?.status?.conditions ?? []) as AnyJson[]).some(
    (c) => c.type === 'Complete' && c.status === 'True',
  );
}
