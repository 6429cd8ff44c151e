/**
 * The real kubectl, every version on the machine, against the simulator's metrics API and
 * container logs: `kubectl top nodes`, `top pods -A`, `top pod X --containers` compared with
 * what the API answers (converted as kubectl converts: CPU rounded up to millicores, memory
 * down to MiB, percentages of allocatable), and `kubectl logs` with --tail, --since,
 * --timestamps, -c, --previous, -l --prefix and -f. The simulator's clock is a FakeClock, so
 * kubectl and the API read the same instant; -f sees new lines when the test moves it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/server.js';
import { formatCpu, formatMemory } from '../../src/simulator/usage-model.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { waitFor } from '../helpers/wait.js';
import { eachKubectl, Kubectl, rows, startKubectlSimulator } from './kubectl-runner.js';
import { type AnyJson, getJson, simFetch } from './sim-kit.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const M = '/apis/metrics.k8s.io/v1beta1';
const clock = new FakeClock(T0);
let sim: Simulator;
let pods: AnyJson[];

beforeAll(async () => {
  sim = await startKubectlSimulator(
    { seed: 5, nodes: 4, pods: 60, jobs: 3, namespaces: 2, now: new Date(T0) },
    { clock },
  );
  pods = (await getJson<AnyJson>(sim, '/api/v1/pods')).items;
});
afterAll(async () => {
  await sim?.close();
});

const CPU_NANOS: Record<string, number> = { n: 1, u: 1e3, m: 1e6, '': 1e9 };
const BYTES: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };

function nanos(q: string): number {
  const m = /^(\d+)(n|u|m|)$/.exec(q)!;
  return Number(m[1]) * CPU_NANOS[m[2]];
}

function bytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|)$/.exec(q)!;
  return Number(m[1]) * BYTES[m[2]];
}

/** As kubectl prints usage: Quantity.MilliValue() (rounded up) and Value() / 1 MiB (rounded down). */
const cpuCell = (n: number) => `${Math.ceil(n / 1e6)}m`;
const memoryCell = (b: number) => `${Math.floor(b / 2 ** 20)}Mi`;

function podTotals(item: AnyJson): [string, string] {
  const cpu = item.containers.reduce((s: number, c: AnyJson) => s + nanos(c.usage.cpu), 0);
  const memory = item.containers.reduce((s: number, c: AnyJson) => s + bytes(c.usage.memory), 0);
  return [cpuCell(cpu), memoryCell(memory)];
}

