import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseSimulatorArgs, UsageError } from '../../src/simulator/cli.js';
import { DEFAULT_SCENARIO } from '../../src/simulator/server.js';
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
