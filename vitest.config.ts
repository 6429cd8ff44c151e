import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { captureConsoleLog } from './test/helpers/log-global-setup.js';

const require = createRequire(import.meta.url);

/** The files whose assertions weigh the heap (test/helpers/heap.ts, heapUsed deltas); a new one is added here. */
const HEAP_MEASURING = [
  'test/kube/shape.test.ts',
  'test/kube/transform.test.ts',
  'test/server/answer-builder.test.ts',
  'test/subscriptions/fanout.test.ts',
  'test/subscriptions/slow-consumer.test.ts',
];

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, and so every
    // dependency (yoga, Pothos, graphql-ws), loads the CJS one; Vite would give our
    // sources the ESM one, and two GraphQLError classes make `instanceof` lie. Tests
    // must see the single copy production sees.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Two files at a time (vitest's default is cores − 1: one on CI's 2 cores). Most files
    // wait on child processes, sockets and watches rather than compute: the suite took
    // 555 s one at a time and 317 s two at a time, same tests, same machine.
    maxWorkers: 2,
    // A per-run directory for the gateways' logs, scanned for credentials at the end.
    globalSetup: ['test/helpers/log-global-setup.ts'],
    // What workers print through console (libraries' loggers) is scanned too.
    onConsoleLog: (log, type, entity) => {
      captureConsoleLog(log, type, entity);
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: HEAP_MEASURING,
          // A worker process runs file after file with the modules it loaded kept: each file
          // loading the gateway, the simulator and their packages afresh was 234 s of the
          // suite's 557 s (vitest's "import"); with these two projects, 30 s, and the suite took 399 s.
          // So a file leaves the process as it found it: what it sets in process.env it
          // restores, what it spies on it restores, what it starts it closes.
          isolate: false,
        },
      },
      {
        extends: true,
        // A fresh process per file, for the tests that weigh the heap: in a shared process,
        // what earlier files left behind is freed while they measure, and a layout test read
        // 64 bytes an object where its layout takes 76 (test/kube/shape.test.ts).
        test: { name: 'isolated', include: HEAP_MEASURING, isolate: true },
      },
    ],
  },
});
