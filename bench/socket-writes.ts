/**
 * `npx tsx bench/socket-writes.ts [sockets]`: the machine's floor for fanning one event out
 * to N subscribers — one small write to each of N loopback TCP sockets, as the gateway
 * does per event — so the subscription latency figures can be read against it.
 */
import net from 'node:net';

const n = Number(process.argv[2] ?? 1000);
const accepted: net.Socket[] = [];
const server = net.createServer((s) => accepted.push(s)).listen(0, '127.0.0.1');
await new Promise((resolve) => server.once('listening', resolve));
const { port } = server.address() as net.AddressInfo;
const clients = Array.from({ length: n }, () => net.connect(port, '127.0.0.1').on('data', () => {}));
while (accepted.length < n) await new Promise((r) => setTimeout(r, 10));
const message = Buffer.from(`event: next\ndata: ${'x'.repeat(120)}\n\n`);
const rounds: number[] = [];
for (let round = 0; round < 7; round++) {
  const t0 = performance.now();
  for (const s of accepted) s.write(message);
  rounds.push(performance.now() - t0);
  await new Promise((r) => setTimeout(r, 200));
}
rounds.sort((a, b) => a - b);
const median = rounds[rounds.length >> 1];
console.log(
  `${n} sockets: one write each takes ${median.toFixed(1)} ms (median of ${rounds.length}), ${((median / n) * 1000).toFixed(1)} µs per socket`,
);
for (const c of clients) c.destroy();
server.close();
