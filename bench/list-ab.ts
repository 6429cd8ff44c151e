/**
 * `npx tsx bench/list-ab.ts BASE_DIR CHANGE_DIR [S|L|T] [rounds]`: an A/B of two trees' simulators
 * (say a `git worktree` of the base commit, with node_modules linked, and the working tree),
 * each built with the same scenario and seed and churning at 20/s, each in its own process.
 * Per round, a bare client (bench/lib/list-floor.ts, the sync floor's) lists every pod of
 * each by pages of 500, the order alternating per round: the time, its JSON.parse share, and
 * the simulator's CPU over the LIST (/proc), which a shared machine moves less than time.
 * CONCURRENT=N makes N such LISTs at once (the time is the slowest one's).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadSource } from '../src/kube/sources.js';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { listFloor } from './lib/list-floor.js';
import { processCpuMs } from './lib/machine.js';
import { median, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const [baseDir, changeDir, sizeName = 'L', roundsArg = '4'] = process.argv.slice(2);
const size = SIZES[sizeName.toUpperCase()];
if (!baseDir || !changeDir || !size) {
  process.stderr.write('usage: npx tsx bench/list-ab.ts BASE_DIR CHANGE_DIR [S|L|T] [rounds]\n');
  process.exit(2);
}
const concurrent = Number(process.env.CONCURRENT ?? 1);
killChildrenOnExit();
const work = mkdtempSync(join(tmpdir(), 'kubegate-list-ab-'));
try {
  const sides = [];
  for (const [name, dir] of [
    ['base', baseDir],
    ['change', changeDir],
  ] as const) {
    const own = mkdtempSync(join(work, name));
    const upstream = await startUpstream(size, {
      cwd: resolve(dir),
      logDir: own,
      workDir: own,
      churn: 20,
      seed: 1,
    });
    sides.push({ name, upstream, ms: [] as number[], cpu: [] as number[] });
  }
  for (let r = 0; r < Number(roundsArg); r++) {
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      const spec = loadSource({ type: 'kubeconfig', path: side.upstream.kubeconfigPath }, { cache: true })[0];
      const pid = side.upstream.child.pid;
      const before = processCpuMs(pid) ?? 0;
      // CONCURRENT=N: N LISTs of the pods at once (as the fleet's floor reads 3 clusters at once).
      const all = await Promise.all(
        Array.from({ length: concurrent }, () => listFloor(spec.kubeconfig, '/api/v1/pods', 500)),
      );
      const f = { ...all[0], ms: Math.max(...all.map((x) => x.ms)) };
      const cpu = (processCpuMs(pid) ?? 0) - before;
      await spec.kubeconfig.closePool();
      side.ms.push(f.ms);
      side.cpu.push(cpu);
      console.log(
        `round ${r} ${side.name}: ${Math.round(f.ms)} ms (JSON.parse ${Math.round(f.parseMs)} ms), ${f.pages} pages, ${Math.round(f.bytes / 1e6)} MB; simulator CPU ${Math.round(cpu)} ms`,
      );
    }
  }
  for (const side of sides)
    console.log(
      `${side.name}: LIST ${round(median(side.ms), 0)} ms, simulator CPU ${round(median(side.cpu), 0)} ms (medians)`,
    );
} finally {
  await stopAll();
}
console.log(`logs in ${work}`);
