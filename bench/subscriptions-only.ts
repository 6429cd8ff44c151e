/**
 * `npx tsx bench/subscriptions-only.ts [subscribers] [events] [sse,ws] [distinct]`: only the
 * subscription-latency figures of the full bench, at size S (SIZE=L for L; SETTLE_S seconds
 * of wait after ready, default 40 at L), for working on them (the full run takes forty minutes). Same simulator, gateway and clients as `npm run bench`.
 * KUBEGATE_BENCH_CPU_PROF=DIR profiles the gateway and the simulator. Each line also gives
 * the gateway's CPU time (user + system, from /proc) per delivered event, over the run
 * (connections included) and over the timed events alone: on a shared machine latency swings
 * with the load, its CPU cost per event much less.
 * As `npm run bench` runs it, the harness takes a larger young generation (HARNESS_SEMI_SPACE in
 * lib/machine.ts): `node --max-semi-space-size=64 --import tsx bench/subscriptions-only.ts ...`.
 * KUBEGATE_BENCH_EVENT_LOG=1 prints every timed event: its first and last delivery, this
 * process's GC pauses, and the CPU of the gateway, the API server and this process over it.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { HARNESS_SEMI_SPACE, harnessFlags, processCpuMs } from './lib/machine.js';
import { subscriptionDocument } from './lib/operations.js';
import { subscriberLimitEnv } from './lib/size-run.js';
import { describeSlowest, measureSubscriptionLatency, type Transport } from './lib/subscriptions.js';
import { startUpstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const counts = (args[0] ?? '1000').split(',').map(Number);
if (!harnessFlags().includes(HARNESS_SEMI_SPACE))
  console.error(
    `note: without ${HARNESS_SEMI_SPACE} (as npm run bench runs) the harness's own GC may show in the figures`,
  );
const events = Number(args[1] ?? 20);
const transports = (args[2] ?? 'sse,ws').split(',') as Transport[];
const distinct = args[3] === 'distinct';
killChildrenOnExit();
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'kubegate-subs-'));
const size = SIZES[process.env.SIZE ?? 'S'];
if (!size) throw new Error(`SIZE: expected one of ${Object.keys(SIZES).join(', ')}, got ${process.env.SIZE}`);
const upstream = await startUpstream(size, {
  cwd: root,
  logDir: work,
  workDir: work,
  churn: 20,
  seed: 42,
});
const gateway = await startGateway({
  name: 'B',
  kubeconfig: upstream.kubeconfigPath,
  cache: true,
  cwd: root,
  logDir: work,
  syncTimeoutMs: 120_000,
  env: subscriberLimitEnv(Math.max(...counts)),
});
if (process.env.KUBEGATE_BENCH_EVENT_LOG) {
  // The gateway's start on the wall clock: its GC trace counts milliseconds from there.
  const ticks = Number(readFileSync(`/proc/${gateway.child.pid}/stat`, 'utf8').split(') ')[1].split(' ')[19]);
  const boot = Number(readFileSync('/proc/stat', 'utf8').match(/^btime (\d+)/m)?.[1]);
  console.error(
    `gateway started at ${new Date(boot * 1000 + ticks * 10).toISOString()} (pid ${gateway.child.pid})`,
  );
}
// Readiness does not wait for Events, whose LIST at L still runs for a while after it: as the
// full bench (which measures subscriptions after every latency cell), measure once it is over.
const settleS = Number(process.env.SETTLE_S ?? (size.name === 'S' ? 0 : 40));
await new Promise((done) => setTimeout(done, settleS * 1000));
const doc = subscriptionDocument(buildSchema(readFileSync('schema/schema.graphql', 'utf8')));
if (!('query' in doc)) throw new Error(doc.unavailable);
for (const transport of transports) {
  for (const subscribers of counts) {
    const cpuBefore = processCpuMs(gateway.child.pid) ?? 0;
    const f = await measureSubscriptionLatency({
      url: gateway.url,
      query: doc.query,
      cluster: gateway.cluster,
      upstream,
      transport,
      subscribers,
      events,
      // As the bench's fan-out row: 10,000 subscribers may take seconds per event on a busy machine.
      eventTimeoutMs: Math.max(5_000, subscribers * 3),
      distinct,
      cpuMs: () => processCpuMs(gateway.child.pid),
    });
    const cpu = (processCpuMs(gateway.child.pid) ?? 0) - cpuBefore;
    const timed =
      f.timedCpuMs === undefined
        ? ''
        : `; during the timed events ${Math.round(f.timedCpuMs)} ms, ${((f.timedCpuMs / Math.max(1, f.samples)) * 1000).toFixed(1)} µs per delivered event (the subscribers' process: ${(((f.clientCpuMs ?? 0) / Math.max(1, f.samples)) * 1000).toFixed(1)} µs)`;
    console.log(
      `${transport} ×${subscribers}: p50 ${f.p50Ms} ms, p99 ${f.p99Ms} ms (${f.samples} samples, ${f.lost} lost); gateway CPU ${Math.round(cpu)} ms over the run (connections included), ${((cpu / Math.max(1, f.samples)) * 1000).toFixed(1)} µs per delivered event${timed}${f.slowestEvent ? `; ${describeSlowest(f.slowestEvent)}` : ''}${f.error ? `; ${f.error}` : ''}`,
    );
  }
}
// A profiled gateway drains before it exits and writes its profile: give it the time.
if (process.env.KUBEGATE_BENCH_CPU_PROF) await gateway.child.stop(120_000);
await stopAll();

console.log(`logs in ${work}`);
