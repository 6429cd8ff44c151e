/**
 * What one cluster costs a replica, for sizing a sharded fleet: the production build
 * (`npm run build` first) serving simulators in processes of their own, measured from
 * /proc: RSS once synced (and settled 15 s), CPU over 60 s at the simulator's default churn
 * (2 changes per second per cluster), and the watches it holds open upstream.
 *
 *   npx tsx scripts/measure-shard-cost.ts          # prints a Markdown table
 *
 * Measures, asserts nothing (like bench/).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch } from 'undici';
import { parse, stringify } from 'yaml';

interface Run {
  label: string;
  clusters: { pods: number; nodes: number }[];
}

const RUNS: Run[] = [
  { label: '1 cluster, 100 pods', clusters: [{ pods: 100, nodes: 5 }] },
  {
    label: '8 clusters, 100 pods each',
    clusters: Array.from({ length: 8 }, () => ({ pods: 100, nodes: 5 })),
  },
  { label: '1 cluster, 10,000 pods', clusters: [{ pods: 10_000, nodes: 100 }] },
  { label: '1 cluster, 20,000 pods', clusters: [{ pods: 20_000, nodes: 200 }] },
];
const SETTLE_MS = 15_000;
const CPU_WINDOW_MS = 60_000;
const dir = mkdtempSync(join(tmpdir(), 'kubegate-shard-cost-'));

function start(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, output: () => out };
}

async function until(output: () => string, pattern: RegExp, timeoutMs = 300_000): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${output()}`);
    await sleep(200);
  }
}

function proc(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)![1]);
  // utime and stime, fields 14 and 15 of /proc/pid/stat, in clock ticks (100 per second).
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return {
    rssMb: kb('VmRSS') / 1024,
    hwmMb: kb('VmHWM') / 1024,
    cpuTicks: Number(stat[11]) + Number(stat[12]),
  };
}

async function openWatches(url: string, token: string, ca: string): Promise<number> {
  const res = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    dispatcher: new Agent({ connect: { ca } }),
  });
  let total = 0;
  for (const line of (await res.text()).split('\n')) {
    const m = /^apiserver_longrunning_requests\{[^}]*verb="WATCH"[^}]*\} (\d+)/.exec(line);
    if (m) total += Number(m[1]);
  }
  return total;
}

async function measure(run: Run) {
  const sims = await Promise.all(
    run.clusters.map(async (c, i) => {
      const file = join(dir, `c${i}.kubeconfig`);
      const sim = start([
        '--import',
        'tsx',
        'src/simulator/cli.ts',
        '--pods',
        String(c.pods),
        '--nodes',
        String(c.nodes),
        '--port',
        '0',
        '--kubeconfig-out',
        file,
      ]);
      await until(sim.output, /kubeconfig written/);
      // Each its own context name, so one configuration lists them all.
      const config = parse(readFileSync(file, 'utf8'));
      config.contexts[0].name = `c${i}`;
      config['current-context'] = `c${i}`;
      writeFileSync(file, stringify(config), { mode: 0o600 });
      const cluster = config.clusters[0].cluster;
      return {
        sim,
        file,
        url: cluster.server as string,
        ca: Buffer.from(cluster['certificate-authority-data'], 'base64').toString(),
        token: config.users[0].user.token as string,
      };
    }),
  );
  const configFile = join(dir, 'kubegate.yaml');
  writeFileSync(configFile, stringify({ clusters: sims.map((s) => ({ kubeconfig: s.file })) }));
  const gateway = start([
    '--enable-source-maps',
    'dist/main.js',
    '--config',
    configFile,
    '--port',
    '0',
    '--shutdown-delay-ms',
    '0',
  ]);
  const [, syncMs] = await until(gateway.output, /ready: caches synced in (\d+) ms/);
  await sleep(SETTLE_MS);
  const pid = gateway.child.pid!;
  const before = proc(pid);
  await sleep(CPU_WINDOW_MS);
  const after = proc(pid);
  const watches = (await Promise.all(sims.map((s) => openWatches(s.url, s.token, s.ca)))).reduce(
    (a, b) => a + b,
    0,
  );
  gateway.child.kill('SIGTERM');
  for (const s of sims) s.sim.child.kill('SIGTERM');
  await sleep(1000);
  return {
    label: run.label,
    syncMs: Number(syncMs),
    rssMb: after.rssMb,
    hwmMb: after.hwmMb,
    cpuPercent: ((after.cpuTicks - before.cpuTicks) / 100 / (CPU_WINDOW_MS / 1000)) * 100,
    watches,
    watchesPerCluster: watches / run.clusters.length,
  };
}

const rows = [];
for (const run of RUNS) {
  const r = await measure(run);
  process.stderr.write(`${JSON.stringify(r)}\n`);
  rows.push(r);
}
console.log(
  '| clusters served | first sync | RSS settled (peak) | CPU over 60 s, 2 changes/s per cluster | upstream watches (per cluster) |',
);
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.label} | ${(r.syncMs / 1000).toFixed(1)} s | ${r.rssMb.toFixed(0)} MB (${r.hwmMb.toFixed(0)} MB) | ${r.cpuPercent.toFixed(1)} % of a core | ${r.watches} (${r.watchesPerCluster}) |`,
  );
}
console.log(
  `\nnode ${process.version}, load average ${(await import('node:os'))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}, ${new Date().toISOString()}`,
);
