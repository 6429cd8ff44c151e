/** The machine and the versions a run is recorded with. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  os: string;
  /** 1-, 5- and 15-minute load averages when the run started: other work on the machine skews figures. */
  loadAverageAtStart: number[];
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
