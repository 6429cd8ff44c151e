/**
 * `npx tsx bench/cores.ts [rounds]`: how fast each core of this machine runs the same work, one
 * process pinned to it at a time (`taskset -c N`), the cores in turn for `rounds` rounds
 * (default 2). The work is 1,000 `JSON.stringify` of a 300-item answer-like object, ten times;
 * printed per core: the median of those ten, in ms.
 *
 * Why: on the machine of session 46 one core ran the same work at about half the speed of the
 * other (43–48 ms against 78–90 ms), for the whole session (bench/results/uneven-cores.md).
 * Every figure that sets two processes side by side (A against B, R against the B beside it,
 * the gateway against the simulator and the load generator) then measures where the scheduler
 * put each. Run this before a full run; the same figure on every core is the run's premise.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const WORK = `
const o = { data: { items: Array.from({ length: 300 }, (_, i) => ({ name: 'pod-' + i, phase: 'Running', n: i, labels: { a: 'x' + i, b: 'y' } })) } };
const out = [];
for (let r = 0; r < 10; r++) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < 1000; i++) JSON.stringify(o);
  out.push(Number(process.hrtime.bigint() - t) / 1e6);
}
out.sort((a, b) => a - b);
console.log(out[5].toFixed(1));
`;

const rounds = Number(process.argv[2] ?? 2);
const cores = availableParallelism();
const figures: number[][] = Array.from({ length: cores }, () => []);
for (let r = 0; r < rounds; r++) {
  for (let core = 0; core < cores; core++) {
    const text = execFileSync('taskset', ['-c', String(core), process.execPath, '-e', WORK], {
      encoding: 'utf8',
    });
    figures[core].push(Number(text.trim()));
  }
}
for (const [core, ms] of figures.entries()) process.stdout.write(`core ${core}: ${ms.join(', ')} ms\n`);
const medians = figures.map((ms) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]);
const ratio = Math.max(...medians) / Math.min(...medians);
process.stdout.write(
  `slowest over fastest: ${ratio.toFixed(2)}×${ratio > 1.2 ? ' (uneven: ratios between processes will measure the scheduler)' : ''}\n`,
);
