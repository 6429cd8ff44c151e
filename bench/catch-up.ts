/**
 * A watch backlog's cost to requests (ARCHITECTURE, "Watch backlogs are applied as they are
 * read"): starts a gateway built by `npx tsc -p tsconfig.build.json --outDir DIR` (DIR inside
 * the repository, so node_modules resolve) on a kubeconfig, waits until every cluster has
 * synced and SETTLE ms more, then sends one pods page at a time for RUN_MS (default 40 s) while it SIGSTOPs the gateway for
 * STOP_MS at each of STOPS (ms into the run, default 10000,25000) and SIGCONTs it: the
 * answers in the 3 s after each SIGCONT are those that came while the backlog was applied.
 *
 *   npx tsx bench/catch-up.ts DIR KUBECONFIG PORT [STOP_MS = 2000]
 *
 * Session 33 ran it on `npx tsx src/simulator/cli.ts --clusters 10 --nodes 200 --pods 20000
 * --jobs 2000 --namespaces 20 --max-pods-per-namespace 3000 --churn 20 --port 0
 * --kubeconfig-out kc` with STOPS=5000,30000 RUN_MS=50000 and a 10 s stop.
 */
import { spawn } from 'node:child_process';
import { request } from 'undici';

const [dir, kc, port, stopMs = '2000'] = process.argv.slice(2);
const node = 'node_modules/node/bin/node';
const child = spawn(
  node,
  [
    '--max-old-space-size-percentage=75',
    '--no-allocation-site-pretenuring',
    `${dir}/main.js`,
    '--kubeconfig',
    kc,
    '--port',
    port,
    '--log-level',
    'warn',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const base = `http://127.0.0.1:${port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const t0 = performance.now();
for (;;) {
  await sleep(1000);
  try {
    const r = await request(`${base}/readyz`);
    const t = await r.body.text();
    if (r.statusCode === 200 && !t.includes('syncing')) break;
  } catch {
    // not listening yet
  }
}
console.log(`ready in ${Math.round(performance.now() - t0)} ms`);
await sleep(Number(process.env.SETTLE ?? 20000));
const cluster = JSON.stringify(process.env.CLUSTER ?? 'kubegate-simulator-3');
const body = JSON.stringify({
  query: `{ cluster(name: ${cluster}) { pods(first: 50) { edges { node { name phase } } } } }`,
});
const samples: { t: number; ms: number }[] = [];
{
  const r = await request(`${base}/graphql`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  console.log((await r.body.text()).slice(0, 120));
}
const start = performance.now();
const stops = (process.env.STOPS ?? '10000,25000').split(',').map(Number);
let stopped = 0;
const timer = setInterval(() => {
  const el = performance.now() - start;
  if (stopped < stops.length && el >= stops[stopped]) {
    stopped++;
    child.kill('SIGSTOP');
    setTimeout(() => child.kill('SIGCONT'), Number(stopMs));
  }
}, 50);
while (performance.now() - start < Number(process.env.RUN_MS ?? 40000)) {
  const s = performance.now();
  const r = await request(`${base}/graphql`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  await r.body.text();
  samples.push({ t: s - start, ms: performance.now() - s });
}
clearInterval(timer);
child.kill('SIGTERM');
const ms = samples.map((x) => x.ms).sort((a, b) => a - b);
const q = (p: number) => ms[Math.min(ms.length - 1, Math.floor(p * ms.length))].toFixed(1);
const after = (from: number) =>
  samples.filter((x) => x.t >= from + Number(stopMs) + 50 && x.t < from + Number(stopMs) + 3000);
const summary = stops.map((st) => {
  const a = after(st);
  const m = a.map((x) => x.ms);
  return `${a.length} req in the 3 s after CONT: max ${Math.max(...m).toFixed(0)} ms, >50 ms: ${m.filter((x) => x > 50).length}, sum ${m.reduce((x, y) => x + y, 0).toFixed(0)} ms`;
});
console.log(
  `${dir}: ${samples.length} requests, p50 ${q(0.5)} p99 ${q(0.99)} max ${q(1)} ms, >50 ms: ${ms.filter((x) => x > 50).length}; ${summary.join(' | ')}`,
);
process.exit(0);
