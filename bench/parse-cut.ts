/**
 * What parsing a kind's JSON costs the gateway with managedFields cut alone
 * (`parseWithoutManagedFields`) against the kind's cut (`memberCut` of its `dropped`
 * members, what src/kube/client.ts uses), and against JSON.parse of the text whole: per
 * watch event (one object in a `{"type":"MODIFIED","object":…}` line) and per listed page of
 * 500. The objects are the simulator's (its scenario built in memory, no server, no churn),
 * serialized as kube-apiserver writes them (compact). Each step runs 15 rounds after 5 warm-up
 * rounds, alternating; the figure is the median round. Pages are kept alive a little (the
 * last 4), as a sync holds a page while it trims it.
 *
 *   npx tsx bench/parse-cut.ts [Pod|Node|Job] [objects = 500]
 */
import { KIND_INFO, type KindName, kindOf } from '../src/kube/kinds.js';
import { memberCut, parseWithoutManagedFields } from '../src/kube/managed-fields.js';
import { buildScenario } from '../src/simulator/scenario/index.js';
import { SimStore } from '../src/simulator/store.js';

const [kindArg = 'Pod', countArg = '500'] = process.argv.slice(2);
if (!(kindArg in KIND_INFO)) {
  process.stderr.write(
    `usage: npx tsx bench/parse-cut.ts [Pod|Node|Job] [objects]; got kind ${JSON.stringify(kindArg)}\n`,
  );
  process.exit(2);
}
const kind = kindArg as KindName;
const count = Number(countArg);
const def = kindOf(kind);

const store = new SimStore({ historyLimit: 1 });
buildScenario(store, { seed: 3, nodes: 200, pods: 2000, jobs: 500, namespaces: 20 });
const objects = [...store.scan(def.plural as never)].slice(0, count);
// Flat strings, as a socket's decoded text is (not ropes of concatenations).
const flat = (s: string) => Buffer.from(s).toString();
const events = objects.map((o) => flat(JSON.stringify({ type: 'MODIFIED', object: o })));
const page = flat(
  JSON.stringify({ kind: `${def.kind}List`, apiVersion: def.apiVersion, metadata: {}, items: objects }),
);
const cut = memberCut(def.dropped ?? []);

const bytes = (texts: string[]) => texts.reduce((n, t) => n + t.length, 0) / texts.length;
const afterCut = events.map((t) => JSON.stringify((cut(t) as { object: unknown }).object).length);
process.stdout.write(
  `${kind}: ${objects.length} objects, ${Math.round(bytes(events))} B an event; ` +
    `${Math.round(afterCut.reduce((a, b) => a + b, 0) / afterCut.length)} B left once cut ` +
    `(dropped: managedFields, ${(def.dropped ?? []).join(', ') || 'nothing else'})\n`,
);

let sink = 0;
const kept: unknown[] = [];
const steps: [string, () => number][] = [
  [
    'event: JSON.parse whole',
    () => events.reduce((n, t) => n + (JSON.parse(t) as { type: string }).type.length, 0),
  ],
  [
    'event: managedFields cut',
    () => events.reduce((n, t) => n + (parseWithoutManagedFields(t) as { type: string }).type.length, 0),
  ],
  ["event: the kind's cut", () => events.reduce((n, t) => n + (cut(t) as { type: string }).type.length, 0)],
  ['page: JSON.parse whole', () => keep(JSON.parse(page))],
  ['page: managedFields cut', () => keep(parseWithoutManagedFields(page))],
  ["page: the kind's cut", () => keep(cut(page))],
];
function keep(value: unknown): number {
  kept.push(value);
  if (kept.length > 4) kept.shift();
  return 1;
}

const rounds = new Map<string, number[]>(steps.map(([name]) => [name, []]));
for (let r = 0; r < 20; r++) {
  for (const [name, run] of steps) {
    const t0 = process.hrtime.bigint();
    sink += run();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r >= 5) rounds.get(name)!.push(ms);
  }
}
for (const [name, ms] of rounds) {
  ms.sort((a, b) => a - b);
  const median = ms[Math.floor(ms.length / 2)];
  const per = name.startsWith('event')
    ? `${((median * 1000) / events.length).toFixed(1)} µs an event`
    : `${median.toFixed(1)} ms a page`;
  process.stdout.write(`${name.padEnd(26)} ${per}\n`);
}
if (sink < 0) process.stdout.write('');
