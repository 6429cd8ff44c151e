/**
 * `npx tsx bench/subscription-execute.ts [operations] [rounds]`: the CPU cost of executing one
 * pod event for N distinct subscriptions of the bench's document (bench/lib/operations.ts),
 * with graphql-js's `execute` per event (what `subscribe` does) and with the plan each
 * subscription prepares once (src/server/event-executor.ts), alternated in the same process,
 * medians of the rounds. In-process and CPU-bound, so it reads the same on a loaded machine,
 * unlike the end-to-end latency of subscriptions-only.ts.
 */
import { execute, parse } from 'graphql';
import { buildSchema } from '../src/schema/index.js';
import { prepareEventExecutor } from '../src/server/event-executor.js';
import { subscriptionDocument } from './lib/operations.js';

const operations = Number(process.argv[2] ?? 1000);
const rounds = Number(process.argv[3] ?? 15);
const schema = buildSchema();
const doc = subscriptionDocument(schema);
if (!('query' in doc)) throw new Error(doc.unavailable);
const document = parse(doc.query);
const pod = Object.freeze({
  metadata: Object.freeze({
    name: 'bench-0',
    namespace: 'default',
    resourceVersion: '42',
    labels: { app: 'x' },
  }),
  spec: Object.freeze({ nodeName: 'node-1', containers: [] }),
  status: Object.freeze({ phase: 'Running' }),
});
const event = { type: 'MODIFIED', cluster: 'c', resourceVersion: '42', object: pod };
const argsOf = (i: number) => ({
  schema,
  document,
  variableValues: { cluster: 'c', namespace: 'default', labelSelector: `app=x,!kubegate-bench-${i}` },
  contextValue: {},
});
const all = Array.from({ length: operations }, (_, i) => argsOf(i));
const prepared = all.map((args) => {
  const executor = prepareEventExecutor(args);
  if (!executor) throw new Error('the bench document cannot be prepared');
  return executor;
});
const reference = JSON.stringify(execute({ ...all[0], rootValue: event }));
const ours = JSON.stringify(prepared[0].execute(event));
if (ours !== reference) throw new Error(`results differ:\n${ours}\n${reference}`);

function time(run: () => void): number {
  const start = process.cpuUsage();
  run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}
const js: number[] = [];
const plan: number[] = [];
for (let r = 0; r < rounds; r++) {
  js.push(
    time(() => {
      for (const args of all) execute({ ...args, rootValue: { ...event } });
    }),
  );
  plan.push(
    time(() => {
      for (const executor of prepared) executor.execute({ ...event });
    }),
  );
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `${operations} distinct operations, one event each: graphql-js execute ${median(js).toFixed(2)} ms, prepared plan ${median(plan).toFixed(2)} ms (${(median(js) / median(plan)).toFixed(1)}× less CPU; medians of ${rounds} alternated rounds)`,
);
