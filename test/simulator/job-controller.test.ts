import { afterEach, describe, expect, it } from 'vitest';
import { JobController, jobFinished } from '../../src/simulator/job-controller.js';
import { buildScenario, mulberry32, schedulableNodes } from '../../src/simulator/scenario/index.js';
import { SimStore } from '../../src/simulator/store.js';
import type { KubeObject, StoredEvent } from '../../src/simulator/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

type Json = Record<string, unknown>;

const NOW = new Date('2025-06-01T12:00:00Z');
const STEP = 1000;

let controllers: JobController[] = [];
afterEach(() => {
  for (const c of controllers) c.stop();
  controllers = [];
});

function setup(opts: { failureRate?: number; jobs?: number } = {}) {
  const store = new SimStore({ now: () => new Date(NOW.getTime() + clock.now()) });
  const clock = new FakeClock();
  buildScenario(store, { seed: 11, nodes: 30, pods: 200, jobs: opts.jobs ?? 0, namespaces: 2, now: NOW });
  const controller = new JobController(store, {
    clock,
    stepMs: STEP,
    random: mulberry32(5),
    failureRate: opts.failureRate ?? 0,
    now: () => new Date(NOW.getTime() + clock.now()),
  });
  controllers.push(controller);
  return { store, clock, controller };
}

function jobManifest(name: string, spec: Json = {}): KubeObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: {
      completions: 3,
      parallelism: 2,
      backoffLimit: 1,
      template: {
        spec: {
          containers: [{ name: 'work', image: 'docker.io/library/busybox:1.36.1', command: ['true'] }],
          restartPolicy: 'Never',
        },
      },
      ...spec,
    },
  };
}

function podsOf(store: SimStore, job: KubeObject): KubeObject[] {
  return [...store.scan('pods', { namespace: job.metadata.namespace })].filter(
    (p) => p.metadata.labels?.['batch.kubernetes.io/controller-uid'] === job.metadata.uid,
  );
}

function runUntilFinished(store: SimStore, clock: FakeClock, name: string, maxSteps = 60): KubeObject {
  for (let i = 0; i < maxSteps; i++) {
    const job = store.get('jobs', 'default', name)!;
    if (jobFinished(job)) return job;
    clock.advance(STEP);
  }
  throw new Error(
    `job ${name} did not finish in ${maxSteps} steps: ${JSON.stringify(store.get('jobs', 'default', name)?.status)}`,
  );
}

