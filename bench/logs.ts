/**
 * Log follow benchmark (issue 14): how long a container's new log line takes from the
 * simulator writing it to 100 subscribers of `podLogs` receiving it, all of them served by
 * one upstream follow request. Beside it, the same lines followed straight from the
 * simulator (one HTTPS follow, as `kubectl logs -f`), which is the floor: the simulator's own
 * timer lateness and the network.
 *
 *   npm run bench:logs -- [--subscribers 100] [--seconds 60] [--out DIR]
 *
 * The simulator and the gateway run as child processes (`src/simulator/cli.ts`,
 * `src/main.ts`, open on 127.0.0.1), on the wall clock: the simulator writes each line when
 * its clock reaches the line's timestamp, so latency = arrival time − the line's timestamp
 * (both on this machine's clock, to the millisecond). Subscribers are graphql-ws clients,
 * 25 to a WebSocket. Results: bench/results/logs.json and .md (or --out), and the table on
 * stdout. The benchmark asserts nothing.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import { Agent, request, fetch as undiciFetch } from 'undici';
import WebSocket from 'ws';
import { parse as parseYaml } from 'yaml';
import { parsePrometheusText } from '../src/simulator/metrics.js';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { startGateway } from './lib/gateway.js';
import { machineInfo } from './lib/machine.js';
import { percentile, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = join(ROOT, 'bench', 'results');

const { values } = parseArgs({
  options: {
    subscribers: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '60' },
    /** Where logs.json and logs.md go (default bench/results). */
    out: { type: 'string' },
  },
});
const out = values.out ? resolve(values.out) : RESULTS;
const subscribers = Number(values.subscribers);
const seconds = Number(values.seconds);

// biome-ignore lint/suspicious/noExplicitAny: API objects are open-ended JSON
type Json = any;

/** Milliseconds of an RFC 3339 timestamp with nanoseconds. */
const millis = (timestamp: string) => Date.parse(timestamp.replace(/(\.\d{3})\d+/, '$1'));

