/**
 * `npx tsx bench/sync-ab.ts BASE_DIR CHANGE_DIR [S|L|T] [rounds]`: an A/B of two trees'
 * first sync (say a `git worktree` of the base commit, with node_modules linked, and the
 * working tree) on ONE simulator (churn 20/s, as the bench's). Each round starts each tree's
 * gateway from its own sources (order alternating per round), reads its "ready: caches
 * synced in N ms" and peak RSS, stops it, and measures the bytes floor (a bare client's
 * fetch + JSON.parse of every LIST the sync makes, lib/list-floor.ts) in the same round, so
 * each side's ratio is against a floor taken minutes apart on the same machine.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { killChildrenOnExit, stopAll } from './lib/children.js';
import { SIZES } from './lib/config.js';
import { startGateway } from './lib/gateway.js';
import { measureFloor } from './lib/size-run.js';
import { median, round } from './lib/stats.js';
import { startUpstream } from './lib/upstream.js';

const [baseDir, changeDir, sizeName = 'L', roundsArg = '3'] = process.argv.slice(2);
const size = SIZES[sizeName.toUpperCase()];
if (!baseDir || !changeDir || !size) {
  process.stderr.write('usage: npx tsx bench/sync-ab.ts BASE_DIR CHANGE_DIR [S|L|T] [rounds]\n');
  process.exit(2);
}
process.env.KUBEGATE_BENCH_FROM_SOURCE = '1';
const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'kubegate-sync-ab-'));
killChildrenOnExit();
try {
  const upstream = await startUpstream(size, { cwd: root, logDir: work, workDir: work, churn: 20, seed: 1 });
  const sides = [
    { name: 'base', dir: baseDir, sync: [] as number[], ratio: [] as number[], rss: [] as number[] },
    { name: 'change', dir: changeDir, sync: [] as number[], ratio: [] as number[], rss: [] as number[] },
  ];
  const floors: number[] = [];
  for (let r = 0; r < Number(roundsArg); r++) {
    const floor = await measureFloor(upstream.kubeconfigPath, (what, err) => {
      throw new Error(`${what}: ${String(err)}`);
    });
    if (!floor) throw new Error('no floor');
    floors.push(floor.ms);
    for (const side of r % 2 ? [...sides].reverse() : sides) {
      const gateway = await startGateway({
        name: `${side.name}-${r}`,
        kubeconfig: upstream.kubeconfigPath,
        cache: true,
        cwd: resolve(side.dir),
        logDir: work,
        syncTimeoutMs: 900_000,
      });
      const ms = gateway.sync?.firstSyncMs ?? Number.NaN;
      side.sync.push(ms);
      side.ratio.push(ms / floor.ms);
      side.rss.push(gateway.sync?.peakRssDuringSyncBytes ?? Number.NaN);
      await gateway.child.stop();
      console.log(
        `round ${r + 1}: floor ${floor.ms} ms (parse ${floor.parseMs}); ${side.name} ${ms} ms, ${round(ms / floor.ms, 3)}x`,
      );
    }
  }
  console.log(`floor: median ${median(floors)} ms (rounds ${floors.join(', ')})`);
  for (const side of sides) {
    console.log(
      `${side.name}: first sync median ${median(side.sync)} ms (rounds ${side.sync.join(', ')}); ` +
        `ratio to the round's floor ${round(median(side.ratio), 3)}x (rounds ${side.ratio.map((x) => round(x, 3)).join(', ')}); ` +
        `peak RSS ${round(median(side.rss) / 1e6, 0)} MB`,
    );
  }
} finally {
  await stopAll();
}
console.log(`logs in ${work}`);
