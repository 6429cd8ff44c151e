/**
 * Gateway restart against a fleet: how long a freshly started kubegate takes until /readyz
 * reports every cluster synced, how many pod LIST pages it costs the clusters' API servers to
 * get there, and (with --poll) how a dashboard polling it meanwhile is answered.
 *
 *   npx tsx bench/restart-poll.ts --kubeconfig FILE --tree DIR --port N --label NAME [--poll] [--log FILE]
 *
 * Before the start it reads every context's `/metrics` (`kubectl get --raw`) and sums the
 * `apiserver_request_total` samples with verb="LIST" and resource="pods" (LIST pages of pods;
 * the simulator counts them as an API server does). It then starts `npx tsx src/main.ts
 * --kubeconfig FILE --port N --log-level warn` in DIR (a worktree of an older commit can be
 * measured; it needs a node_modules, e.g. a symlink to this tree's), detached in its own
 * process group, output to /tmp/restart-poll-NAME.log (or --log), and every 0.5 s, for at
 * most 900 s, asks GET /readyz (5 s timeout): ready when it answers 200 with one
 * `...: synced` line per context. With --poll each round also POSTs
 * `{ clusters { name summary { nodes pods jobs } } }` to /graphql (120 s timeout) and keeps
 * its latency: polls counts the answered ones, poll_errors those with `errors` and the
 * requests that failed (but not a refused connection while the gateway starts). Then it reads
 * the metrics again, kills the gateway's process group (SIGKILL) and prints one JSON line:
 * {label, ready_s (null if never ready), polls, poll_errors, poll_p50_s, poll_max_s,
 * poll_clusters_answered (per answered poll, the clusters with a summary),
 * pod_lists_total, pod_lists_per_cluster (the per-context deltas, ascending)}.
 *
 * For example, a fleet of ten simulated clusters:
 *
 *   npx tsx src/simulator/cli.ts --clusters 10 --nodes 200 --pods 20000 --jobs 2000 \
 *     --namespaces 20 --seed 3 --churn 20 --port 0 --host 127.0.0.1 --kubeconfig-out /tmp/fleet10.kubeconfig &
 *   git worktree add --detach /tmp/base OLD_COMMIT && ln -s "$PWD/node_modules" /tmp/base/node_modules
 *   npx tsx bench/restart-poll.ts --kubeconfig /tmp/fleet10.kubeconfig --tree /tmp/base --port 4107 --label base-nopoll
 *   npx tsx bench/restart-poll.ts --kubeconfig /tmp/fleet10.kubeconfig --tree . --port 4107 --label change-nopoll
 *   npx tsx bench/restart-poll.ts --kubeconfig /tmp/fleet10.kubeconfig --tree /tmp/base --port 4107 --label base-poll --poll
 *   npx tsx bench/restart-poll.ts --kubeconfig /tmp/fleet10.kubeconfig --tree . --port 4107 --label change-poll --poll
 *
 * The simulator keeps its counters across runs: each run measures its own deltas.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { median } from './lib/stats.js';

const USAGE =
  'usage: npx tsx bench/restart-poll.ts --kubeconfig FILE --tree DIR --port N --label NAME [--poll] [--log FILE]';
const TIMEOUT_S = 900;
/**
 * The ports fetch refuses to connect to ("bad ports" of the Fetch standard, as undici has
 * them): a gateway on one would never be seen ready.
 */
const FETCH_BAD_PORTS = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104,
  109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515,
  526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049,
  3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);
const QUERY = JSON.stringify({ query: '{ clusters { name summary { nodes pods jobs } } }' });

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}\n`);
  process.exit(2);
}

function parse() {
  let values: {
    kubeconfig?: string;
    tree?: string;
    port?: string;
    label?: string;
    poll?: boolean;
    log?: string;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      options: {
        kubeconfig: { type: 'string' },
        tree: { type: 'string' },
        port: { type: 'string' },
        label: { type: 'string' },
        poll: { type: 'boolean', default: false },
        log: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (e) {
    usage((e as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const { kubeconfig, tree, port, label } = values;
  if (!kubeconfig) usage('--kubeconfig FILE: expected the fleet kubeconfig');
  if (!existsSync(kubeconfig) || !statSync(kubeconfig).isFile())
    usage(`--kubeconfig: expected a file, got ${kubeconfig}`);
  if (!tree) usage('--tree DIR: expected the kubegate tree to start the gateway from');
  if (!existsSync(join(tree, 'src', 'main.ts')))
    usage(`--tree: expected a kubegate tree (with src/main.ts), got ${tree}`);
  if (!port) usage('--port N: expected the gateway port');
  const portNumber = Number(port);
  if (!/^\d+$/.test(port) || portNumber < 1 || portNumber > 65535)
    usage(`--port: expected an integer from 1 to 65535, got ${port}`);
  if (FETCH_BAD_PORTS.has(portNumber))
    usage(
      `--port: expected a port fetch may connect to, got ${port} (one of the Fetch standard's bad ports)`,
    );
  if (!label) usage('--label NAME: expected a name for the run (and its log file)');
  if (label.includes('/')) usage(`--label: expected a name without '/', got ${label}`);
  if (values.log === '') usage('--log FILE: expected a file name');
  return {
    // Absolute: kubectl runs here, the gateway in the tree.
    kubeconfig: resolve(kubeconfig),
    tree: resolve(tree),
    port: portNumber,
    label,
    poll: values.poll === true,
    log: resolve(values.log ?? `/tmp/restart-poll-${label}.log`),
  };
}

