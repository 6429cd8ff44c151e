/**
 * `npx tsx bench/cores.ts [rounds]`: how fast each core of this machine runs the same work, one
 * process pinned to it at a time (`taskset -c N`), the cores in turn for `rounds` rounds
 * (default 2): per core, the median of ten timings of 1,000 `JSON.stringify` of a 300-item
 * answer-like object, in ms (`coreSpeeds` in lib/machine.ts; `npm run bench` logs one round
 * and puts it in RESULTS.md's machine table).
 *
 * Why: on the machine of session 46 one core ran the same work at about half the speed of the
 * other (43–48 ms against 78–90 ms), for the whole session (bench/results/uneven-cores.md).
 * Every figure that sets two processes side by side (A against B, R against the B beside it,
 * the gateway against the simulator and the load generator) then measures where the scheduler
 * put each. Run this before a full run: the same figure on every core is the run's premise.
 */
import { coreSpeeds, describeCores } from './lib/machine.js';

const rounds = Number(process.argv[2] ?? 2);
const figures = coreSpeeds(rounds);
if (!figures) {
  process.stderr.write('bench/cores.ts needs taskset (util-linux)\n');
  process.exit(1);
}
for (const [core, ms] of figures.entries()) process.stdout.write(`core ${core}: ${ms.join(', ')} ms\n`);
const medians = figures.map((ms) => [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]);
process.stdout.write(`${describeCores(medians)}\n`);
