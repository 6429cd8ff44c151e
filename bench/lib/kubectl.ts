/**
 * System D: `kubectl get ... -o json` as a process, the way a dashboard that shells out
 * runs it. Each operation is one or more invocations timed together from spawn to exit,
 * run one after another (concurrency 1), with a private HOME and discovery cache warmed
 * once beforehand. Output is counted, not kept (at 100,000 pods it is gigabytes).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type CellResult, failedCell } from './load.js';
import { percentile, round } from './stats.js';
import { delta, type Upstream } from './upstream.js';

export const KUBECTL = process.env.KUBECTL ?? 'kubectl';

export interface KubectlEnv {
  kubeconfig: string;
  dir: string;
}

export function kubectlEnv(kubeconfig: string, dir: string): KubectlEnv {
  mkdirSync(join(dir, 'cache'), { recursive: true });
  return { kubeconfig, dir };
}

/** Runs one kubectl to completion; resolves with its wall time and output size, rejects on a non-zero exit. */
export function runKubectl(
  env: KubectlEnv,
  args: string[],
  timeoutMs: number,
): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(
      KUBECTL,
      ['--kubeconfig', env.kubeconfig, '--cache-dir', join(env.dir, 'cache'), ...args],
      {
        env: { PATH: process.env.PATH, HOME: env.dir, LANG: 'C' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let bytes = 0;
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      bytes += d.length;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      if (code === 0) resolve({ ms, bytes });
      else
        reject(
          new Error(
            `kubectl ${args.join(' ')} ${signal ? `killed (${signal}) after ${Math.round(ms)} ms` : `exited ${code}`}: ${stderr.trim()}`,
          ),
        );
    });
  });
}

/**
 * Times `runs` executions of an operation's invocations (fewer when the budget runs out,
 * at least one). p50/p99 over the executions; requests/s is the sequential rate.
 */
export async function measureKubectl(
  env: KubectlEnv,
  invocations: string[][],
  options: { runs: number; budgetMs: number; timeoutMs: number; note: string },
  upstream?: Upstream,
): Promise<CellResult> {
  const samples: number[] = [];
  let bytes = 0;
  const before = await upstream?.counters();
  const until = Date.now() + options.budgetMs;
  try {
    while (samples.length < options.runs && (samples.length === 0 || Date.now() < until)) {
      let ms = 0;
      bytes = 0;
      for (const args of invocations) {
        const r = await runKubectl(env, args, options.timeoutMs);
        ms += r.ms;
        bytes += r.bytes;
      }
      samples.push(ms);
    }
  } catch (err) {
    if (!samples.length) return failedCell((err as Error).message, 'process', 1);
  }
  const after = await upstream?.counters();
  const d = before && after ? delta(after, before) : undefined;
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  return {
    ok: true,
    mode: 'process',
    concurrency: 1,
    p50Ms: round(percentile(samples, 50)),
    p99Ms: round(percentile(samples, 99)),
    rps: round(1000 / mean, 3),
    requests: samples.length,
    errors: 0,
    runs: samples.map((ms) => ({
      requests: 1,
      p50Ms: round(ms),
      p99Ms: round(ms),
      rps: round(1000 / ms, 3),
      errors: 0,
    })),
    upstream: d
      ? {
          operations: samples.length,
          requestsPerOp: round(d.requests / samples.length, 4),
          bytesPerOp: Math.round(d.bytes / samples.length),
          watchRequests: d.watchRequests,
          watchBytes: d.watchBytes,
        }
      : undefined,
    responseBytes: bytes,
    note: `${options.note}; ${invocations.length} process${invocations.length > 1 ? 'es' : ''} per operation, ${samples.length} timed`,
  };
}
