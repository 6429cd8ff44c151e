/**
 * Re-sorting a list that changed by a few objects (issue #16, Q3 under churn): pagination's
 * `sortEntries` from the previous order against a full sort of the same list, alternating in
 * one process. 10,000 job-like objects ordered by creation (Q3's order), `changes` of them
 * replaced by new objects (a watch event's MODIFIED) between sorts.
 *
 *   npx tsx bench/resort.ts [size] [changes] [rounds]
 */
import { type Entry, type Order, sortEntries } from '../src/schema/pagination.js';
import { median, round } from './lib/stats.js';

interface Job {
  metadata: { namespace: string; name: string; uid: string; creationTimestamp: Date };
}
const [size = 10_000, changes = 5, rounds = 200] = process.argv.slice(2).map(Number);
let next = 0;
const make = (): Job => {
  const n = next++;
  return Object.freeze({
    metadata: Object.freeze({
      namespace: `ns-${n % 40}`,
      name: `job-${n}`,
      uid: `uid-${n}`,
      // A Date, as the trim keeps it (kube/interner.ts).
      creationTimestamp: new Date(1_700_000_000_000 + ((n * 7919) % 1_000_000) * 1000),
    }),
  });
};
const millis = (t: Date) => t.getTime();
// As makeOrder (src/schema/args.ts) builds Q3's order: creation time, then namespace, name, uid.
const byCreation = (memo?: string): Order<Job> => ({
  field: 'CREATED_AT',
  direction: 'DESC',
  memo,
  key: (j) => [millis(j.metadata.creationTimestamp), j.metadata.namespace, j.metadata.name, j.metadata.uid],
});
let list: Job[] = Array.from({ length: size }, make);
let previous: Entry<Job>[] | undefined;
const times = { full: [] as number[], resort: [] as number[] };
for (let r = 0; r < rounds; r++) {
  const changed = [...list];
  for (let k = 0; k < changes; k++) changed[Math.floor(Math.random() * changed.length)] = make();
  // The full sort as before: an order with a memo keeps no entry, so every key is made again.
  const full = () => sortEntries(changed, byCreation('none'));
  const order = byCreation();
  const resort = () => sortEntries(changed, order, previous);
  const names = r % 2 ? (['resort', 'full'] as const) : (['full', 'resort'] as const);
  for (const name of names.filter((n) => !process.env.ONLY || n === process.env.ONLY)) {
    const t = performance.now();
    const entries = name === 'full' ? full() : resort();
    times[name].push(performance.now() - t);
    if (name === 'resort') previous = entries;
  }
  list = changed;
}
const f = median(times.full.slice(rounds / 4));
const s = median(times.resort.slice(rounds / 4));
console.log(
  `resort: ${size} objects, ${changes} changed per round: full sort p50 ${round(f, 3)} ms, from the previous order ${round(s, 3)} ms (${round(f / s, 1)}x)`,
);
