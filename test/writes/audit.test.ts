/**
 * Every write is audited: one record per write sent or refused (principal, the identity
 * it was made as, cluster, verb, object, outcome, latency), counted in
 * `kubegate_writes_total{cluster,verb,resource,code}` on /metrics, and printed by the CLI
 * as one JSON line. No credential appears in either.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrometheusText } from '../../src/simulator/metrics.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { scanText } from '../helpers/log-scan.js';
import { recordedSecrets, runLog } from '../helpers/test-log.js';
import { waitFor } from '../helpers/wait.js';
import { as, LISTS, OPS, startWriteKit, VIEWER, type WriteKit } from './kit.js';

const NS = 'writes-audit';
let k: WriteKit;

beforeAll(async () => {
  // The gateway's clock stands still: the bucket (burst 2) refills only when the test says.
  k = await startWriteKit({
    writes: { qps: 1, burst: 2 },
    clock: new FakeClock(Date.parse('2030-01-01T00:00:00Z')),
  });
  await k.namespace(NS);
  for (const name of ['a', 'b']) await k.pod(NS, name);
}, 60_000);

afterAll(() => k?.close(), 30_000);

async function metrics(): Promise<Map<string, number>> {
  const res = await fetch(k.h.url.replace(/\/graphql$/, '/metrics'), { headers: as(LISTS) });
  expect(res.status).toBe(200);
  return parsePrometheusText(await res.text());
}

const del = (name: string, token = OPS) =>
  k.gql(`mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "${name}") { visible } }`, {}, token);

describe('the audit of writes', () => {
  it('records and counts each write by outcome, with bounded labels and no credential', async () => {
    const before = k.records.length;
    expect((await del('a')).errors).toBeUndefined(); // OK
    expect((await del('b', VIEWER)).errors[0].extensions.code).toBe('FORBIDDEN'); // the server's 403
    expect((await del('gone')).errors[0].extensions.code).toBe('RATE_LIMITED'); // the bucket (burst 2) is empty
    expect((await del('b', LISTS)).errors[0].extensions.code).toBe('FORBIDDEN'); // no identity: nothing sent
    const records = k.records.slice(before);
    expect(records.map((r) => [r.principal, r.as, r.code, r.upstreamStatus])).toEqual([
      ['ops', 'ops', 'OK', undefined],
      ['viewer', 'viewer', 'FORBIDDEN', 403],
      ['ops', 'ops', 'RATE_LIMITED', undefined],
      ['lists', undefined, 'FORBIDDEN', undefined],
    ]);
    for (const r of records) {
      expect(r).toMatchObject({
        mutation: 'deletePod',
        cluster: 'sim',
        verb: 'delete',
        resource: 'pods',
        namespace: NS,
        dryRun: false,
      });
      expect(typeof r.latencyMs).toBe('number');
      expect(r.requestId).toMatch(/./);
    }
    expect(records[0]).toMatchObject({ name: 'a', visible: true });
    const text = JSON.stringify(records);
    for (const token of [OPS, VIEWER, LISTS]) expect(text).not.toContain(token);

    const m = await metrics();
    const count = (code: string) =>
      m.get(`kubegate_writes_total{cluster="sim",verb="delete",resource="pods",code="${code}"}`);
    expect(count('OK')).toBe(1);
    expect(count('FORBIDDEN')).toBe(2);
    expect(count('RATE_LIMITED')).toBe(1);
  });
});

describe('the CLI', () => {
  let child: ChildProcess | undefined;
  afterAll(() => child?.kill('SIGKILL'));

  it('logs one JSON line per write (the structured log on stdout)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-writes-'));
    const config = join(dir, 'kubegate.yaml');
    // The open gateway writes as local-dev, whom the embedded simulator's RBAC grants nothing.
    writeFileSync(config, 'writes:\n  openAs: { user: local-dev }\n');
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--port', '0', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // Into the run's log like every CLI's output, and scanned for credentials below.
    let out = '';
    const log = runLog();
    const file = `cli-${child.pid}`;
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (d) => {
        out += d;
        log.append(file, String(d));
      });
    }
    const [, url] = await waitFor(() => out.match(/kubegate listening on (http:\/\/\S+\/graphql)/), {
      message: 'the gateway to listen',
      timeoutMs: 30_000,
      observe: () => out,
    });
    await waitFor(() => out.includes('ready: caches synced'), {
      message: 'the caches',
      timeoutMs: 30_000,
      observe: () => out,
    });
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation { cordonNode(cluster: "simulator", name: "node-000", dryRun: true) { visible } }',
      }),
    });
    const body = (await res.json()) as { errors?: { message: string; extensions: { code: string } }[] };
    expect(body.errors?.[0].extensions.code).toBe('FORBIDDEN');
    expect(body.errors?.[0].message).toContain('User "local-dev" cannot patch resource "nodes"');
    const [line] = await waitFor(() => out.match(/^\{.*"msg":"write cordonNode FORBIDDEN"\}$/m), {
      message: 'the audit line',
      observe: () => out,
    });
    const record = JSON.parse(line);
    expect(record.level).toBe('info');
    expect(record).toMatchObject({
      mutation: 'cordonNode',
      principal: 'anonymous',
      as: 'local-dev',
      cluster: 'simulator',
      verb: 'patch',
      resource: 'nodes',
      name: 'node-000',
      dryRun: true,
      code: 'FORBIDDEN',
      upstreamStatus: 403,
    });
    expect(typeof record.latencyMs).toBe('number');
    expect(scanText(out, recordedSecrets()), 'credentials in the CLI output').toEqual([]);
  }, 60_000);
});
