/**
 * The gateway as it is deployed: the image runs `node --enable-source-maps dist/main.js`, the
 * tsc build, so the bench measures that build rather than `src/main.ts` through tsx's loader.
 * They are not the same program: tsx compiles with esbuild's `keepNames`, which wraps every
 * function made at run time in a `__name(fn, "…")` call (an `Object.defineProperty` per
 * closure). The request context makes a few dozen closures per request: the `__name` calls
 * alone were ~5 % of the gateway's CPU on the cluster summary (Q1) under load
 * (`bench/profile-top.ts` on a KUBEGATE_BENCH_CPU_PROF profile).
 *
 * Built once per bench process (tsc, ~7 s) into `bench/.build/<pid>/` (inside the repository,
 * so `node_modules` resolves), removed when the process exits. KUBEGATE_BENCH_FROM_SOURCE=1
 * runs `src/main.ts` through tsx instead, as before, to compare.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';

let built: string | undefined;

/** The gateway's entry point relative to `root`, and the Node flags it runs with. */
export function gatewayEntry(root: string): { entry: string; nodeArgs: string[] } {
  if (process.env.KUBEGATE_BENCH_FROM_SOURCE === '1') return { entry: 'src/main.ts', nodeArgs: [] };
  if (!built) {
    const out = join('bench', '.build', String(process.pid));
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    process.on('exit', () => rmSync(join(root, out), { recursive: true, force: true }));
    built = join(out, 'main.js');
  }
  return { entry: built, nodeArgs: [...IMAGE_NODE_FLAGS, ...gatewayExtraFlags()] };
}

/**
 * KUBEGATE_BENCH_GATEWAY_FLAGS="--flag --other": V8 or Node flags to try beside the image's,
 * measured before the image takes them (a flag that helps the fleet must not hurt S or L).
 */
export function gatewayExtraFlags(): string[] {
  return process.env.KUBEGATE_BENCH_GATEWAY_FLAGS?.split(/\s+/).filter(Boolean) ?? [];
}

/** The image's flags (Dockerfile ENTRYPOINT), so the heap limit is the deployed one. */
const IMAGE_NODE_FLAGS = [
  '--enable-source-maps',
  '--max-old-space-size-percentage=75',
  '--no-allocation-site-pretenuring',
];

let floorBuilt: string | undefined;

/**
 * bench/floor.ts as the deployed gateway runs: B and its floor in one process, both compiled by
 * tsc (src and bench, tsconfig.bench.json, into `bench/.build/<pid>-floor/`, ~15 s), with the image's flags. Run
 * through tsx, B paid for esbuild's `__name` wrappers that the image does not have, and its
 * ratio to the floor read 4-9 % higher: at L, alternating on one simulator, Q2 2.92 / 2.94x
 * through tsx against 2.82 / 2.80x built, Q3 3.23 / 3.34x against 2.95 / 3.01x.
 * KUBEGATE_BENCH_FROM_SOURCE=1 runs bench/floor.ts through tsx, as before.
 */
export function floorEntry(root: string): { entry: string; nodeArgs: string[] } {
  if (process.env.KUBEGATE_BENCH_FROM_SOURCE === '1') return { entry: 'bench/floor.ts', nodeArgs: [] };
  if (!floorBuilt) {
    const out = join('bench', '.build', `${process.pid}-floor`);
    execFileSync(
      process.execPath,
      [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.bench.json', '--outDir', out],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    process.on('exit', () => rmSync(join(root, out), { recursive: true, force: true }));
    floorBuilt = join(out, 'bench', 'floor.js');
  }
  return { entry: floorBuilt, nodeArgs: IMAGE_NODE_FLAGS };
}
