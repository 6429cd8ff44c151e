/**
 * How much heap an hour of usage history costs (the figure behind "History" in
 * src/kube/usage.ts and docs/ARCHITECTURE.md): a ClusterUsage whose client answers N nodes'
 * metrics in metrics-server's format, asked once per window for an hour and more (so every
 * ring is full), on a clock moved by hand. Reports the retained heap of the rings (the
 * answer of the last window subtracted: it is measured alone first) and the samples' own
 * bytes. Typed arrays live outside the JS heap, so heap and array buffers are summed.
 *
 *   node --expose-gc --import tsx scripts/measure-usage-history.ts [N]
 */
import type { Clock } from '../src/kube/clock.js';
import { ClusterUsage } from '../src/kube/usage.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const n = Number(process.argv[2] ?? 1_000);
const WINDOW_MS = 15_000;

let now = Date.parse('2026-11-30T12:00:00Z');
const clock: Clock = {
  now: () => now,
  setTimeout: () => undefined,
  clearTimeout: () => {},
  setInterval: () => undefined,
  clearInterval: () => {},
  random: () => 0.5,
};

function nodeList() {
  const timestamp = new Date(Math.floor(now / WINDOW_MS) * WINDOW_MS).toISOString().replace('.000Z', 'Z');
  return {
    kind: 'NodeMetricsList',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: {},
    items: Array.from({ length: n }, (_, i) => ({
      metadata: { name: `node-${i}`, creationTimestamp: new Date(now).toISOString() },
      timestamp,
      window: '15s',
      usage: {
        cpu: `${1_000_000 * (100 + ((i * 7 + now / 1000) % 900))}n`,
        memory: `${(1 << 20) + i * 37}Ki`,
      },
    })),
  };
}

function memory(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function windows(count: number, usage: ClusterUsage): Promise<void> {
  for (let w = 0; w < count; w++) {
    now += WINDOW_MS;
    await usage.nodes({ fresh: true });
  }
}

const client = { request: async () => nodeList() };
const base = memory();
// The answer of one window alone: what the cache holds besides the history (no rings: cleared below).
let answerOnly = new ClusterUsage({ cluster: 'answer', client, clock });
await windows(1, answerOnly);
const answerBytes = memory() - base - answerOnly.historyBytes();
answerOnly = undefined as never;
const before = memory();
const usage = new ClusterUsage({ cluster: 'measure', client, clock });
// Past an hour: every ring full (240 samples at 15 s).
await windows(usage.historyCapacity + 10, usage);
const total = memory() - before;
const history = total - answerBytes;
const samples = usage.nodeHistory('node-0').length;
process.stdout.write(
  `${n} nodes, ${samples} samples per node and for the cluster (window ${WINDOW_MS / 1000} s): ` +
    `the samples are ${(usage.historyBytes() / 1e6).toFixed(2)} MB; measured ${(history / 1e6).toFixed(2)} MB of heap and array buffers ` +
    `for the history (${(history / n / 1024).toFixed(2)} KiB per node), besides ${(answerBytes / 1e6).toFixed(2)} MB for the window's answer\n`,
);
