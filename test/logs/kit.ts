import { parsePrometheusText } from '../../src/simulator/metrics.js';
/**
 * What the log tests share: a harness gateway on a simulator whose clock is a FakeClock
 * (container logs are generated on it: a follow gets new lines when a test moves it), the
 * simulator's count of open pods/log requests (its `apiserver_longrunning_requests`), the
 * pods to read, and the queries.
 */

import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, type HarnessOptions, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { metric } from '../simulator/sim-kit.js';
import type { Json } from '../subscriptions/clients.js';

export const T0 = Date.parse('2030-01-01T00:00:00Z');

export interface LogsHarness {
  h: Harness;
  clock: FakeClock;
}

/** A still simulator (no churn, jobs that never step on their own) on a fake clock, and a gateway over it. */
export async function startLogsHarness(
  options: HarnessOptions & { start?: number; jobStepMs?: number } = {},
): Promise<LogsHarness> {
  const clock = new FakeClock(options.start ?? T0);
  const h = await startHarness({
    ...options,
    simulator: {
      scenario: { nodes: 3, pods: 30, jobs: 2, namespaces: 2, seed: 11, now: new Date(options.start ?? T0) },
      jobStepMs: options.jobStepMs ?? 3_600_000,
      jobFailureRate: 0,
      nodeLeaseRenewMs: 0,
      ...options.simulator,
      clock,
    },
  });
  return { h, clock };
}

/** pods/log requests the simulator is answering now (a follow stays open while it runs). */
export async function openLogRequests(h: Harness): Promise<number> {
  return metric(await h.upstream(), 'apiserver_longrunning_requests', { verb: 'GET', resource: 'pods/log' });
}

/** Waits until the simulator answers exactly `n` pods/log requests. */
export async function untilOpenLogRequests(h: Harness, n: number): Promise<void> {
  let last = -1;
  await waitFor(
    async () => {
      last = await openLogRequests(h);
      return last === n;
    },
    { message: `${n} open pods/log requests at the simulator`, observe: () => `${last} open` },
  );
}

/** pods/log requests the simulator has finished answering, by status code. */
export async function logRequestsDone(h: Harness, code = '200'): Promise<number> {
  return metric(await h.upstream(), 'apiserver_request_total', { verb: 'GET', resource: 'pods/log', code });
}

/** Running pods of the simulator whose containers all run, of `containers` containers, never restarted (unless `restarted`). */
export function runningPods(
  h: Harness,
  options: { containers?: number; restarted?: boolean; namespace?: string } = {},
): Json[] {
  return [...h.sim.store.scan('pods')]
    .filter((p: Json) => {
      const statuses: Json[] = p.status?.containerStatuses ?? [];
      return (
        p.status?.phase === 'Running' &&
        !p.metadata.namespace.startsWith('kube-') &&
        (options.namespace === undefined || p.metadata.namespace === options.namespace) &&
        statuses.length > 0 &&
        statuses.every((s) => s.state?.running) &&
        (options.containers === undefined || p.spec.containers.length === options.containers) &&
        (options.restarted === undefined || statuses.some((s) => s.restartCount > 0) === options.restarted)
      );
    })
    .sort((a: Json, b: Json) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

export const POD_LOGS = `query($ns: String!, $name: String!, $container: String, $tail: Int, $since: Int, $previous: Boolean, $limit: Int) {
  cluster(name: "sim") { pod(namespace: $ns, name: $name) {
    logs(container: $container, tailLines: $tail, sinceSeconds: $since, previous: $previous, limitBytes: $limit) {
      truncated lines { timestamp exactTimestamp text container pod namespace cluster }
    } } } }`;

export const POD_LOGS_SUB = `subscription($ns: String!, $name: String!, $container: String, $tail: Int) {
  podLogs(cluster: "sim", namespace: $ns, name: $name, container: $container, tailLines: $tail) {
    exactTimestamp text container pod } }`;

export const JOB_LOGS_SUB = `subscription($ns: String!, $name: String!, $tail: Int) {
  jobLogs(cluster: "sim", namespace: $ns, name: $name, tailLines: $tail) { exactTimestamp text container pod } }`;

export const WORKLOAD_LOGS_SUB = `subscription($ns: String!, $selector: String!, $tail: Int) {
  workloadLogs(cluster: "sim", namespace: $ns, labelSelector: $selector, tailLines: $tail) {
    exactTimestamp text container pod } }`;

/** The lines of a plain-text log body. */
export const textLines = (body: string) => (body.endsWith('\n') ? body.slice(0, -1) : body).split('\n');

/** The gateway's log gauges for cluster `sim` (`kubegate_log_streams`, `kubegate_log_followers`), read as `token`. */
export async function logGauges(h: Harness, token: string): Promise<{ streams: number; followers: number }> {
  const res = await fetch(h.url.replace(/\/graphql$/, '/metrics'), {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  const values = parsePrometheusText(await res.text());
  return {
    streams: values.get('kubegate_log_streams{cluster="sim"}') ?? 0,
    followers: values.get('kubegate_log_followers{cluster="sim"}') ?? 0,
  };
}
