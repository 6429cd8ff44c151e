/**
 * Heap and time per trimmed object of each mirrored kind, from a cluster's own LISTs (pods,
 * events, jobs, nodes; pages of 500 held as text, then parsed and trimmed one page at a time
 * so only the trimmed objects stay). The figures behind bench/results/trim-shapes.md:
 *
 *   npx tsx src/simulator/cli.ts --nodes 200 --pods 20000 --jobs 2000 --churn 0 \
 *     --port 0 --kubeconfig-out /tmp/one.kubeconfig &
 *   node --expose-gc --import tsx scripts/measure-trim.ts /tmp/one.kubeconfig
 *
 * The kubeconfig's first cluster and user (a bearer token) are used.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { parse } from 'yaml';
import { Interner, transformObject } from '../src/kube/transform.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const kc = parse(readFileSync(process.argv[2], 'utf8'));
const server = kc.clusters[0].cluster.server;
const token = kc.users[0].user.token;
const ca = Buffer.from(kc.clusters[0].cluster['certificate-authority-data'], 'base64').toString();
const dispatcher = new Agent({ connect: { ca } });
async function list(path: string): Promise<string[]> {
  const items: string[] = [];
  let cont = '';
  do {
    const r = await request(
      `${server}${path}?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
      { dispatcher, headers: { authorization: `Bearer ${token}` } },
    );
    const j = JSON.parse(await r.body.text()) as { items: unknown[]; metadata: { continue?: string } };
    items.push(JSON.stringify(j.items));
    cont = j.metadata.continue ?? '';
  } while (cont);
  return items;
}
const all: unknown[] = [];
for (const [kind, path] of [
  ['Pod', '/api/v1/pods'],
  ['Event', '/api/v1/events'],
  ['Job', '/apis/batch/v1/jobs'],
  ['Node', '/api/v1/nodes'],
] as const) {
  const pages = await list(path);
  const interner = new Interner();
  transformObject(kind, (JSON.parse(pages[0]) as unknown[])[0] as never, { interner });
  gc();
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  let ms = 0;
  for (const page of pages) {
    const raw = JSON.parse(page) as unknown[];
    const t0 = performance.now();
    for (let i = 0; i < raw.length; i++) kept.push(transformObject(kind, raw[i] as never, { interner }));
    ms += performance.now() - t0;
  }
  const rawHeld = kept.length;
  gc();
  gc();
  const per = (process.memoryUsage().heapUsed - before) / rawHeld;
  console.log(
    `${kind}: ${rawHeld} objects, ${per.toFixed(0)} B heap each (incl. 8 B slot), trim ${((ms * 1000) / rawHeld).toFixed(2)} µs each; kept ${kept.length}`,
  );
  all.push(kept);
}
await dispatcher.close();