describe('JobController', () => {
  it('runs a job created through the API to completion with the right pods', () => {
    const { store, clock, controller } = setup();
    controller.start();
    let maxActive = 0;
    const active = new Set<string>();
    store.subscribe('pods', (e: StoredEvent) => {
      const phase = e.object.status?.phase;
      if (e.type !== 'DELETED' && (phase === 'Pending' || phase === 'Running'))
        active.add(e.object.metadata.name);
      else active.delete(e.object.metadata.name);
      maxActive = Math.max(maxActive, active.size);
    });
    const created = store.create('jobs', jobManifest('report'));

    const job = runUntilFinished(store, clock, 'report');
    expect(jobFinished(job)).toBe('Complete');
    expect(job.status).toMatchObject({ succeeded: 3, ready: 0, terminating: 0 });
    expect(job.status.active).toBeUndefined();
    expect(job.status.failed).toBeUndefined();
    expect(job.status.startTime).toBeTruthy();
    expect(job.status.completionTime).toBeTruthy();
    expect((job.status.conditions as Json[]).map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(job.spec.selector).toEqual({
      matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid },
    });

    const pods = podsOf(store, job);
    expect(pods.map((p) => p.status!.phase)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    expect(maxActive).toBe(2);
    const schedulable = new Set(schedulableNodes(store).map((n) => n.metadata.name));
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(/^report-[a-z0-9]{5}$/);
      expect(pod.metadata.labels).toMatchObject({
        'job-name': 'report',
        'batch.kubernetes.io/job-name': 'report',
        'controller-uid': created.metadata.uid,
        'batch.kubernetes.io/controller-uid': created.metadata.uid,
      });
      expect(pod.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'batch/v1',
          kind: 'Job',
          name: 'report',
          uid: created.metadata.uid,
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(schedulable.has(pod.spec!.nodeName)).toBe(true);
      expect(pod.metadata.finalizers).toBeUndefined();
      expect((pod.status!.containerStatuses as Json[])[0].state).toMatchObject({
        terminated: { reason: 'Completed' },
      });
    }
    expect(controller.activeJobs).toBe(0);
  });

  it('never writes from inside a store listener: nothing happens until the clock moves', () => {
    const { store, clock, controller } = setup();
    controller.start();
    const seen: string[] = [];
    store.subscribe('jobs', (e) => seen.push(e.type));
    const created = store.create('jobs', jobManifest('quiet'));
    expect(seen).toEqual(['ADDED']);
    expect(podsOf(store, created)).toEqual([]);
    clock.advance(0);
    expect(podsOf(store, created).length).toBe(2);
    expect(seen[1]).toBe('MODIFIED');
  });

  it('fails a job once its pods fail more often than backoffLimit', () => {
    const { store, clock, controller } = setup({ failureRate: 1 });
    controller.start();
    store.create('jobs', jobManifest('flaky', { completions: 2, parallelism: 1, backoffLimit: 1 }));
    const job = runUntilFinished(store, clock, 'flaky');
    expect(jobFinished(job)).toBe('Failed');
    expect(job.status.failed).toBe(2);
    expect(job.status.active).toBeUndefined();
    expect(job.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Failed', reason: 'BackoffLimitExceeded' }),
    );
    const phases = podsOf(store, job).map((p) => p.status!.phase);
    expect(phases).toEqual(['Failed', 'Failed']);
  });

  it('deletes the pods of a deleted job', () => {
    const { store, clock, controller } = setup();
    controller.start();
    const job = store.create('jobs', jobManifest('doomed', { completions: 5, parallelism: 3 }));
    clock.advance(STEP);
    expect(podsOf(store, job).length).toBe(3);
    store.delete('jobs', 'default', 'doomed');
    clock.advance(0);
    expect(podsOf(store, job)).toEqual([]);
    clock.advance(10 * STEP);
    expect(podsOf(store, job)).toEqual([]);
    expect(controller.activeJobs).toBe(0);
  });

  it('deletes the active pods of a suspended job and resumes it later', () => {
    const { store, clock, controller } = setup();
    controller.start();
    const job = store.create('jobs', jobManifest('paused', { completions: 4, parallelism: 2 }));
    clock.advance(0);
    expect(podsOf(store, job).length).toBe(2);
    store.patch('jobs', 'default', 'paused', { spec: { suspend: true } });
    clock.advance(0);
    expect(podsOf(store, job).filter((p) => p.status!.phase !== 'Succeeded')).toEqual([]);
    const suspended = store.get('jobs', 'default', 'paused')!;
    expect(suspended.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'True' }),
    );
    clock.advance(5 * STEP);
    store.patch('jobs', 'default', 'paused', { spec: { suspend: false } });
    const done = runUntilFinished(store, clock, 'paused');
    expect(jobFinished(done)).toBe('Complete');
    expect(done.status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Suspended', status: 'False' }),
    );
  });

  it('adopts the running jobs of a scenario and finishes them', () => {
    const { store, clock, controller } = setup({ jobs: 40 });
    const running = [...store.scan('jobs')].filter((j) => !jobFinished(j) && !j.spec.suspend);
    expect(running.length).toBeGreaterThan(0);
    controller.start();
    expect(controller.activeJobs).toBe(running.length);
    clock.advance(40 * STEP);
    for (const job of running) {
      const now = store.get('jobs', job.metadata.namespace, job.metadata.name)!;
      expect(jobFinished(now)).toBe('Complete');
      const pods = podsOf(store, now);
      expect(pods.every((p) => p.status!.phase === 'Succeeded' || p.status!.phase === 'Failed')).toBe(true);
    }
    expect(controller.activeJobs).toBe(0);
  });

  it('stops: no timers left and later jobs are not run', () => {
    const { store, clock, controller } = setup();
    controller.start();
    store.create('jobs', jobManifest('first'));
    controller.stop();
    expect(clock.pending).toBe(0);
    const job = store.create('jobs', jobManifest('second'));
    clock.advance(10 * STEP);
    expect(podsOf(store, job)).toEqual([]);
  });
});
