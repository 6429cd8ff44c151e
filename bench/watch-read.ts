/**
 * What reading a watch stream costs the gateway per event, by the two ways undici offers
 * (issue #16, a fleet's steady state): `fetch` (WHATWG body stream and a TextDecoder per chunk,
 * what src/kube/client.ts used before) against `request` (a Node stream that decodes UTF-8
 * itself, what it uses now). Both split lines and parse them as the gateway does
 * (`parseWithoutManagedFields`). A child process serves the lines, one event per chunk with
 * a timer turn between writes as a live watch delivers them (EVERY=N batches N per chunk, as
 * a backlog does); the figure is this process's CPU (user + system) per event, alternating.
 *
 *   npx tsx bench/watch-read.ts [events per round = 5000] [rounds = 6]
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fetch, request } from 'undici';
import { parseWithoutManagedFields } from '../src/kube/managed-fields.js';

const [eventsArg = '5000', roundsArg = '6'] = process.argv.slice(2).filter((a) => a !== '--serve');
const events = Number(eventsArg);

/** A pod event of the simulator's size (~7 KB, 4 KB of it managedFields). */
function podLine(i: number): string {
  const managedFields = Array.from({ length: 24 }, (_, k) => ({
    manager: k % 2 ? 'kubelet' : 'kube-controller-manager',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2026-12-02T08:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:status': { [`f:field${k}`]: {}, 'f:conditions': { '.': {} } } },
  }));
  const object = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: {
      name: `job-${i}-abcde`,
      namespace: 'analytics-staging',
      uid: `0000-${i}`,
      resourceVersion: String(100000 + i),
      creationTimestamp: '2026-12-02T08:00:00Z',
      labels: { app: 'worker', 'batch.kubernetes.io/job-name': `job-${i}`, tier: 'batch' },
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: `job-${i}`, uid: `j-${i}`, controller: true },
      ],
      managedFields,
    },
    spec: {
      nodeName: `node-${i % 200}`,
      containers: [
        {
          name: 'main',
          image: 'registry.example.com/team/worker:1.2.3',
          env: Array.from({ length: 8 }, (_, k) => ({ name: `ENV_${k}`, value: `value-${k}` })),
          resources: { requests: { cpu: '250m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
        },
      ],
    },
    status: {
      phase: 'Running',
      podIP: '10.0.0.1',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({
        type,
        status: 'True',
        lastTransitionTime: '2026-12-02T08:00:00Z',
      })),
    },
  };
  return `${JSON.stringify({ type: 'MODIFIED', object })}\n`;
}

if (process.argv.includes('--serve')) {
  const every = Number(process.env.EVERY ?? 1);
  const server = createServer(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < events; i += every) {
      let chunk = '';
      for (let j = 0; j < every; j++) chunk += podLine(i + j);
      if (!res.write(chunk)) await new Promise((r) => res.once('drain', r));
      await new Promise((r) => setTimeout(r, 0));
    }
    res.end();
  });
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as AddressInfo).port));
} else {
  const child = fork(import.meta.filename, [...process.argv.slice(2), '--serve'], {
    execArgv: process.execArgv,
  });
  const port = await new Promise<number>((r) => child.once('message', (m) => r(m as number)));
  const url = `http://127.0.0.1:${port}/`;
  const lines = (buffered: string, onLine: (line: string) => void): string => {
    let start = 0;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(start, newline);
      start = newline + 1;
      newline = buffered.indexOf('\n', start);
      if (line) onLine(line);
    }
    return start > 0 ? buffered.slice(start) : buffered;
  };
  const ways: Record<string, () => Promise<number>> = {
    fetch: async () => {
      const response = await fetch(url);
      const decoder = new TextDecoder();
      let buffered = '';
      let n = 0;
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        buffered = lines(buffered + decoder.decode(chunk, { stream: true }), (l) => {
          parseWithoutManagedFields(l);
          n++;
        });
      }
      return n;
    },
    request: async () => {
      const { body } = await request(url);
      body.setEncoding('utf8');
      let buffered = '';
      let n = 0;
      for await (const chunk of body as AsyncIterable<string>) {
        buffered = lines(buffered + chunk, (l) => {
          parseWithoutManagedFields(l);
          n++;
        });
      }
      return n;
    },
  };
  const per: Record<string, number[]> = { fetch: [], request: [] };
  for (let round = 0; round < Number(roundsArg); round++) {
    const order = round % 2 ? ['request', 'fetch'] : ['fetch', 'request'];
    for (const way of order) {
      const before = process.cpuUsage();
      const n = await ways[way]();
      const used = process.cpuUsage(before);
      const us = (used.user + used.system) / n;
      // The first round of each warms the JIT: reported, not counted.
      if (round > 0) per[way].push(us);
      console.log(`round ${round} ${way}: ${n} events, ${us.toFixed(1)} µs of CPU per event`);
    }
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const f = median(per.fetch);
  const r = median(per.request);
  console.log(
    `median over rounds 1-${Number(roundsArg) - 1}: fetch ${f.toFixed(1)} µs, request ${r.toFixed(1)} µs per event (request/fetch ${(r / f).toFixed(2)}); line ${podLine(0).length} B, EVERY=${process.env.EVERY ?? 1}`,
  );
  child.kill();
}
