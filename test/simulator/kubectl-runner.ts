/**
 * Runs the real kubectl against a simulator through a kubeconfig written to a temporary
 * folder, with a private HOME and discovery cache so runs never see each other's cache.
 * A missing kubectl fails loudly: these tests are the proof that real clients work.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import type { ScenarioOptions } from '../../src/simulator/scenario/index.js';
import { type Simulator, type SimulatorOptions, startSimulator } from '../../src/simulator/server.js';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class Kubectl {
  readonly dir: string;
  readonly kubeconfigPath: string;
  private readonly env: NodeJS.ProcessEnv;

  /** `binary`: another kubectl than $KUBECTL, e.g. /usr/lib/google-cloud-sdk/bin/kubectl.1.27. */
  constructor(
    kubeconfig: string,
    readonly binary: string = KUBECTL,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'kubegate-kubectl-'));
    this.kubeconfigPath = join(this.dir, 'kubeconfig');
    writeFileSync(this.kubeconfigPath, kubeconfig, { mode: 0o600 });
    this.env = { PATH: process.env.PATH, HOME: this.dir, KUBECONFIG: this.kubeconfigPath, LANG: 'C' };
  }

  private args(args: string[]): string[] {
    return ['--kubeconfig', this.kubeconfigPath, '--cache-dir', join(this.dir, 'cache'), ...args];
  }

  /** Runs kubectl to completion (bounded by a timeout); never throws for a non-zero exit. */
  run(args: string[], timeoutMs = 20_000): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        this.args(args),
        { env: this.env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => {
          if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(missingKubectl());
            return;
          }
          if (err?.killed) {
            reject(new Error(`kubectl ${args.join(' ')} timed out after ${timeoutMs} ms; stderr: ${stderr}`));
            return;
          }
          resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
        },
      );
    });
  }

  /** Runs kubectl and fails with its stderr unless it exits 0. */
  async ok(args: string[], timeoutMs?: number): Promise<string> {
    const result = await this.run(args, timeoutMs);
    if (result.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    }
    return result.stdout;
  }

  /** Starts a long-running kubectl (e.g. `get -w`). */
  spawn(args: string[]): ChildProcess {
    const child = spawn(this.binary, this.args(args), { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    return child;
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function missingKubectl(): Error {
  return new Error(
    `kubectl was not found (looked for "${KUBECTL}" on PATH). These tests run the real kubectl against the ` +
      'simulator and must not be skipped: install kubectl (CI does, see .ci/run), or set KUBECTL to its path.',
  );
}

/** Fails with a clear message when kubectl cannot be run at all. */
export async function requireKubectl(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(KUBECTL, ['version', '--client'], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') reject(missingKubectl());
      else if (err) reject(new Error(`kubectl version --client failed: ${stderr || err.message}`));
      else resolve(stdout.trim());
    });
  });
}

/** Splits kubectl's column output into rows of cells (columns are separated by 2+ spaces). */
export function rows(output: string): string[][] {
  return output
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => line.trim().split(/\s{2,}/));
}

/** Where the machine keeps the versioned kubectl binaries (kubectl.1.27 … kubectl.1.33). */
export const KUBECTL_SDK_BIN = '/usr/lib/google-cloud-sdk/bin';

/**
 * Every kubectl to test with: the one on PATH and kubectl.1.27 … 1.33 beside it. `suite` is
 * vitest's `describe`, or `describe.skip` for a versioned binary that is absent, and
 * `skipped` says so in the suite's title.
 */
export function eachKubectl(): {
  label: string;
  binary: string;
  suite: (name: string, body: () => void) => void;
  skipped: string;
}[] {
  const binaries = [
    { label: 'PATH', binary: KUBECTL },
    ...['27', '28', '29', '30', '31', '32', '33'].map((minor) => ({
      label: `1.${minor}`,
      binary: `${KUBECTL_SDK_BIN}/kubectl.1.${minor}`,
    })),
  ];
  return binaries.map(({ label, binary }) => {
    const present = binary === KUBECTL || existsSync(binary);
    return {
      label,
      binary,
      suite: present ? describe : describe.skip,
      skipped: present ? '' : ` (skipped: ${binary} is absent)`,
    };
  });
}

/**
 * A simulator for kubectl tests, once kubectl is known to run: a still cluster (no churn,
 * a job controller that never steps) of the scenario given, with more options on top.
 */
export async function startKubectlSimulator(
  scenario: Partial<ScenarioOptions>,
  options: SimulatorOptions = {},
): Promise<Simulator> {
  await requireKubectl();
  return startSimulator({ churnPerSecond: 0, jobStepMs: 3_600_000, scenario, ...options });
}