async function logText(path: string): Promise<string> {
  const res = await simFetch(sim, path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.text();
}

const logPath = (p: AnyJson, query: string) =>
  `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}/log?${query}`;
const isRunning = (p: AnyJson) =>
  p.status.phase === 'Running' && p.status.containerStatuses.every((s: AnyJson) => s.state.running);

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it("top nodes shows each node's usage and its share of allocatable as the API reports them", async () => {
      const metrics = (await getJson<AnyJson>(sim, `${M}/nodes`)).items;
      const nodes = new Map(
        (await getJson<AnyJson>(sim, '/api/v1/nodes')).items.map((n: AnyJson) => [n.metadata.name, n]),
      );
      const [header, ...body] = rows(await kubectl.ok(['top', 'nodes']));
      // 1.33 writes the percentages' headers as CPU(%) and MEMORY(%); earlier versions as CPU% and MEMORY%.
      expect(header.map((h) => h.replace('(%)', '%'))).toEqual([
        'NAME',
        'CPU(cores)',
        'CPU%',
        'MEMORY(bytes)',
        'MEMORY%',
      ]);
      const shown = body.filter((r) => r[1] !== '<unknown>');
      expect(shown.map((r) => r[0]).sort()).toEqual(metrics.map((m: AnyJson) => m.metadata.name).sort());
      for (const m of metrics) {
        const alloc = (nodes.get(m.metadata.name) as AnyJson).status.allocatable;
        const cpu = nanos(m.usage.cpu);
        const memory = bytes(m.usage.memory);
        const allocCpu = /m$/.test(alloc.cpu) ? Number(alloc.cpu.slice(0, -1)) : Number(alloc.cpu) * 1000;
        expect(shown.find((r) => r[0] === m.metadata.name)).toEqual([
          m.metadata.name,
          cpuCell(cpu),
          `${Math.floor((Math.ceil(cpu / 1e6) * 100) / allocCpu)}%`,
          memoryCell(memory),
          `${Math.floor((memory * 100) / bytes(alloc.memory))}%`,
        ]);
      }
    });

    it('top pods -A shows every pod with metrics, its containers summed', async () => {
      const metrics = (await getJson<AnyJson>(sim, `${M}/pods`)).items;
      const [header, ...body] = rows(await kubectl.ok(['top', 'pods', '-A']));
      expect(header).toEqual(['NAMESPACE', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
      const expected = metrics.map((m: AnyJson) => [m.metadata.namespace, m.metadata.name, ...podTotals(m)]);
      expect(body.sort()).toEqual(expected.sort());
    });

    it('top pod X --containers shows each container', async () => {
      const pod = pods.find((p) => isRunning(p) && p.spec.containers.length > 1)!;
      const { namespace, name } = pod.metadata;
      const item = await getJson<AnyJson>(sim, `${M}/namespaces/${namespace}/pods/${name}`);
      const [header, ...body] = rows(await kubectl.ok(['top', 'pod', name, '-n', namespace, '--containers']));
      expect(header).toEqual(['POD', 'NAME', 'CPU(cores)', 'MEMORY(bytes)']);
      // kubectl orders the containers by name.
      expect(body.sort()).toEqual(
        item.containers
          .map((c: AnyJson) => [name, c.name, cpuCell(nanos(c.usage.cpu)), memoryCell(bytes(c.usage.memory))])
          .sort(),
      );
    });

    it("get podmetrics prints metrics-server's Table: NAME, CPU, MEMORY, WINDOW", async () => {
      const items = (await getJson<AnyJson>(sim, `${M}/namespaces/kube-system/pods`)).items;
      const [header, ...body] = rows(await kubectl.ok(['get', 'podmetrics', '-n', 'kube-system']));
      expect(header).toEqual(['NAME', 'CPU', 'MEMORY', 'WINDOW']);
      expect(body).toEqual(
        items.map((m: AnyJson) => [
          m.metadata.name,
          formatCpu(m.containers.reduce((s: number, c: AnyJson) => s + nanos(c.usage.cpu), 0)),
          formatMemory(m.containers.reduce((s: number, c: AnyJson) => s + bytes(c.usage.memory), 0)),
          '15s',
        ]),
      );
    });

    it('logs --tail, --since, --timestamps and -c print what the API serves', async () => {
      const pod = pods.find((p) => isRunning(p) && p.spec.containers.length > 1)!;
      const { namespace, name } = pod.metadata;
      const c = pod.spec.containers[1].name;
      expect(await kubectl.ok(['logs', name, '-n', namespace, '-c', c, '--tail', '7'])).toBe(
        await logText(logPath(pod, `container=${c}&tailLines=7`)),
      );
      expect(
        await kubectl.ok(['logs', name, '-n', namespace, '-c', c, '--since', '30s', '--timestamps']),
      ).toBe(await logText(logPath(pod, `container=${c}&sinceSeconds=30&timestamps=true`)));
      const refused = await kubectl.run(['logs', name, '-n', namespace, '-c', 'nope']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain(`container nope is not valid for pod ${name}`);
    });

    it('logs --previous prints the last terminated run of a restarted container', async () => {
      const pod = pods.find((p) => isRunning(p) && p.status.containerStatuses[0].restartCount > 0)!;
      const { namespace, name } = pod.metadata;
      const c = pod.spec.containers[0].name;
      const previous = await kubectl.ok([
        'logs',
        name,
        '-n',
        namespace,
        '-c',
        c,
        '--previous',
        '--tail',
        '20',
      ]);
      expect(previous.split('\n').length).toBe(21);
      expect(previous).toBe(await logText(logPath(pod, `container=${c}&previous=true&tailLines=20`)));
      expect(previous).not.toBe(await logText(logPath(pod, `container=${c}&tailLines=20`)));
    });

    it("logs -l LABEL --prefix prints each matching pod's lines behind its name", async () => {
      const counts = new Map<string, AnyJson[]>();
      for (const p of pods.filter(isRunning)) {
        const app = p.metadata.labels?.app;
        if (app)
          counts.set(`${p.metadata.namespace}/${app}`, [
            ...(counts.get(`${p.metadata.namespace}/${app}`) ?? []),
            p,
          ]);
      }
      const group = [...counts.values()].find(
        (g) => g.length >= 2 && g.every((p) => p.spec.containers.length === 1),
      )!;
      const { namespace } = group[0].metadata;
      const out = await kubectl.ok([
        'logs',
        '-n',
        namespace,
        '-l',
        `app=${group[0].metadata.labels.app}`,
        '--prefix',
        '--tail',
        '3',
      ]);
      const expected: string[] = [];
      for (const p of group) {
        const text = await logText(logPath(p, 'tailLines=3'));
        for (const line of text.split('\n').slice(0, -1))
          expected.push(`[pod/${p.metadata.name}/${p.spec.containers[0].name}] ${line}`);
      }
      expect(out.split('\n').slice(0, -1).sort()).toEqual(expected.sort());
    });

    it("logs -f prints new lines as the cluster's clock moves", async () => {
      const pod = pods.filter((p) => isRunning(p) && p.spec.containers.length === 1)[1];
      const child = kubectl.spawn([
        'logs',
        '-f',
        pod.metadata.name,
        '-n',
        pod.metadata.namespace,
        '--tail',
        '1',
      ]);
      let out = '';
      child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
        out += chunk;
      });
      try {
        await waitFor(() => out.split('\n').length === 2, { message: 'the tail line', observe: () => out });
        clock.advance(5_000);
        await waitFor(() => out.split('\n').length > 4, {
          message: 'lines written after the clock moved',
          observe: () => out,
        });
        const now = await logText(logPath(pod, ''));
        await waitFor(() => now.endsWith(out), {
          message: "the followed lines to be the log's end",
          observe: () => out,
        });
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
}