async function main(): Promise<void> {
  killChildrenOnExit();
  const workDir = mkdtempSync(join(tmpdir(), 'kubegate-bench-logs-'));
  const logDir = join(workDir, 'logs');
  mkdirSync(logDir);
  const machine = machineInfo();
  process.stderr.write(`machine: ${machine.cpuModel}, ${machine.cores} cores; logs in ${logDir}\n`);
  try {
    const upstream = await startUpstream(
      { name: 'logs', nodes: 3, pods: 30, jobs: 1, namespaces: 2 },
      { cwd: ROOT, logDir, workDir, churn: 0, seed: 7 },
    );
    const gateway = await startGateway({
      name: 'gateway-logs',
      kubeconfig: upstream.kubeconfigPath,
      cache: true,
      cwd: ROOT,
      logDir,
      syncTimeoutMs: 120_000,
    });
    const pods = (await upstream.request('/api/v1/pods')).body as Json;
    const pod = pods.items.find(
      (p: Json) =>
        p.status?.phase === 'Running' &&
        p.spec.containers.length === 1 &&
        p.status.containerStatuses?.[0]?.state?.running &&
        !p.metadata.namespace.startsWith('kube-'),
    );
    if (!pod) throw new Error('no running single-container pod to follow');
    const { namespace, name } = pod.metadata;

    // The floor: the same lines followed straight from the simulator.
    const kubeconfig = parseYaml(readFileSync(upstream.kubeconfigPath, 'utf8')) as Json;
    const ca = Buffer.from(kubeconfig.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
    const agent = new Agent({ connect: { ca } });
    const direct: number[] = [];
    const abort = new AbortController();
    const follow = await request(
      `${upstream.url}/api/v1/namespaces/${namespace}/pods/${name}/log?follow=true&timestamps=true&tailLines=0`,
      {
        headers: { authorization: `Bearer ${kubeconfig.users[0].user.token}` },
        dispatcher: agent,
        signal: abort.signal,
      },
    );
    const directDone = (async () => {
      let pending = '';
      try {
        for await (const chunk of follow.body) {
          const now = Date.now();
          pending += chunk.toString();
          const lines = pending.split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) direct.push(now - millis(line.slice(0, line.indexOf(' '))));
        }
      } catch {
        // aborted at the end
      }
    })();

    const perSocket = 25;
    const clients = Array.from({ length: Math.ceil(subscribers / perSocket) }, () =>
      createClient({ url: gateway.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0 }),
    );
    const latencies: number[] = [];
    const received = new Array<number>(subscribers).fill(0);
    const errors: unknown[] = [];
    const stops = Array.from({ length: subscribers }, (_, i) =>
      clients[Math.floor(i / perSocket)].subscribe(
        {
          query: `subscription($c: String!, $ns: String!, $n: String!) {
            podLogs(cluster: $c, namespace: $ns, name: $n, tailLines: 1) { exactTimestamp text } }`,
          variables: { c: gateway.cluster, ns: namespace, n: name },
        },
        {
          next: (result: Json) => {
            const now = Date.now();
            if (result.errors) errors.push(result.errors);
            const line = result.data?.podLogs;
            if (!line) return;
            received[i] += 1;
            latencies.push(now - millis(line.exactTimestamp));
          },
          error: (err) => errors.push(err),
          complete: () => undefined,
        },
      ),
    );
    // Every subscription is open once it has its tail line (the first opened the upstream
    // request, the rest joined it); what is measured starts after.
    const metric = async (key: string) =>
      parsePrometheusText(
        await (await undiciFetch(`${upstream.url}/metrics`, { dispatcher: agent })).text(),
      ).get(key) ?? 0;
    const openBy = Date.now() + 60_000;
    while (received.some((n) => n === 0)) {
      if (Date.now() > openBy) throw new Error(`subscriptions did not open: ${JSON.stringify(errors)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    latencies.length = 0;
    received.fill(0);
    direct.length = 0;
    const openLogRequests = await metric('apiserver_longrunning_requests{verb="GET",resource="pods/log"}');
    await new Promise((r) => setTimeout(r, seconds * 1000));
    for (const stop of stops) stop();
    await Promise.all(clients.map((c) => c.dispose()));
    abort.abort();
    await directDone;

    const row = (samples: number[]) => ({
      n: samples.length,
      p50: round(percentile(samples, 50), 1),
      p99: round(percentile(samples, 99), 1),
      max: samples.length ? Math.max(...samples) : 0,
    });
    const results = {
      gateway: row(latencies),
      direct: row(direct),
      subscribers,
      seconds,
      linesPerSubscriber: { min: Math.min(...received), max: Math.max(...received) },
      // One of them is the benchmark's own direct follow.
      upstreamLogRequestsOpen: openLogRequests,
      errors: errors.length,
    };
    const md = [
      `Log follow: ${subscribers} subscribers of one pod's log through the gateway for ${seconds} s (and one direct follow of the simulator), ${machine.cores} cores (${machine.cpuModel}). Milliseconds from the line's timestamp (when the simulator writes it) to its arrival.`,
      '',
      '| path | lines received | p50 | p99 | max |',
      '|---|---|---|---|---|',
      `| straight from the simulator (1 follow) | ${results.direct.n} | ${results.direct.p50} | ${results.direct.p99} | ${results.direct.max} |`,
      `| through the gateway (${subscribers} subscribers) | ${results.gateway.n} | ${results.gateway.p50} | ${results.gateway.p99} | ${results.gateway.max} |`,
      '',
      `Lines per subscriber: ${results.linesPerSubscriber.min}–${results.linesPerSubscriber.max}. Open pods/log requests at the simulator while following: ${openLogRequests} (the gateway's one and the direct one). Errors: ${errors.length}.`,
      '',
    ].join('\n');
    process.stdout.write(`${md}\n`);
    mkdirSync(out, { recursive: true });
    writeFileSync(
      join(out, 'logs.json'),
      `${JSON.stringify({ at: new Date().toISOString(), machine, ...results }, null, 2)}\n`,
    );
    writeFileSync(join(out, 'logs.md'), md);
  } finally {
    await stopAll();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
