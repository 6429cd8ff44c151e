/**
 * `npx tsx bench/socket-writes.ts [sockets]`: the machine's floor for fanning one event out
 * to N subscribers — one small write to each of N loopback TCP sockets, as the gateway
 * does per event — so the subscription latency figures can be read against it. The
 * readers are a child process (bench/lib/socket-floor.ts): each process holds N sockets.
 */
import { measureSocketFloor } from './lib/socket-floor.js';

const n = Number(process.argv[2] ?? 1000);
const floor = await measureSocketFloor(n);
console.log(
  `${n} sockets: one write each takes ${floor.medianMs.toFixed(1)} ms (median of ${floor.rounds.length}), ${((floor.medianMs / n) * 1000).toFixed(1)} µs per socket`,
);
