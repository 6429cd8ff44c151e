/** The machine and the versions a run is recorded with. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine skews figures. */
  loadAverageAtStart: number[];
  /** Per core, ms for the same work pinned to it (`coreSpeeds`); absent where it could not be timed. */
  coreMs?: number[];
}

/** The work `coreSpeeds` times: 1,000 `JSON.stringify` of a 300-item answer-like object, ten times; prints the median. */
const CORE_WORK = `
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

/** Slowest core's time over the fastest's above which the cores are uneven. */
export const UNEVEN_CORES = 1.2;

/**
 * Each core's time (ms, one process pinned to it with `taskset -c N`) for the same work,
 * `rounds` times in turn; undefined without taskset. On the machine of session 46 one core
 * ran it at about half the speed of the other all afternoon (bench/results/uneven-cores.md),
 * and every figure setting two processes side by side then measured the scheduler.
 */
export function coreSpeeds(rounds = 1): number[][] | undefined {
  const cores = cpus().length;
  const figures: number[][] = Array.from({ length: cores }, () => []);
  try {
    for (let r = 0; r < rounds; r++) {
      for (let core = 0; core < cores; core++) {
        const text = execFileSync('taskset', ['-c', String(core), process.execPath, '-e', CORE_WORK], {
          encoding: 'utf8',
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        figures[core].push(Number(text.trim()));
      }
    }
  } catch {
    return undefined;
  }
  return figures;
}

/** "core 0 43.8 ms, core 1 81.0 ms (1.85×: uneven ...)" for a log line or a table cell. */
export function describeCores(ms: readonly number[]): string {
  const ratio = Math.max(...ms) / Math.min(...ms);
  const cores = ms.map((t, i) => `core ${i} ${t.toFixed(1)} ms`).join(', ');
  const uneven =
    ratio > UNEVEN_CORES
      ? ': uneven, so ratios between two processes measure where the scheduler put each'
      : '';
  return `${cores} (slowest ${ratio.toFixed(2)}× the fastest${uneven})`;
}

export interface Versions {
  node: string;
  kubegate: string;
  graphqlYoga: string;
  clientNode: string;
  graphql: string;
  autocannon: string;
  kubectl: string;
}

export function machineInfo(): MachineInfo {
  const list = cpus();
  let model = list[0]?.model ?? 'unknown';
  try {
    // /proc/cpuinfo's "model name" is often more specific than os.cpus() on VMs.
    model =
      readFileSync('/proc/cpuinfo', 'utf8')
        .match(/^model name\s*:\s*(.+)$/m)?.[1]
        ?.trim() || model;
  } catch {}
  return {
    cpuModel: model,
    cores: list.length,
    memoryBytes: totalmem(),
    os: `${process.platform} ${release()}`,
    loadAverageAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

function packageVersion(root: string, name: string): string {
  try {
    return (
      JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
  } catch {
    return 'unknown';
  }
}

/** kubectl's version as it runs against `kubeconfig` (the dispatcher picks the build by server version). */
export function kubectlVersion(kubeconfig?: string): string {
  try {
    const out = execFileSync(
      process.env.KUBECTL ?? 'kubectl',
      ['version', '-o', 'json', ...(kubeconfig ? ['--kubeconfig', kubeconfig] : ['--client'])],
      { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] },
    );
    const v = JSON.parse(out) as {
      clientVersion?: { gitVersion?: string };
      serverVersion?: { gitVersion?: string };
    };
    return `${v.clientVersion?.gitVersion ?? '?'} (server ${v.serverVersion?.gitVersion ?? '?'})`;
  } catch {
    return 'unavailable';
  }
}

export function versions(root: string, kubectl: string): Versions {
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return {
    node: process.version,
    kubegate: own.version,
    graphqlYoga: packageVersion(root, 'graphql-yoga'),
    clientNode: packageVersion(root, '@kubernetes/client-node'),
    graphql: packageVersion(root, 'graphql'),
    autocannon: packageVersion(root, 'autocannon'),
    kubectl,
  };
}

/**
 * CPU time a process has used so far, in ms: utime + stime of /proc/PID/stat (clock ticks of
 * 10 ms); null where there is no such process or no /proc. Per request it is a steadier figure
 * than throughput on a machine shared with other work: waiting for a core costs no CPU time.
 */
/**
 * The whole machine's busy CPU time so far, ms summed over its cores (/proc/stat: user,
 * nice, system, irq, softirq, steal), or null off Linux.
 */
export function machineBusyMs(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
    const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq + (steal ?? 0)) * 10;
  } catch {
    return null;
  }
}

export function processCpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command (which may hold spaces and parentheses): state is field 3 of
    // stat(5); utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * A full GC of this process (the harness), callable without `--expose-gc` on its command line.
 * The harness holds what no single client would: 10,000 graphql-ws clients in one heap. Their
 * connections made its old generation grow by ~330 MB at size L, and a major GC of that heap
 * then ran its concurrent marking in the middle of the timed events: 370 ms of this process's
 * CPU during one event (526 ms against 130–180 for the others), taken from the gateway's second
 * core on a 2-core machine (`KUBEGATE_BENCH_EVENT_LOG=1 SIZE=L npx tsx
 * bench/subscriptions-only.ts 10000 20 ws,ws,ws`). Collecting once the connections are made
 * leaves the timed events to the gateway's work.
 */
export function collectHarnessGarbage(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/**
 * The young generation `npm run bench` gives the harness (package.json). The harness holds
 * the subscription rows' clients, and what they keep from event to event reaches its old
 * generation, whose major GCs then mark beside the gateway during the timed events. Rounds of
 * 10,000 WebSocket subscribers at size L (`KUBEGATE_BENCH_EVENT_LOG=1 SIZE=L node
 * --max-semi-space-size=64 --import tsx bench/subscriptions-only.ts 10000 20 ws,ws,ws,ws`),
 * counting those with a CPU burst of the harness: with collectHarnessGarbage and V8's default,
 * 5 of 6 (at events 5 and 16, as the old generation refilled); with it and this flag, 1 of 9;
 * with both and a byte per subscriber instead of a Set per event (subscriptions.ts), 0 of 4.
 * bench/results/fanout-stalls.md.
 */
export const HARNESS_SEMI_SPACE = '--max-semi-space-size=64';

/** This process's Node/V8 flags, without the loaders (tsx's `--import`/`--require` and their modules). */
export function harnessFlags(): string[] {
  const loader = (flag: string | undefined) => flag === '--import' || flag === '--require' || flag === '-r';
  return process.execArgv.filter(
    (flag, i, all) =>
      !loader(flag) && !loader(all[i - 1]) && !flag.startsWith('--import=') && !flag.startsWith('--require='),
  );
}