const options = parse();

/** kubectl's stdout, whatever its exit status (as the Python it replaces); its failures on stderr. */
function kubectl(...args: string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', options.kubeconfig, ...args], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  if (r.error || r.status !== 0)
    process.stderr.write(`kubectl ${args.join(' ')}: ${r.error?.message ?? r.stderr.trim()}\n`);
  return r.stdout ?? '';
}

/** Per context: the sum of its API server's LIST-of-pods request counters. */
function podLists(): Map<string, number> {
  const out = new Map<string, number>();
  const contexts = kubectl('config', 'get-contexts', '-o', 'name').split(/\s+/).filter(Boolean);
  for (const context of contexts) {
    let n = 0;
    for (const line of kubectl('--context', context, 'get', '--raw', '/metrics').split(/\r?\n/)) {
      if (
        line.startsWith('apiserver_request_total{') &&
        line.includes('verb="LIST"') &&
        line.includes('resource="pods"')
      )
        n += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
    out.set(context, n);
  }
  return out;
}

/** Python's truthiness of a JSON value: null, false, 0, '', [] and {} are false. */
function truthy(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0;
  if (value !== null && typeof value === 'object') return Object.keys(value).length > 0;
  return Boolean(value);
}

function connectionRefused(e: unknown): boolean {
  const cause = (e as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code === 'ECONNREFUSED' || (cause?.errors ?? []).some((x) => x.code === 'ECONNREFUSED');
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

const before = podLists();
const nClusters = before.size;
const logFd = openSync(options.log, 'w');
const t0 = performance.now();
const gateway: ChildProcess = spawn(
  'npx',
  [
    'tsx',
    'src/main.ts',
    '--kubeconfig',
    options.kubeconfig,
    '--port',
    String(options.port),
    '--log-level',
    'warn',
  ],
  { cwd: options.tree, detached: true, stdio: ['ignore', logFd, logFd] },
);
closeSync(logFd);
gateway.on('error', (e) => process.stderr.write(`gateway: ${e.message}\n`));

let killed = false;
function killGateway(): void {
  if (killed || gateway.pid === undefined) return;
  killed = true;
  try {
    process.kill(-gateway.pid, 'SIGKILL');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
  }
}
// Its own process group does not get our Ctrl-C: take it down with us, whatever ends this run.
process.on('exit', killGateway);
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)
  process.once(signal, () => process.exit(code));

const url = `http://127.0.0.1:${options.port}`;
const latencies: number[] = [];
let errors = 0;
let polls = 0;
/** Per answered poll, how many clusters had a summary (the rest: an error at their path, or none). */
const answeredPerPoll: number[] = [];
let readyAt: number | null = null;
let after: Map<string, number>;
try {
  while (performance.now() - t0 < TIMEOUT_S * 1000) {
    try {
      const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      const body = await res.text();
      if (res.status === 200 && body.split('\n').filter((l) => l.endsWith(': synced')).length === nClusters) {
        readyAt = (performance.now() - t0) / 1000;
        break;
      }
    } catch {
      // not listening yet, or slow to answer
    }
    if (options.poll) {
      const start = performance.now();
      try {
        const res = await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: QUERY,
          signal: AbortSignal.timeout(120_000),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const answer: unknown = await res.json();
        polls++;
        if (answer === null || typeof answer !== 'object' || Array.isArray(answer))
          throw new Error('not a JSON object');
        if (truthy((answer as { errors?: unknown }).errors)) errors++;
        const clusters = (answer as { data?: { clusters?: { summary?: unknown }[] } | null }).data?.clusters;
        answeredPerPoll.push(clusters ? clusters.filter((c) => c.summary != null).length : 0);
        latencies.push((performance.now() - start) / 1000);
      } catch (e) {
        if (!connectionRefused(e)) {
          errors++;
          latencies.push((performance.now() - start) / 1000);
        }
      }
    }
    await sleep(500);
  }
  after = podLists();
} finally {
  killGateway();
}

const deltas = [...after.entries()].map(([context, n]) => n - (before.get(context) ?? 0));
console.log(
  JSON.stringify({
    label: options.label,
    ready_s: readyAt,
    polls,
    poll_errors: errors,
    poll_p50_s: latencies.length ? median(latencies) : null,
    poll_max_s: latencies.length ? Math.max(...latencies) : null,
    poll_clusters_answered: answeredPerPoll,
    pod_lists_total: deltas.reduce((a, b) => a + b, 0),
    pod_lists_per_cluster: deltas.sort((a, b) => a - b),
  }),
);
