/**
 * The machine's floor for fanning one event out to N subscribers: one small write to each
 * of N loopback TCP sockets, as the gateway does per event. The readers live in a child
 * process, as the subscribers live outside the gateway: each process then holds N sockets,
 * not 2N (10,000 sockets fit a 20,000 file-descriptor limit), and the writes are timed in
 * a process that holds only the writing side.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';

export interface SocketFloor {
  sockets: number;
  /** Median time of one round: one write to each socket. */
  medianMs: number;
  rounds: number[];
}

/**
 * The reader: N connections that drain what they are sent, until its stdin closes. They
 * connect a batch at a time: a burst of thousands overflows the listener's accept queue,
 * and a connection whose last handshake ACK was dropped there looks open to the client
 * (which sends nothing) but is never accepted.
 */
const READER = `
const net = require('node:net');
const [port, n] = process.argv.slice(1).map(Number);
const sockets = [];
// Each socket sends a byte once connected: a connection whose handshake ACK the listener's
// full accept queue dropped looks open here but is never accepted there; data makes the
// client retransmit until it is (10,000 connects lost 35 this way at load 2). And a socket
// counts as connected only once the server's first byte came, i.e. once it was accepted, so
// a batch never piles onto a listener that is behind (with only the byte, 42 of 10,000 were
// still not accepted after 30 s while a 100,000-pod gateway ran beside).
const connect = () => new Promise((resolve) => {
  const s = net.connect(port, '127.0.0.1', () => s.write('.'));
  s.once('data', () => resolve());
  s.on('data', () => {}).on('error', (e) => { process.stderr.write(String(e) + '\\n'); process.exit(1); });
  sockets.push(s);
});
(async () => {
  while (sockets.length < n) {
    const batch = [];
    for (let i = 0; i < 200 && sockets.length < n; i++) batch.push(connect());
    await Promise.all(batch);
  }
  process.stdout.write('connected\\n');
})();
process.stdin.on('end', () => { for (const s of sockets) s.destroy(); process.exit(0); }).resume();
`;

/** The soft limit on open files of this process (Linux), or undefined where it cannot be read. */
export function openFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Number.POSITIVE_INFINITY : soft ? Number(soft) : undefined;
  } catch {
    return undefined;
  }
}

export async function measureSocketFloor(n: number, roundCount = 7): Promise<SocketFloor> {
  const accepted: net.Socket[] = [];
  // The first byte tells the reader its socket was accepted (it connects a batch at a time).
  const server = net.createServer((s) => {
    accepted.push(s.on('error', () => {}).resume());
    s.write('+');
  });
  server.maxConnections = n + 16;
  await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, resolve));
  const { port } = server.address() as net.AddressInfo;
  const reader = spawn(process.execPath, ['-e', READER, String(port), String(n)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  reader.stderr.on('data', (d) => {
    stderr += d;
  });
  try {
    await new Promise<void>((resolve, reject) => {
      reader.stdout.on('data', (d) => String(d).includes('connected') && resolve());
      reader.once('exit', (code) =>
        reject(new Error(`the socket reader exited (${code}): ${stderr.trim()}`)),
      );
    });
    const until = Date.now() + 30_000;
    while (accepted.length < n) {
      if (Date.now() > until)
        throw new Error(
          `${n} sockets connected but ${accepted.length} accepted after 30 s (accept queue overflow?)`,
        );
      await new Promise((r) => setTimeout(r, 10));
    }
    const message = Buffer.from(`event: next\ndata: ${'x'.repeat(120)}\n\n`);
    const rounds: number[] = [];
    for (let round = 0; round < roundCount; round++) {
      const t0 = performance.now();
      for (const s of accepted) s.write(message);
      rounds.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 200));
    }
    const sorted = [...rounds].sort((a, b) => a - b);
    return { sockets: n, medianMs: sorted[sorted.length >> 1], rounds };
  } finally {
    reader.stdin.end();
    for (const s of accepted) s.destroy();
    server.close();
  }
}
