/**
 * The CLI as a newcomer runs it: `npm start` with no configuration serves the embedded
 * simulator through GraphQL; bad flags and bad config files get a clear error and exit 2.
 *
 * Its own log lines hold no credential: every CLI's stdout and stderr goes to the run's log
 * directory (scanned at the end of the run, test-log.ts), and after each test here its output
 * is scanned at once for the secrets this file used, JWTs and `Bearer <token>`.
 */
import { type ChildProcess, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type CliProcess, messagesOf, printed, startCli } from '../helpers/cli-process.js';
import { scanText } from '../helpers/log-scan.js';
import { recordedSecrets, recordSecret } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { subscribe } from '../subscriptions/clients.js';

const running: ChildProcess[] = [];
/** Each CLI's whole output, scanned after its test. */
const outputs: (() => string)[] = [];
const simulators: Simulator[] = [];

function start(
  args: string[],
  /** What node runs: the sources through tsx (npm start), or a built entry (npm run start:prod). */
  entry?: string[],
): CliProcess {
  const cli = startCli(args, { entry });
  running.push(cli.child);
  outputs.push(cli.output);
  return cli;
}

afterEach(async () => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
  await Promise.all(simulators.splice(0).map((s) => s.close()));
  // Said here as well as by the run's scan, so a leak fails the test that made it.
  for (const output of outputs.splice(0)) {
    expect(scanText(output(), recordedSecrets()), 'credentials in the CLI output').toEqual([]);
  }
});

