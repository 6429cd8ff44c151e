/**
 * `npx tsx bench/subscriber-memory.ts [subscribers] [ws|sse]`: what a live subscriber costs
 * the gateway's heap. The simulator at size S (SIZE=L for L), the gateway in its own process;
 * its heap after a full GC (over the inspector, bench/lib/children.ts) before the subscribers
 * connect and once each has received an event, divided by their number. Every subscriber
 * runs the full bench's subscription (one identical operation, as tabs of one live page; with
 * `distinct`, each its own). SNAPSHOT=FILE also writes a heap snapshot of the gateway with
 * the subscribers connected and prints what they added to the heap, by constructor (self
 * sizes, against a snapshot taken before they connected), the largest first. With it,
 * `PATHS=ResultStream,WebSocket` (constructor names) also prints where the subscribers' bytes
 * hang: per subscriber, by retaining path below the nearest object of those constructors
 * (`PATH_DEPTH` edges, default 4; bench/lib/heap-paths.ts). `PER_CONNECTION=K` (WebSocket)
 * puts K subscriptions on each connection, as Apollo and urql put a page's subscriptions on one
 * socket: what a further subscription on a connection costs.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { bytesByRetainingPath, type HeapSnapshot, snapshotLayout } from './lib/heap-paths.js';
import { subscriptionDocument } from './lib/operations.js';
import { subscriberLimitEnv } from './lib/size-run.js';
import { subscribeClient } from './lib/subscriptions.js';
import { startUpstream } from './lib/upstream.js';

const args = process.argv.slice(2);
const n = Number(args[0] ?? 2000);
const transport = (args[1] ?? 'ws') as 'ws' | 'sse';
const distinct = args[2] === 'distinct';
killChildrenOnExit();
const root = process.cwd();
const work = mkdtempSync(join(tmpdir(), 'kubegate-submem-'));
const size = SIZES[process.env.SIZE ?? 'S'];
if (!size) throw new Error(`SIZE: expected one of ${Object.keys(SIZES).join(', ')}, got ${process.env.SIZE}`);
const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 0, seed: 42 });
const gateway = await startGateway({
  name: 'B',
  kubeconfig: upstream.kubeconfigPath,
  cache: true,
  cwd: root,
  logDir: work,
  syncTimeoutMs: 120_000,
  env: subscriberLimitEnv(n),
});
const doc = subscriptionDocument(buildSchema(readFileSync('schema/schema.graphql', 'utf8')));
if (!('query' in doc)) throw new Error(doc.unavailable);
const runId = `m${Date.now().toString(36)}`;
const variables = {
  cluster: gateway.cluster,
  namespace: 'default',
  labelSelector: `kubegate-bench=${runId}`,
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// A first subscriber and event, so that what every process makes once (compiled code, the
// relay's first execution) is in the heap before it is measured.
const seen = new Set<number>();
const disposers: (() => void)[] = [];
const perConnection = Number(process.env.PER_CONNECTION ?? 1);
const shared = new Map<number, ReturnType<typeof createWsClient>>();
const subscribe = (index: number) => {
  const payload = {
    query: doc.query,
    variables: distinct
      ? { ...variables, labelSelector: `${variables.labelSelector},!kubegate-bench-${index}` }
      : variables,
  };
  const sink = { next: () => seen.add(index), error: () => {}, complete: () => {} };
  if (perConnection <= 1 || transport !== 'ws') {
    disposers.push(subscribeClient(gateway.url, transport, payload, sink).dispose);
    return;
  }
  // The first subscriber (index -1) on a connection of its own; then K to a connection.
  const slot = index < 0 ? -1 : Math.floor(index / perConnection);
  let client = shared.get(slot);
  if (!client) {
    client = createWsClient({
      url: gateway.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
    });
    shared.set(slot, client);
    const made = client;
    disposers.push(() => void made.dispose());
  }
  disposers.push(client.subscribe(payload, sink));
};
let pods = 0;
const createPod = async () => {
  const res = await upstream.request('/api/v1/namespaces/default/pods', {
    method: 'POST',
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${runId}-${pods++}`, namespace: 'default', labels: { 'kubegate-bench': runId } },
      spec: { containers: [{ name: 'app', image: 'registry.k8s.io/pause:3.10' }] },
    },
  });
  if (res.status !== 201) throw new Error(`creating a pod: HTTP ${res.status}`);
};
const untilSeen = async (count: number) => {
  for (let tries = 0; seen.size < count && tries < 60; tries++) {
    await createPod();
    await sleep(500 + count / 10);
  }
  if (seen.size < count) throw new Error(`only ${seen.size} of ${count} subscribers received an event`);
};
subscribe(-1);
await untilSeen(1);
const before = await gateway.child.memoryAfterGc();
const baseline = process.env.SNAPSHOT
  ? snapshotByConstructor(JSON.parse(await gateway.child.heapSnapshot()))
  : undefined;
for (let i = 0; i < n; i++) {
  subscribe(i);
  if (i % 50 === 49) await sleep(20);
}
await untilSeen(n + 1);
const after = await gateway.child.memoryAfterGc();
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
console.log(
  `${n} ${transport} subscribers${distinct ? ' (distinct operations)' : ''}${perConnection > 1 && transport === 'ws' ? `, ${perConnection} to a connection` : ''}: gateway heap ${mb(before.heapUsed)} -> ${mb(after.heapUsed)} MiB, ${((after.heapUsed - before.heapUsed) / n / 1024).toFixed(1)} KiB per subscriber; RSS ${mb(before.rss)} -> ${mb(after.rss)} MiB (${((after.rss - before.rss) / n / 1024).toFixed(1)} KiB each); external ${mb(before.external)} -> ${mb(after.external)} MiB`,
);
if (process.env.SNAPSHOT) {
  const text = await gateway.child.heapSnapshot();
  writeFileSync(process.env.SNAPSHOT, text);
  const now = snapshotByConstructor(JSON.parse(text));
  const added = [...now]
    .map(([name, { count, bytes }]) => {
      const was = baseline?.get(name) ?? { count: 0, bytes: 0 };
      return [name, { count: count - was.count, bytes: bytes - was.bytes }] as const;
    })
    .sort((x, y) => y[1].bytes - x[1].bytes);
  console.log(
    `heap snapshot in ${process.env.SNAPSHOT}; what the subscribers added, by constructor (per subscriber: objects, bytes):`,
  );
  for (const [name, { count, bytes }] of added.slice(0, 40))
    console.log(`${(count / n).toFixed(2).padStart(8)} ${(bytes / n).toFixed(0).padStart(7)}  ${name}`);
  if (process.env.PATHS) {
    const anchors = new Set(process.env.PATHS.split(','));
    const paths = bytesByRetainingPath(JSON.parse(text), anchors, Number(process.env.PATH_DEPTH ?? 4));
    console.log(`by retaining path below ${[...anchors].join(', ')} (per subscriber: objects, bytes):`);
    for (const [path, { count, bytes }] of [...paths].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 40))
      console.log(`${(count / n).toFixed(2).padStart(8)} ${(bytes / n).toFixed(0).padStart(7)}  ${path}`);
  }
}
for (const dispose of disposers) dispose();
await stopAll();
console.log(`logs in ${work}`);

/** A V8 heap snapshot's nodes, their count and self sizes summed by type and name. */
function snapshotByConstructor(snapshot: HeapSnapshot) {
  const { width, typeAt, nameAt, sizeAt, nodeTypes: types } = snapshotLayout(snapshot);
  const sums = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt]];
    const name =
      type === 'object' || type === 'closure' || type === 'native'
        ? snapshot.strings[snapshot.nodes[i + nameAt]]
        : '';
    const key = `${type}${name ? ` ${name.slice(0, 80)}` : ''}`;
    const sum = sums.get(key) ?? { count: 0, bytes: 0 };
    sum.count++;
    sum.bytes += snapshot.nodes[i + sizeAt];
    sums.set(key, sum);
  }
  return sums;
}
