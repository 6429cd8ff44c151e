/**
 * The benchmark harness in its tiny configuration (3 nodes, 30 pods, one short run per
 * system, kubectl once), end to end through its CLI, so that it cannot rot: every system
 * (R, B as RBAC users, included) answers every operation, the figures are there and
 * positive, and the files are written to the --out folder, never over bench/RESULTS.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CellResult } from '../../bench/lib/load.js';
import { HARNESS_SEMI_SPACE } from '../../bench/lib/machine.js';
import type { BenchResults } from '../../bench/lib/results.js';

const OUT = mkdtempSync(join(tmpdir(), 'kubegate-bench-test-'));
const COMMITTED = join(process.cwd(), 'bench/RESULTS.md');
let child: ChildProcess | undefined;
let output = '';
let results: BenchResults;
let committedBefore: number | null;

function positive(cell: CellResult | null | undefined, label: string) {
  expect(cell, label).toBeDefined();
  expect(cell!.error, `${label}: ${cell!.error}`).toBeUndefined();
  expect(cell!.ok, label).toBe(true);
  expect(cell!.p50Ms, `${label} p50`).toBeGreaterThan(0);
  expect(cell!.p99Ms, `${label} p99`).toBeGreaterThanOrEqual(cell!.p50Ms);
  expect(cell!.rps, `${label} req/s`).toBeGreaterThan(0);
  expect(cell!.requests, `${label} requests`).toBeGreaterThan(0);
}

beforeAll(async () => {
  committedBefore = existsSync(COMMITTED) ? statSync(COMMITTED).mtimeMs : null;
  const code = await new Promise<number | null>((resolve) => {
    // As package.json's `bench` script starts it.
    child = spawn(
      process.execPath,
      [HARNESS_SEMI_SPACE, '--import', 'tsx', 'bench/run.ts', '--tiny', '--out', OUT],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (d) => {
      output += d;
    });
    child.stderr!.on('data', (d) => {
      output += d;
    });
    child.on('exit', (c) => resolve(c));
  });
  expect(code, output).toBe(0);
  results = JSON.parse(readFileSync(join(OUT, 'latest.json'), 'utf8'));
  // The tiny run takes ~117 s alone on this 2-core machine (a tsc build, every system, the
  // attack classes, kubectl); 150 s was exceeded once with other work on the cores.
}, 300_000);

afterAll(() => {
  // The harness stops its own children on SIGTERM.
  if (child && child.exitCode === null) child.kill('SIGTERM');
  rmSync(OUT, { recursive: true, force: true });
});

describe('npm run bench -- --tiny', () => {
  it('records the machine, the versions and the settings', () => {
    expect(results.format).toBe(1);
    expect(results.mode).toBe('tiny');
    expect(results.machine.cores).toBeGreaterThan(0);
    expect(results.machine.memoryBytes).toBeGreaterThan(0);
    expect(results.machine.cpuModel).not.toBe('');
    expect(results.versions.node).toMatch(/^v\d+/);
    // The harness's own flags are on record, without the tsx loader's.
    expect(results.harnessFlags).toEqual([HARNESS_SEMI_SPACE]);
    expect(JSON.parse(readFileSync('package.json', 'utf8')).scripts.bench).toContain(HARNESS_SEMI_SPACE);
    for (const key of ['kubegate', 'graphqlYoga', 'clientNode', 'autocannon'] as const) {
      expect(results.versions[key], key).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(results.versions.kubectl).toMatch(/^v1\./);
    expect(results.operations.map((o) => o.id)).toEqual(['Q1', 'Q2', 'Q3', 'Q4', 'Q5']);
  });

  it('measures every system on every operation it can express, with positive figures', () => {
    expect(results.sizes).toHaveLength(1);
    const size = results.sizes[0];
    expect(size.errors, output).toEqual([]);
    expect(size.size.pods).toBe(30);
    positive(size.ceiling, 'A');
    for (const op of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as const) {
      positive(size.cells.B?.[op], `B ${op}`);
      positive(size.cells.C?.[op], `C ${op}`);
      if (op === 'Q3') expect(size.cells.D?.Q3).toBeUndefined();
      else positive(size.cells.D?.[op], `D ${op}`);
      // Upstream cost: counted for every system that reads the API server.
      // The gateway answers from its synced informers: nothing reaches the API server.
      expect(size.cells.B![op]!.upstream!.requestsPerOp, `B ${op} upstream`).toBe(0);
      expect(size.cells.C![op]!.upstream!.requestsPerOp, `C ${op} upstream`).toBeGreaterThan(0);
      expect(size.cells.C![op]!.upstream!.bytesPerOp, `C ${op} upstream bytes`).toBeGreaterThan(0);
      if (op !== 'Q3')
        expect(size.cells.D![op]!.upstream!.requestsPerOp, `D ${op} upstream`).toBeGreaterThan(0);
      const r = size.ratios[op]!;
      expect(r.BoverA_rps).toBeGreaterThan(0);
      expect(r.CoverB_p50).toBeGreaterThan(0);
      if (op !== 'Q3') expect(r.DoverB_p50).toBeGreaterThan(0);
    }
  });

  it('reports sync time and memory of the cached gateway', () => {
    const { sync, memory } = results.sizes[0];
    expect(sync!.firstSyncMs).toBeGreaterThan(0);
    expect(sync!.spawnToReadyMs).toBeGreaterThanOrEqual(sync!.firstSyncMs);
    expect(sync!.peakRssDuringSyncBytes).toBeGreaterThan(0);
    expect(memory!.cache.heapUsed).toBeGreaterThan(0);
    expect(memory!.cache.rss).toBeGreaterThan(0);
    expect(memory!.noCache!.heapUsed).toBeGreaterThan(0);
    expect(memory!.rssPer10kPodsBytes).toBeGreaterThan(0);
    expect(memory!.heapPer10kPodsBytes).toBeGreaterThan(0);
  });

  it('measures subscription latency over SSE and WebSocket, with identical and distinct operations', () => {
    const subs = results.sizes[0].subscriptions;
    expect(subs.available, subs.reason).toBe(true);
    expect(
      subs.results.map(
        (r) => `${r.transport}×${r.subscribers}${r.distinct ? ' distinct' : ''}${r.fanout ? ' fan-out' : ''}`,
      ),
    ).toEqual(['sse×1', 'sse×2', 'sse×2 distinct', 'ws×1', 'ws×2', 'ws×2 distinct', 'ws×3 fan-out']);
    for (const r of subs.results) {
      expect(r.error, `${r.transport}×${r.subscribers}`).toBeUndefined();
      expect(r.connected).toBe(r.subscribers);
      expect(r.samples).toBe(r.subscribers * r.events);
      expect(r.p50Ms).toBeGreaterThan(0);
      expect(r.p99Ms).toBeGreaterThanOrEqual(r.p50Ms);
      // The event whose last delivery came latest, to tell a stall before the fan-out from one in it.
      expect(r.slowestEvent?.firstMs).toBeGreaterThan(0);
      expect(r.slowestEvent!.lastMs).toBeGreaterThanOrEqual(r.slowestEvent!.firstMs);
      expect(r.slowestEvent!.lastMs).toBeGreaterThanOrEqual(r.p99Ms);
      // With each process's CPU over it, and the median event's, to say whose time a late one took.
      for (const cpu of [r.slowestEvent!.cpuMs, r.medianEventCpuMs]) {
        expect(cpu?.gateway).toBeGreaterThanOrEqual(0);
        expect(cpu?.apiServer).toBeGreaterThanOrEqual(0);
        expect(cpu?.harness).toBeGreaterThan(0);
      }
    }
    // The fan-out row is read against the machine's floor for as many sockets, measured in the run.
    const fanout = subs.results.find((r) => r.fanout);
    expect(fanout?.floorMs).toBeGreaterThan(0);
    expect(results.targets.map((t) => t.target)).toContain(
      "Subscriptions (WebSocket): 3 subscribers, p99 ≤ 2× the machine's floor for that fan-out, 0 lost",
    );
  });

  it('measures B as RBAC users beside B, their access-set compile time and the revocation delay (R)', () => {
    const r = results.sizes[0].rbac!;
    expect(r, output).toBeTruthy();
    expect(r.variants.map((v) => [v.user, v.namespaces])).toEqual([
      ['bench-few', 3],
      ['bench-many', 12],
    ]);
    // The ratios are over an open B measured beside R, not over B's own cells of earlier.
    for (const op of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as const) {
      positive(r.openCells?.[op], `B beside R ${op}`);
    }
    for (const v of r.variants) {
      for (const op of ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as const) {
        positive(v.cells[op], `R ${v.user} ${op}`);
        expect(v.cells[op]!.upstream!.requestsPerOp, `R ${v.user} ${op} upstream`).toBe(0);
        expect(v.overB[op]!.p50, `R ${v.user} ${op} over B beside it`).toBeCloseTo(
          v.cells[op]!.p50Ms / r.openCells![op]!.p50Ms,
          2,
        );
        expect(v.answers[op], `R ${v.user} ${op} answer`).not.toMatch(/^error|^no /);
      }
      // `view` grants no nodes: the user's Q2 answers none where the open gateway answers all.
      expect(v.answers.Q2).toBe('0 nodes (of 0)');
    }
    expect(r.openAnswers.Q2).toBe('3 nodes (of 3)');

    const c = r.compile!;
    expect(c.error, c.error).toBeUndefined();
    expect(c.users.map((u) => [u.user, u.bindings, u.namespacesGranted])).toEqual([
      ['bench-few', 3, 3],
      ['bench-many', 12, 12],
    ]);
    expect(c.roleBindingsWithOthers).toBeGreaterThanOrEqual(c.roleBindings + 200);
    for (const u of c.users) {
      expect(u.timing.p50Ms).toBeGreaterThan(0);
      expect(u.withOthers!.p50Ms).toBeGreaterThan(0);
      expect(u.withOthers!.namespacesGranted).toBe(u.namespacesGranted);
    }

    const v = r.revocation!;
    expect(v.error, v.error).toBeUndefined();
    expect(v.runs.map((x) => [x.transport, x.outcome])).toEqual([
      ['sse', 'FORBIDDEN'],
      ['ws', 'FORBIDDEN'],
    ]);
    for (const x of v.runs) expect(x.delayMs).toBeGreaterThan(0);
    expect(results.targets.filter((t) => t.target.includes('RBAC')).map((t) => t.met)).toHaveLength(3);
  });

  it('times Q2 and Q3 beside their floor, and `{ __typename }` to read them by', () => {
    const floor = results.sizes[0].floor ?? [];
    expect(floor.map((f) => f.id)).toEqual(['Q2', 'Q3', 'hello']);
    for (const f of floor) {
      expect(f.bP50Ms, f.id).toBeGreaterThan(0);
      expect(f.floorP50Ms, f.id).toBeGreaterThan(0);
    }
    const size = results.sizes[0].size.name;
    const q2 = results.targets.find((t) => t.size === size && t.target.startsWith('B Q2 p50'));
    expect(q2?.figure).toMatch(/`\{ __typename \}` alone [\d.]+ ms p50/);
  });

  it('states every target as met, missed or not measured', () => {
    expect(results.targets.length).toBeGreaterThan(10);
    for (const t of results.targets) {
      expect([true, false, null]).toContain(t.met);
      expect(t.figure).not.toBe('');
    }
    // Size L was not run: its targets say so rather than pass.
    expect(results.targets.filter((t) => t.size === 'L').every((t) => t.met === null)).toBe(true);
  });

  it('writes the JSON, the chart and RESULTS.md to --out, leaving bench/RESULTS.md alone', () => {
    const files = readdirSync(OUT);
    expect(files).toEqual(expect.arrayContaining(['latest.json', 'latency.svg', 'RESULTS.md']));
    expect(files.some((f) => /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-tiny\.json$/.test(f))).toBe(true);
    const svg = readFileSync(join(OUT, 'latency.svg'), 'utf8');
    expect(svg).toMatch(/^<\?xml/);
    expect(svg).toContain('<svg');
    expect(svg.match(/<rect /g)!.length).toBeGreaterThan(10);
    const md = readFileSync(join(OUT, 'RESULTS.md'), 'utf8');
    expect(md).toContain('](latency.svg)');
    expect(md).toContain('## Targets');
    expect(md).toMatch(/\| Q2 \| B kubegate \(cache\) \| [\d.,]+ \|/);
    expect(md).toContain('### B as RBAC users (R)');
    expect(md).toMatch(/\| Q4 \| R bench-many \(12 ns\) \| [\d.,]+ \|/);
    expect(md).toMatch(/\| `\{ __typename \}` \| [\d.,]+ \| [\d.,]+ \| – \|/);
    expect(md).toMatch(
      /What B takes beyond it \(B's p50 minus this one's\): Q2 [\d.,]+ ms, [\d.,]+× its floor; Q3/,
    );
    expect(existsSync(COMMITTED) ? statSync(COMMITTED).mtimeMs : null).toBe(committedBefore);
  });
});