describe('kubegate CLI', () => {
  it('starts the embedded simulator with no configuration and answers GraphQL', async () => {
    const { child, output, exited } = start(['--port', '0', '--shutdown-delay-ms', '0']);
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

  it('runs from the production build: npm run build compiles src/ to JavaScript that node runs without tsx', async () => {
    // The build's own config, into a folder of its own inside the repository (the compiled
    // files import the packages of node_modules, found from there).
    const outDir = '.build-test';
    rmSync(outDir, { recursive: true, force: true });
    try {
      await new Promise<void>((resolve, reject) =>
        execFile(
          process.execPath,
          ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json', '--outDir', outDir],
          (err, stdout, stderr) => (err ? reject(new Error(`tsc failed: ${stdout}${stderr}`)) : resolve()),
        ),
      );
      const { child, output, exited } = start(
        ['--port', '0', '--shutdown-delay-ms', '0'],
        [`${outDir}/main.js`],
      );
      const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
      await printed(output, /ready: caches synced/);
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: '{ clusters { name summary { nodes } } }' }),
      });
      expect(await res.json()).toEqual({
        data: { clusters: [{ name: 'simulator', summary: { nodes: 6 } }] },
      });
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  }, 90_000);

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
    recordSecret(good, 'the CLI test static token');
    recordSecret(bad, 'a token the CLI test sent');
    const digest = createHash('sha256').update(good).digest('hex');
    writeFileSync(
      file,
      `clusters:\n  - simulator: { nodes: 1, pods: 2, jobs: 0 }\nauth:\n  tokens:\n    - { name: ops, tokenSha256: ${digest} }\n`,
    );
    const { child, output, exited } = start(['--config', file, '--port', '0', '--shutdown-delay-ms', '0']);
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
    expect(messagesOf(output())).toContain(
      'auth.kubernetes.cluster: expected one of the clusters ["simulator"], received "prod"',
    );
  }, 30_000);

  it('reviews tokens with a cluster and logs refusals and an outage without a token, JWT or Bearer', async () => {
    const alice = { token: 'cli-review-alice-token-7d1e0b', user: 'alice', groups: ['dev'] };
    const sim = await startSimulator({
      churnPerSecond: 0,
      scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 },
      users: [alice],
    });
    simulators.push(sim);
    recordSecret(sim.adminToken, "the reviewing cluster's admin token (in the kubeconfig)");
    recordSecret(alice.token, "a simulator user's token");
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(kubeconfig, sim.kubeconfig({ context: 'review' }));
    const file = join(dir, 'kubegate.yaml');
    writeFileSync(
      file,
      `clusters:\n  - kubeconfig: ${kubeconfig}\n    cache: false\nauth:\n  kubernetes: { cluster: review }\n`,
    );
    const { child, output, exited } = start(['--config', file, '--port', '0', '--shutdown-delay-ms', '0']);
    const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
    const ask = async (token: string) => {
      recordSecret(token, 'a token the CLI test sent');
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: '{ viewer { name source } }' }),
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await ask(alice.token)).toEqual({
      status: 200,
      body: { data: { viewer: { name: 'alice', source: 'KUBERNETES' } } },
    });
    // A made-up token, and a JWT of no configured issuer: both go to the cluster, which refuses them.
    const jwt = `${Buffer.from('{"alg":"RS256","kid":"k"}').toString('base64url')}.${Buffer.from(
      '{"iss":"https://idp.example","sub":"mallory"}',
    ).toString('base64url')}.c2lnbmF0dXJl`;
    expect((await ask('cli-review-unknown-token-4c2f9a')).status).toBe(401);
    expect((await ask(jwt)).status).toBe(401);
    await printed(
      output,
      /auth kubernetes: refused a token: kubernetes: cluster "review" did not authenticate/,
    );
    // The cluster goes away: the token could not be checked, and the log says why.
    sim.refuseConnections(600);
    expect((await ask('cli-review-during-outage-token-93be')).status).toBe(503);
    await printed(
      output,
      /auth kubernetes: could not check a token: kubernetes: cluster "review" is unreachable/,
    );
    for (const secret of [alice.token, sim.adminToken, jwt, 'cli-review-unknown-token-4c2f9a']) {
      expect(output()).not.toContain(secret);
    }
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);

  it('shuts down gracefully on SIGTERM: /readyz 503 during the delay while queries are answered, subscriptions end with SHUTTING_DOWN, exit 0', async () => {
    const { child, output, exited } = start(['--port', '0', '--shutdown-delay-ms', '3000']);
    const [, url] = await printed(output, /kubegate listening on (http:\/\/\S+\/graphql)/);
    await printed(output, /ready: caches synced/);
    const base = url.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const sse = subscribe('sse', url, 'subscription { podEvents(initial: true) { type object { name } } }');
    await sse.count(1);
    child.kill('SIGTERM');
    await printed(output, /SIGTERM: shutting down/);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.text()).toBe('shutting down\n');
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ clusters { name } }' }),
    });
    expect(await answer.json()).toEqual({ data: { clusters: [{ name: 'simulator' }] } });
    await sse.end();
    expect(sse.completed).toBe(true);
    expect(sse.results.at(-1).errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toEqual(
      ['SHUTTING_DOWN'],
    );
    expect(await exited).toBe(0);
    expect(messagesOf(output())).toMatch(/shut down\n/);
  }, 60_000);

  it('exits at once on a second signal during the drain', async () => {
    const { child, output, exited } = start(['--port', '0', '--shutdown-delay-ms', '600000']);
    await printed(output, /kubegate listening on/);
    child.kill('SIGTERM');
    await printed(output, /SIGTERM: shutting down/);
    child.kill('SIGINT');
    expect(await exited).toBe(1);
    expect(output()).toContain('SIGINT again: exiting now');
  }, 60_000);

  it('writes JSON lines on stdout, and with --log-level warn drops every info line: startup, requests, shutdown', async () => {
    // The port is chosen here: the line that names it is info, which warn drops.
    const port = await freePort();
    const { child, output } = start([
      '--port',
      String(port),
      '--log-level',
      'warn',
      '--shutdown-delay-ms',
      '0',
    ]);
    const closed = new Promise((resolve) => child.on('close', resolve));
    const url = `http://127.0.0.1:${port}/graphql`;
    const answer = await waitFor(
      () =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-request-id': 'cli-warn-level-1' },
          body: JSON.stringify({ query: '{ clusters { name } }' }),
        }).then((r) => r.json()),
      { message: 'the gateway to answer', timeoutMs: 30_000, observe: () => output() },
    );
    expect(answer).toEqual({ data: { clusters: [{ name: 'simulator' }] } });
    child.kill('SIGTERM');
    await closed;
    const lines = output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { level: string; msg: string });
    // The open gateway's warning is warn: it stays, and it is all there is.
    expect(lines.map((l) => [l.level, l.msg.slice(0, 40)])).toEqual([
      ['warn', 'WARNING: no authentication is configured'],
    ]);
    expect(output()).not.toContain('cli-warn-level-1');
  }, 60_000);

  it('refuses a bad --log-level or logging.level, naming what it expected', async () => {
    const flag = start(['--log-level', 'loud']);
    expect(await flag.exited).toBe(2);
    expect(flag.output()).toContain(
      '--log-level: expected one of trace, debug, info, warn, error, fatal, silent, received "loud"',
    );
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const file = join(dir, 'kubegate.yaml');
    writeFileSync(file, 'logging:\n  level: verbose\n');
    const config = start(['--config', file]);
    expect(await config.exited).toBe(2);
    expect(config.output()).toMatch(/logging\.level: .*"info".*; received "verbose"/);
  }, 30_000);
});

/** A port nothing listens on now (the kernel's choice, released at once). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
