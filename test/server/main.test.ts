/**
 * The CLI as a newcomer runs it: `npm start` with no configuration serves the embedded
 * simulator through GraphQL; bad flags and bad config files get a clear error and exit 2.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';

const running: ChildProcess[] = [];

function start(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  // Node itself (the pinned one running vitest) with tsx's loader, so SIGTERM reaches our process, not npx.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  child.stderr!.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

function printed(output: () => string, pattern: RegExp): Promise<RegExpMatchArray> {
  return waitFor(() => output().match(pattern), {
    message: `the gateway to print ${pattern}`,
    timeoutMs: 30_000,
    intervalMs: 100,
    observe: () => `output so far:\n${output()}`,
  });
}

afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

describe('kubegate CLI', () => {
  it('starts the embedded simulator with no configuration and answers GraphQL', async () => {
    const { child, output, exited } = start(['--port', '0']);
    const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
    await printed(output, /ready: caches synced/);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ clusters { name status { ready } nodes(first: 100) { totalCount } } }',
      }),
    });
    const body = (await res.json()) as {
      data: { clusters: { name: string; status: { ready: boolean }; nodes: { totalCount: number } }[] };
    };
    expect(body.data.clusters).toEqual([
      { name: 'simulator', status: { ready: true }, nodes: { totalCount: 6 } },
    ]);
    const page = await fetch(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('graphiql');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('rejects unknown flags with usage and exit code 2', async () => {
    const { output, exited } = start(['--prot', '4000']);
    expect(await exited).toBe(2);
    expect(output()).toContain("Unknown option '--prot'");
    expect(output()).toContain('usage: npm start');
  }, 30_000);

  it('rejects a config file with the key path, what was expected and what came', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const file = join(dir, 'kubegate.yaml');
    writeFileSync(file, 'server:\n  port: "eighty"\nclusters:\n  - kubeconfig: 42\n');
    const { output, exited } = start(['--config', file]);
    expect(await exited).toBe(2);
    expect(output()).toMatch(/server\.port: .*expected number.*received "eighty"/);
    expect(output()).toMatch(/clusters\.0/);
  }, 30_000);

  it('serves a token given as its digest, and logs why a token was refused without the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const file = join(dir, 'kubegate.yaml');
    const good = 'cli-test-token-0123456789abcdef';
    const bad = 'cli-test-bad-token-must-not-be-logged';
    const digest = createHash('sha256').update(good).digest('hex');
    writeFileSync(
      file,
      `clusters:\n  - simulator: { nodes: 1, pods: 2, jobs: 0 }\nauth:\n  tokens:\n    - { name: ops, tokenSha256: ${digest} }\n`,
    );
    const { child, output, exited } = start(['--config', file, '--port', '0']);
    const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
    const ask = (token: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { name source } }' }),
      });
    expect(await (await ask(good)).json()).toEqual({ data: { viewer: { name: 'ops', source: 'STATIC' } } });
    expect((await ask(bad)).status).toBe(401);
    await printed(output, /auth static: refused a token: no method \(static\) knows the token/);
    expect(output()).not.toContain(bad);
    expect(output()).not.toMatch(/WARNING: no authentication/);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('refuses a TokenReview cluster that is not configured, naming the ones that are', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const file = join(dir, 'kubegate.yaml');
    writeFileSync(
      file,
      'clusters:\n  - simulator: { nodes: 1, pods: 2, jobs: 0 }\nauth:\n  kubernetes: { cluster: prod }\n',
    );
    const { output, exited } = start(['--config', file, '--port', '0']);
    expect(await exited).toBe(2);
    expect(output()).toContain(
      'auth.kubernetes.cluster: expected one of the clusters ["simulator"], received "prod"',
    );
  }, 30_000);
});
