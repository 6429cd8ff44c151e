import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';
import { captureConsoleLog } from './test/helpers/log-global-setup.js';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 ships CJS (main) and ESM (module) builds. Node, and so every
    // dependency (yoga, Pothos, graphql-ws), loads the CJS one; Vite would give our
    // sources the ESM one, and two GraphQLError classes make `instanceof` lie. Tests
    // must see the single copy production sees.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql') }],
  },
  test: {
    include: ['test/**/*.test.ts'],
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
  },
});
