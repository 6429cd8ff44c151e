import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSimulatorArgs, UsageError } from '../../src/simulator/cli.js';
import { DEFAULT_SCENARIO } from '../../src/simulator/server.js';
import { printed as gatewayPrinted, startCli as startGatewayCli } from '../helpers/cli-process.js';
import { recordSecret } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { Kubectl, requireKubectl, rows } from './kubectl-runner.js';
import type { AnyJson } from './sim-kit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
// One process: node itself with tsx's loader (as test/server/main.test.ts does). Neither
// `npx tsx` (npm exec does not pass SIGTERM on) nor tsx's CLI (a parent that relays the
// signal, and SIGKILLs the child and exits 143 unless the child acknowledges it within
// 30 ms, which a loaded machine misses) lets the test see how the simulator itself exits.

function usageError(argv: string[]): UsageError {
  try {
    parseSimulatorArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
}

describe('parseSimulatorArgs', () => {
  it('gives a small live cluster on 127.0.0.1:6443 by default', () => {
    expect(parseSimulatorArgs([])).toEqual({
      scenario: DEFAULT_SCENARIO,
      churn: 2,
      port: 6443,
      host: '127.0.0.1',
      token: undefined,
      kubeconfigOut: undefined,
      history: undefined,
      bookmarkIntervalMs: undefined,
      verbose: false,
    });
  });

  it('reads every flag of the documented command line', () => {
    const options = parseSimulatorArgs(
      '--nodes 50 --pods 5000 --jobs 5000 --namespaces 20 --seed 1 --churn 20 --port 0 --kubeconfig-out sim.kubeconfig --host ::1 --token abc --history 100 --bookmark-interval-ms 250 --max-pods-per-namespace 400 --verbose'.split(
        ' ',
      ),
    );
    expect(options).toEqual({
      scenario: { nodes: 50, pods: 5000, jobs: 5000, namespaces: 20, seed: 1, maxPodsPerNamespace: 400 },
      churn: 20,
      port: 0,
      host: '::1',
      token: 'abc',
      kubeconfigOut: 'sim.kubeconfig',
      history: 100,
      bookmarkIntervalMs: 250,
      verbose: true,
    });
    expect(parseSimulatorArgs(['--pods=7'])).toMatchObject({ scenario: { pods: 7 } });
    expect(parseSimulatorArgs(['--help'])).toBe('help');
  });

  it('rejects bad flags with a UsageError that says what was expected and what came', () => {
    expect(usageError(['--pods', 'ten']).message).toBe('--pods: expected an integer >= 0, received "ten"');
    expect(usageError(['--nodes', '0']).message).toBe('--nodes: expected an integer >= 1, received "0"');
    expect(usageError(['--churn=-3']).message).toBe('--churn: expected an integer >= 0, received "-3"');
    expect(usageError(['--churn', '-3']).message).toMatch(/--churn/);
    expect(usageError(['--port', '1.5']).message).toMatch(/--port: expected an integer/);
    expect(usageError(['--history', '0']).message).toMatch(/--history: expected an integer >= 1/);
    expect(usageError(['--bogus']).message).toMatch(/--bogus/);
    expect(usageError(['--pods']).message).toMatch(/--pods/);
    expect(usageError(['extra']).message).toMatch(/extra/);
    expect(usageError(['--verbose=yes']).message).toMatch(/--verbose/);
    expect(usageError(['--metrics-resolution', '15']).message).toBe(
      '--metrics-resolution: expected a duration of at least 1s such as 15s, 1m or 1m30s, received "15"',
    );
    expect(usageError(['--metrics-resolution', '0s']).message).toMatch(/at least 1s/);
  });

  it('reads the metrics API flags: a resolution as a Go duration, and --no-metrics-api', () => {
    expect(parseSimulatorArgs(['--metrics-resolution', '1m30s'])).toMatchObject({
      metricsResolutionSeconds: 90,
    });
    expect(parseSimulatorArgs(['--metrics-resolution=15s'])).toMatchObject({ metricsResolutionSeconds: 15 });
    expect(parseSimulatorArgs(['--no-metrics-api'])).toMatchObject({ metrics: false });
    expect(parseSimulatorArgs([])).toMatchObject({ metrics: undefined, metricsResolutionSeconds: undefined });
  });

  it('reads --clusters N (N >= 1; absent: one cluster, as before)', () => {
    expect(parseSimulatorArgs(['--clusters', '3'])).toMatchObject({ clusters: 3 });
    expect(parseSimulatorArgs([]).valueOf()).not.toHaveProperty('clusters');
    expect(usageError(['--clusters', '0']).message).toBe(
      '--clusters: expected an integer >= 1, received "0"',
    );
  });
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function runCli(args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/simulator/cli.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

function printed(running: Running, pattern: RegExp): Promise<RegExpMatchArray> {
  return waitFor(() => running.stdout().match(pattern), {
    message: `the simulator CLI to print ${pattern}`,
    timeoutMs: 20_000,
    intervalMs: 50,
    giveUpIf: () => running.child.exitCode !== null && `it exited ${running.child.exitCode}`,
    observe: () => `stdout: ${running.stdout()}; stderr: ${running.stderr()}`,
  });
}

describe('the simulator CLI as a process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-cli-'));
  const started: ChildProcess[] = [];
  afterAll(() => {
    for (const child of started)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints its URL, writes a kubeconfig kubectl can use, and exits 0 on SIGTERM', async () => {
    await requireKubectl();
    const kubeconfig = join(dir, 'sim.kubeconfig');
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, 'file-user-token,file-user,42,"team-a,team-b"\n');
    const running = runCli(
      `--port 0 --kubeconfig-out ${kubeconfig} --nodes 3 --pods 24 --jobs 2 --namespaces 2 --churn 0 --token-auth-file ${tokens}`.split(
        ' ',
      ),
    );
    started.push(running.child);
    const [, url] = await printed(running, /listening on (https:\/\/127\.0\.0\.1:\d+)/);
    // Its own write after the listening line: a pipe may hand it over in a later chunk.
    await printed(running, /kubeconfig written to /);
    expect(running.stdout()).toContain(`kubeconfig written to ${kubeconfig}`);
    expect(existsSync(kubeconfig)).toBe(true);

    const config = parse(readFileSync(kubeconfig, 'utf8')) as AnyJson;
    expect(config.clusters[0].cluster.server).toBe(url);
    expect(config.clusters[0].cluster['certificate-authority-data']).toBeTruthy();
    expect(config.users[0].user.token).toBeTruthy();
    expect(config['current-context']).toBe(config.contexts[0].name);

    const kubectl = new Kubectl(readFileSync(kubeconfig, 'utf8'));
    try {
      const [header, ...nodes] = rows(await kubectl.ok(['get', 'nodes']));
      expect(header[0]).toBe('NAME');
      expect(nodes).toHaveLength(3);
      const pods = rows(await kubectl.ok(['get', 'pods', '-A', '--no-headers']));
      expect(pods).toHaveLength(24);
      // A user of the --token-auth-file, with its uid and groups.
      expect(rows(await kubectl.ok(['--token', 'file-user-token', 'auth', 'whoami']))).toEqual([
        ['ATTRIBUTE', 'VALUE'],
        ['Username', 'file-user'],
        ['UID', '42'],
        ['Groups', '[team-a team-b system:authenticated]'],
      ]);
    } finally {
      kubectl.cleanup();
    }

    running.child.kill('SIGTERM');
    expect(await running.exited).toEqual({ code: 0, signal: null });
  });

  it('--clusters 3: three clusters on three ports, one kubeconfig with a context each, kubectl and a gateway see all three', async () => {
    await requireKubectl();
    const kubeconfig = join(dir, 'fleet.kubeconfig');
    const running = runCli(
      `--clusters 3 --port 0 --kubeconfig-out ${kubeconfig} --nodes 2 --pods 10 --jobs 1 --namespaces 1 --churn 0`.split(
        ' ',
      ),
    );
    started.push(running.child);
    await printed(running, /kubeconfig written to/);
    const urls = [
      ...running.stdout().matchAll(/listening on (https:\/\/127\.0\.0\.1:\d+).* as context (\S+)/g),
    ];
    expect(urls.map((m) => m[2])).toEqual([
      'kubegate-simulator-0',
      'kubegate-simulator-1',
      'kubegate-simulator-2',
    ]);
    expect(new Set(urls.map((m) => m[1])).size).toBe(3);

    const text = readFileSync(kubeconfig, 'utf8');
    const config = parse(text) as AnyJson;
    for (const user of config.users) recordSecret(user.user.token, 'a --clusters simulator admin token');
    expect(config.contexts.map((c: AnyJson) => c.name)).toEqual(urls.map((m) => m[2]));
    expect(config.clusters.map((c: AnyJson) => c.cluster.server)).toEqual(urls.map((m) => m[1]));
    expect(config['current-context']).toBe('kubegate-simulator-0');

    const kubectl = new Kubectl(text);
    const podNames: string[][] = [];
    try {
      for (const [, , context] of urls) {
        const [header, ...nodes] = rows(await kubectl.ok(['--context', context, 'get', 'nodes']));
        expect(header[0]).toBe('NAME');
        expect(nodes).toHaveLength(2);
        podNames.push(
          rows(await kubectl.ok(['--context', context, 'get', 'pods', '-A', '--no-headers'])).map(
            (p) => p[1],
          ),
        );
      }
    } finally {
      kubectl.cleanup();
    }
    // Seeds differ per cluster: the clusters are not copies of each other.
    expect(podNames.map((p) => p.length)).toEqual([10, 10, 10]);
    expect(new Set(podNames.map((p) => p.join())).size).toBe(3);

    // The gateway, configured with the kubeconfig's contexts, serves the three clusters.
    const gateway = startGatewayCli(['--kubeconfig', kubeconfig, '--port', '0', '--shutdown-delay-ms', '0']);
    started.push(gateway.child);
    try {
      const [, url] = await gatewayPrinted(gateway.output, /kubegate listening on (http:\/\/\S+\/graphql)/);
      const readyz = url.replace(/\/graphql$/, '/readyz');
      const lines = await waitFor(
        async () => {
          const body = await (await fetch(readyz)).text();
          const synced = body.split('\n').filter((l) => l.endsWith(': synced'));
          return synced.length === 3 ? synced : undefined;
        },
        { message: 'three clusters synced in /readyz', timeoutMs: 30_000 },
      );
      expect(lines.map((l) => l.split(':')[0])).toEqual(urls.map((m) => m[2]));
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ clusters { name summary { nodes } } }' }),
      });
      const body = (await res.json()) as {
        data: { clusters: { name: string; summary: { nodes: number } }[] };
      };
      expect(body.data.clusters).toEqual(urls.map((m) => ({ name: m[2], summary: { nodes: 2 } })));
    } finally {
      gateway.child.kill('SIGKILL');
    }

    running.child.kill('SIGTERM');
    expect(await running.exited).toEqual({ code: 0, signal: null });
    // Three processes (simulator, kubectl, gateway) on a shared machine: ~12 s idle.
  }, 120_000);

  it('exits 2 when the token file does not read, saying why as kube-apiserver does', async () => {
    const tokens = join(dir, 'short.csv');
    writeFileSync(tokens, 'only-two,columns\n');
    const running = runCli(['--port', '0', '--churn', '0', '--token-auth-file', tokens]);
    started.push(running.child);
    expect(await running.exited).toEqual({ code: 2, signal: null });
    expect(running.stderr()).toContain(
      `simulator: --token-auth-file: token file '${tokens}' must have at least 3 columns (token, user name, user uid), found 2`,
    );
  });

  it('exits 2 with the usage on a bad flag', async () => {
    const running = runCli(['--pods', 'many']);
    started.push(running.child);
    expect(await running.exited).toEqual({ code: 2, signal: null });
    expect(running.stderr()).toContain('simulator: --pods: expected an integer >= 0, received "many"');
    expect(running.stderr()).toContain('usage: npm run simulator -- [options]');
  });
});
