/**
 * Heap and time per trimmed object of one mirrored kind (Pod by default; Event, Job, Node),
 * from a cluster's own LIST (pages of 500 held as text, then parsed and trimmed one page at a
 * time so only the trimmed objects stay). One kind per process, so nothing of another stays. The figures behind bench/results/trim-shapes.md:
 *
 *   npx tsx src/simulator/cli.ts --nodes 200 --pods 20000 --jobs 2000 --churn 0 \
 *     --port 0 --kubeconfig-out /tmp/one.kubeconfig &
 *   node --expose-gc --import tsx scripts/measure-trim.ts /tmp/one.kubeconfig [Pod|Event|Job|Node]
 *
 * The kubeconfig's first cluster and user (a bearer token) are used. WITHOUT_INTERNER=1
 * clears the interner before the last reading: what the trimmed objects alone hold.
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
const PATHS = {
  Pod: '/api/v1/pods',
  Event: '/api/v1/events',
  Job: '/apis/batch/v1/jobs',
  Node: '/api/v1/nodes',
};
type Kind = keyof typeof PATHS;
const kind = (process.argv[3] ?? 'Pod') as Kind;
if (!(kind in PATHS)) throw new Error(`expected a kind (${Object.keys(PATHS).join(', ')}), got ${kind}`);

/**
 * Synchronous from the first GC to the last, in a function of its own: nothing parsed stays
 * reachable from a suspended frame (in the module's body, across awaits, the last page did,
 * and counted as ~1 KB per job).
 */
function measure(pages: readonly string[]): { count: number; perObject: number; trimUs: number } {
  const interner = new Interner();
  trimPage(pages[0], interner, []); // warms the trim and the interner; garbage once it returns
  gc!();
  gc!();
  const before = process.memoryUsage().heapUsed;
  const kept: unknown[] = [];
  let ms = 0;
  for (const page of pages) ms += trimPage(page, interner, kept);
  // The interner's maps are bounded (cleared when full) and shared by every cluster: at a
  // fleet's scale a fixed cost, not a per-object one. WITHOUT_INTERNER=1 leaves them out.
  if (process.env.WITHOUT_INTERNER === '1') interner.clear();
  gc!();
  gc!();
  const perObject = (process.memoryUsage().heapUsed - before) / kept.length;
  return { count: kept.length, perObject, trimUs: (ms * 1000) / kept.length };
}

function trimPage(page: string, interner: Interner, kept: unknown[]): number {
  const raw = JSON.parse(page) as unknown[];
  const t0 = performance.now();
  for (let i = 0; i < raw.length; i++) kept.push(transformObject(kind, raw[i] as never, { interner }));
  return performance.now() - t0;
}

const { count, perObject, trimUs } = measure(await list(PATHS[kind]));
console.log(
  `${kind}: ${count} objects, ${perObject.toFixed(0)} B of heap each (with the array's 8 B slot and the interner's share), trim ${trimUs.toFixed(2)} µs each`,
);
await dispatcher.close();
