/**
 * How much heap one retained event costs in an informer's retention log (the figure behind
 * DEFAULT_RETAINED_EVENTS in src/kube/event-log.ts and "Resumable subscriptions" in
 * docs/ARCHITECTURE.md). Runs the simulator's default scenario and its churn in memory (no
 * server), trims every pod change as the informer does, keeps a store of the current
 * objects and logs each change with its previous object, as Informer does; then measures the
 * heap with the log full and after it is emptied: the difference is what the log keeps
 * (superseded and deleted versions, and the entries).
 *
 *   node --expose-gc --import tsx scripts/measure-event-log.ts [N] [--whole]
 *
 * Each new version shares the stored one's unchanged parts, as the informer's do
 * (src/kube/adopt.ts); `--whole` trims every version whole, as before that.
 *
 * Measured: 1.7 KB per retained pod change trimmed whole (10,000: 16.6 MB; 50,000: 83 MB).
 */
import { EventLog } from '../src/kube/event-log.js';
import { objectKey } from '../src/kube/kinds.js';
import { transformObject } from '../src/kube/transform.js';
import { Churn } from '../src/simulator/churn.js';
import { buildScenario } from '../src/simulator/scenario/index.js';
import { DEFAULT_SCENARIO } from '../src/simulator/server.js';
import { SimStore } from '../src/simulator/store.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const n = Number(process.argv.find((a, i) => i >= 2 && /^\d+$/.test(a)) ?? 10_000);
const whole = process.argv.includes('--whole');
// Pods: the kind that changes most and weighs most (the churn does not make Events).
const resource = 'pods';
const kind = 'Pod';

function heap(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const store = new SimStore({ historyLimit: 1 });
buildScenario(store, DEFAULT_SCENARIO);
const transform = (obj: unknown, previous?: unknown) =>
  transformObject(kind, obj as never, {}, whole ? undefined : (previous as never));
const current = new Map<string, unknown>();
for (const obj of store.scan(resource)) current.set(objectKey(obj as never), transform(obj as never));
const log = new EventLog({ maxEvents: n, retentionMs: Number.POSITIVE_INFINITY });
log.reset(String(store.resourceVersion));
store.subscribe(resource, (event) => {
  const key = objectKey(event.object as never);
  const previous = current.get(key);
  const obj = transform(event.object, previous);
  if (event.type === 'DELETED') current.delete(key);
  else current.set(key, obj);
  log.append(event.type, obj as never, previous as never, String(event.rv));
});
const churn = new Churn(store, { ratePerSecond: 0, seed: 1 });
while (log.size < n) churn.tick(50);
churn.stop();
const full = heap();
log.reset('0');
const empty = heap();
const perEvent = (full - empty) / n;
console.log(
  `${n} retained ${resource} changes (default scenario: ${current.size} ${resource} now; ` +
    `${whole ? 'each version trimmed whole' : "each version sharing the previous one's unchanged parts"}): ` +
    `${((full - empty) / 2 ** 20).toFixed(1)} MB, ${Math.round(perEvent)} B per event`,
);
