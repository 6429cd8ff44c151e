/**
 * The issue's targets, evaluated against a run's figures. They are reported, never
 * asserted: a missed target is stated with its figure, and one this run did not measure
 * (a size or system left out) says so rather than passing.
 */
import type { CellResult } from './load.js';
import type { OperationId } from './operations.js';
import { RBAC_P50_TARGET, REVOCATION_TARGET_MS } from './rbac.js';
import type { BenchResults, FloorFigures, SizeResult, TargetResult } from './results.js';
import { describeSlowest } from './subscriptions.js';

const fmt = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits);

function good(cell?: CellResult | null): CellResult | undefined {
  return cell?.ok && !cell.error ? cell : undefined;
}

export function evaluateTargets(results: Pick<BenchResults, 'sizes'>): TargetResult[] {
  const out: TargetResult[] = [];
  const sizes = new Map(results.sizes.map((s) => [s.size.name, s]));
  const notMeasured = (target: string, size: string, why: string) =>
    out.push({ target, size, met: null, figure: `not measured: ${why}` });

  for (const s of results.sizes) {
    const name = s.size.name;
    if (s.fleet) {
      fleetTargets(s, out);
      continue;
    }
    // B Q1 at >= half of A's requests/s.
    {
      const t = 'B answers Q1 at ≥ 0.5× the requests/s of A';
      const r = s.ratios.Q1?.BoverA_rps;
      if (r == null) notMeasured(t, name, 'needs A and B on Q1');
      else
        out.push({
          target: t,
          size: name,
          met: r >= 0.5,
          figure: `B ${fmt(s.cells.B?.Q1?.rps)} req/s vs A ${fmt(s.ceiling?.rps)} req/s = ${fmt(r, 2)}×`,
        });
    }
    // Issue #16: Q1 B/A at or above 0.85, in alternating pairs with A and B up at once.
    {
      const t = 'B answers Q1 at ≥ 0.85× the requests/s of A (median of alternating pairs)';
      const p = s.q1Pairs;
      if (p === undefined) notMeasured(t, name, 'needs A and B on Q1');
      else if (p === null)
        out.push({ target: t, size: name, met: false, figure: 'the pairs failed: see the errors' });
      else
        out.push({
          target: t,
          size: name,
          met: p.median >= 0.85,
          figure: `median ${fmt(p.median, 2)}× over ${p.ratios.length} pairs of ${p.secondsEach} s each (${p.ratios.map((r) => fmt(r, 2)).join(', ')}); the single cells above: ${fmt(s.ratios.Q1?.BoverA_rps, 2)}×${p.cpuMedian !== undefined ? `; by CPU per request (A's over B's, same pairs) median ${fmt(p.cpuMedian, 2)}×` : ''}`,
        });
    }
    // Zero upstream requests per operation once synced.
    {
      const t = 'B makes 0 upstream requests per operation once synced';
      const cells = Object.entries(s.cells.B ?? {}).filter(([, c]) => good(c)?.upstream);
      if (!cells.length) notMeasured(t, name, 'needs B');
      else {
        const worst = Math.max(...cells.map(([, c]) => c!.upstream!.requestsPerOp));
        out.push({
          target: t,
          size: name,
          met: worst === 0,
          figure: cells.map(([id, c]) => `${id} ${c!.upstream!.requestsPerOp}`).join(', '),
        });
      }
    }
    // B beats D by 50x (p50), on every operation kubectl can express.
    for (const id of ['Q1', 'Q2', 'Q4', 'Q5'] as OperationId[]) {
      const t = `B beats D by ≥ 50× at p50 on ${id}`;
      const r = s.ratios[id]?.DoverB_p50;
      if (r == null) notMeasured(t, name, 'needs B and D');
      else
        out.push({
          target: t,
          size: name,
          met: r >= 50,
          figure: `D ${fmt(s.cells.D?.[id]?.p50Ms)} ms vs B ${fmt(s.cells.B?.[id]?.p50Ms, 2)} ms = ${fmt(r, 0)}×`,
        });
    }
    floorTargets(s, out);
    subscriptionTargets(s, out);
    fanoutTarget(s, out);
    attackTarget(s, out);
    rbacTargets(s, out);
  }

  // B beats C by 20x at p50 on Q2 and Q3, size S.
  const S = sizes.get('S');
  for (const id of ['Q2', 'Q3'] as OperationId[]) {
    const t = `B beats C by ≥ 20× at p50 on ${id}`;
    const r = S?.ratios[id]?.CoverB_p50;
    if (!S) notMeasured(t, 'S', 'size S not run');
    else if (r == null) notMeasured(t, 'S', 'needs B and C');
    else
      out.push({
        target: t,
        size: 'S',
        met: r >= 20,
        figure: `C ${fmt(S.cells.C?.[id]?.p50Ms)} ms vs B ${fmt(S.cells.B?.[id]?.p50Ms, 2)} ms = ${fmt(r, 0)}×`,
      });
  }

  // Size L: Q4/Q5 p99, heap per pod, first sync.
  const L = sizes.get('L');
  for (const id of ['Q4', 'Q5'] as OperationId[]) {
    const t = `B ${id} p99 < 50 ms`;
    const cell = good(L?.cells.B?.[id]);
    if (!L) notMeasured(t, 'L', 'size L not run');
    else if (!cell) notMeasured(t, 'L', L.cells.B?.[id]?.error ?? 'needs B');
    else out.push({ target: t, size: 'L', met: cell.p99Ms < 50, figure: `${fmt(cell.p99Ms, 2)} ms` });
  }
  {
    const t = 'B holds ≤ 3 KB of heap per pod';
    const m = L?.memory;
    if (!L) notMeasured(t, 'L', 'size L not run');
    else if (!m) notMeasured(t, 'L', 'no memory figures');
    else if (m.cacheHeapPerPodBytes === null && m.totalHeapPerPodBytes > 3 * 1024)
      // The whole heap bounds the cache's from above: under 3 KB it settles the target, over it not.
      notMeasured(
        t,
        'L',
        `needs C (the no-cache baseline) in the run; ${fmt(m.totalHeapPerPodBytes / 1024, 2)} KB/pod counting the whole heap`,
      );
    else {
      const per = m.cacheHeapPerPodBytes ?? m.totalHeapPerPodBytes;
      out.push({
        target: t,
        size: 'L',
        met: per <= 3 * 1024,
        figure: `${fmt(per / 1024, 2)} KB/pod (cache heap over the no-cache baseline; ${fmt(m.totalHeapPerPodBytes / 1024, 2)} KB/pod counting the whole heap)`,
      });
    }
  }
  {
    const t = 'B first sync < 60 s';
    if (!L) notMeasured(t, 'L', 'size L not run');
    else if (!L.sync) notMeasured(t, 'L', 'needs B');
    else
      out.push({
        target: t,
        size: 'L',
        met: L.sync.firstSyncMs < 60_000,
        figure: `${fmt(L.sync.firstSyncMs / 1000, 1)} s`,
      });
  }
  {
    // Issue #16: bound by bytes, not by our own work, and within a memory budget.
    const t = 'B first sync ≤ 1.25× the floor (bare LISTs + JSON.parse), peak RSS < 1 GB';
    const floor = L?.sync?.floor;
    const peak = L?.sync?.peakRssDuringSyncBytes;
    if (!L) notMeasured(t, 'L', 'size L not run');
    else if (!L.sync) notMeasured(t, 'L', 'needs B');
    else if (!floor) notMeasured(t, 'L', 'the floor was not measured');
    else {
      const ratio = L.sync.firstSyncMs / floor.ms;
      out.push({
        target: t,
        size: 'L',
        met: ratio <= 1.25 && peak != null && peak < 1024 ** 3,
        figure: `${fmt(ratio, 2)}× (${fmt(L.sync.firstSyncMs / 1000, 1)} s / ${fmt(floor.ms / 1000, 1)} s for ${floor.kinds ? 'every LIST the sync makes' : 'the pod LIST'}${floor.pods ? `; ${fmt(L.sync.firstSyncMs / floor.pods.ms, 2)}× the pod LIST's ${fmt(floor.pods.ms / 1000, 1)} s alone` : ''}), peak RSS ${peak == null ? 'n/a' : `${fmt(peak / 1024 ** 2, 0)} MB`}`,
      });
    }
  }
  return out;
}

/** The fan-out row's p99 over the machine's floor for as many sockets, measured in the same run. */
export const FANOUT_FLOOR_RATIO = 2;

function fanoutTarget(s: SizeResult, out: TargetResult[]): void {
  const f = s.subscriptions.results.find((r) => r.fanout);
  if (!f) return; // not run (--fanout 0): no line
  const t = `Subscriptions (WebSocket): ${f.subscribers.toLocaleString('en')} subscribers, p99 ≤ ${FANOUT_FLOOR_RATIO}× the machine's floor for that fan-out, 0 lost`;
  if (!Number.isFinite(f.p99Ms) || f.floorMs === undefined) {
    out.push({ target: t, size: s.size.name, met: false, figure: `failed: ${f.error ?? 'no samples'}` });
    return;
  }
  const ratio = f.p99Ms / f.floorMs;
  out.push({
    target: t,
    size: s.size.name,
    met: ratio <= FANOUT_FLOOR_RATIO && f.lost === 0 && f.connected === f.subscribers,
    figure: `p99 ${fmt(f.p99Ms, 1)} ms over a floor of ${fmt(f.floorMs, 1)} ms: ${fmt(ratio, 2)}× (${f.connected}/${f.subscribers} connected, ${f.lost} events lost)`,
  });
}

/**
 * Two per transport: 1,000 subscribers of one identical operation (the design's target: as
 * many tabs of one live page), and 1,000 each with a distinct operation (issue #16's
 * target: "each with a distinct operation (no sharing) at p99 under 50 ms over both
 * transports"). Until session 38 only the first was judged and the second stated beside it.
 */
function subscriptionTargets(s: SizeResult, out: TargetResult[]): void {
  for (const transport of ['sse', 'ws'] as const) {
    const name = transport === 'sse' ? 'SSE' : 'WebSocket';
    for (const distinct of [false, true]) {
      const t = distinct
        ? `Subscriptions (${name}): p99 < 50 ms at 1,000 subscribers, each with a distinct operation`
        : `Subscriptions (${name}): p99 < 50 ms at 1,000 subscribers`;
      if (!s.subscriptions.available) {
        out.push({
          target: t,
          size: s.size.name,
          met: null,
          figure: `not available: ${s.subscriptions.reason ?? 'not run'}`,
        });
        continue;
      }
      const f = s.subscriptions.results.find(
        (r) => r.transport === transport && r.subscribers === 1000 && !r.fanout && !!r.distinct === distinct,
      );
      const what = distinct ? 'an operation per subscriber' : 'one identical operation';
      if (!f)
        out.push({
          target: t,
          size: s.size.name,
          met: null,
          figure: `not measured: 1,000 subscribers with ${what} not in this run`,
        });
      else if (!Number.isFinite(f.p99Ms))
        out.push({ target: t, size: s.size.name, met: false, figure: `failed: ${f.error ?? 'no samples'}` });
      else {
        const met = f.p99Ms < 50 && f.lost === 0 && f.connected === f.subscribers;
        // A miss says whose CPU its slowest event took: p99 over 20 events of 1,000 deliveries
        // is the slowest event's, and one event late for another process's reason (a GC of the
        // simulator's) is enough to miss.
        const why =
          !met && f.slowestEvent?.cpuMs
            ? `; its ${describeSlowest(f.slowestEvent)}${f.medianEventCpuMs ? ` (the median event: gateway ${f.medianEventCpuMs.gateway ?? 'n/a'} ms, API server ${f.medianEventCpuMs.apiServer} ms, harness ${f.medianEventCpuMs.harness} ms)` : ''}`
            : '';
        out.push({
          target: t,
          size: s.size.name,
          met,
          figure: `p99 ${fmt(f.p99Ms, 1)} ms, ${what} (${f.connected}/${f.subscribers} connected, ${f.lost} events lost)${why}`,
        });
      }
    }
  }
}

/** Ours, not the issue's (which asks only for the ratio): the worst attack class at most triples the honest p99. */
function attackTarget(s: SizeResult, out: TargetResult[]): void {
  const t = "B's honest client under attack: p99 ≤ 3× its p99 alone, every attack class";
  const a = s.attack;
  if (a === undefined) return; // not run (--no-attack, --tiny): no line
  const rows = a?.rows.filter((r) => r.p99Ratio !== null) ?? [];
  if (!a || !rows.length) {
    out.push({ target: t, size: s.size.name, met: null, figure: 'not measured: see the errors' });
    return;
  }
  const worst = rows.reduce((w, r) => (r.p99Ratio! > w.p99Ratio! ? r : w));
  const missing = a.rows.length - rows.length;
  out.push({
    target: t,
    size: s.size.name,
    met: missing ? false : worst.p99Ratio! <= 3,
    figure: `worst ${worst.class}: ${fmt(worst.honest.p99Ms, 2)} ms vs ${fmt(a.alone.p99Ms, 2)} ms alone = ${fmt(worst.p99Ratio, 2)}×; ${rows.map((r) => `${r.class} ${fmt(r.p99Ratio, 2)}×`).join(', ')}${missing ? `; ${missing} class(es) without a figure` : ''}`,
  });
}

/**
 * System R (issue #11): each RBAC user's p50 within 1.15× of the open B's on Q1–Q5, and
 * the revocation delay under a second. No line when R did not run.
 */
function rbacTargets(s: SizeResult, out: TargetResult[]): void {
  const r = s.rbac;
  if (r === undefined) return;
  const size = s.size.name;
  const ratioTarget = (who: string) =>
    `B as an RBAC user (${who}): p50 ≤ ${RBAC_P50_TARGET}× the open B's on Q1–Q5`;
  if (!r) {
    out.push({
      target: ratioTarget('view in 3 / 1,000 namespaces'),
      size,
      met: null,
      figure: 'not measured: see the errors',
    });
    return;
  }
  for (const v of r.variants) {
    const t = ratioTarget(`view in ${v.namespaces.toLocaleString('en')} namespaces`);
    const ids = ['Q1', 'Q2', 'Q3', 'Q4', 'Q5'] as OperationId[];
    const have = ids.filter((id) => v.overB[id]?.p50 != null);
    if (!have.length) {
      out.push({ target: t, size, met: null, figure: 'not measured: needs B and R' });
      continue;
    }
    const worst = have.reduce((w, id) => (v.overB[id]!.p50! > v.overB[w]!.p50! ? id : w));
    const missing = ids.length - have.length;
    out.push({
      target: t,
      size,
      met: missing ? false : v.overB[worst]!.p50! <= RBAC_P50_TARGET,
      figure: `worst ${worst}: ${fmt(v.cells[worst]?.p50Ms, 2)} ms vs ${r.openCells?.[worst] ? 'B beside R' : 'B'} ${fmt((r.openCells?.[worst] ?? s.cells.B?.[worst])?.p50Ms, 2)} ms = ${fmt(v.overB[worst]!.p50, 2)}×; ${have.map((id) => `${id} ${fmt(v.overB[id]!.p50, 2)}×`).join(', ')}${missing ? `; ${missing} operation(s) without a figure` : ''}`,
    });
  }
  const t = `RBAC revocation: a live subscription ends FORBIDDEN < ${REVOCATION_TARGET_MS / 1000} s after its RoleBinding's deletion (median)`;
  const v = r.revocation;
  if (!v?.runs.length) {
    out.push({ target: t, size, met: null, figure: `not measured${v?.error ? `: ${v.error}` : ''}` });
    return;
  }
  const forbidden = v.runs.filter((x) => x.delayMs !== null).length;
  out.push({
    target: t,
    size,
    met: forbidden === v.runs.length && v.p50Ms < REVOCATION_TARGET_MS,
    figure: `median ${fmt(v.p50Ms, 1)} ms, max ${fmt(v.maxMs, 1)} ms; ${forbidden}/${v.runs.length} runs ended FORBIDDEN (SSE and WebSocket alternately)`,
  });
}

/**
 * What any server answering over HTTP on this machine would be held to, from the same run:
 * a bare Node server sending the answer's bytes (the floor run's `rawHttpP50Ms`) plus the
 * floor's own work, over the floor; and A, a bare yoga answering `{ hello }` under the same
 * load, against a third of the floor's rate. Said only where it is out of reach, so a miss
 * that no server could avoid reads as such.
 */
function outOfReach(f: FloorFigures, ceilingRps: number | undefined): string {
  const parts: string[] = [];
  const bare = f.rawHttpP50Ms;
  if (bare !== undefined && Number.isFinite(bare) && f.floorP50Ms > 0) {
    const least = (bare + f.floorP50Ms) / f.floorP50Ms;
    parts.push(
      `a bare Node server sends the same bytes in ${fmt(bare, 3)} ms p50, so that and the floor's own work are ${fmt(least, 2)}× the floor${least > 2.5 ? ' (over 2.5×: no server answering over HTTP can meet the p50 half here)' : ''}`,
    );
  }
  if (ceilingRps !== undefined && ceilingRps * 3 < f.floorRps)
    parts.push(
      `A (a bare yoga answering \`{ hello }\`) ${fmt(ceilingRps, 0)}/s under the same load, under ⅓ of the floor's rate (no GraphQL server on yoga can meet the rate half here)`,
    );
  return parts.map((p) => `; ${p}`).join('');
}

/**
 * Issue #16: on Q2 and Q3, B's single-request p50 within 2.5× of the floor's (both timed in
 * one process), and B's requests/s under load within 3× of the floor's rate. No line when the
 * floor was not run.
 */
function floorTargets(s: SizeResult, out: TargetResult[]): void {
  if (s.floor === undefined) return;
  const hello = s.floor?.find((x) => x.id === 'hello' && Number.isFinite(x.bP50Ms));
  for (const id of ['Q2', 'Q3'] as const) {
    const t = `B ${id} p50 ≤ 2.5× its floor; B req/s ≥ ⅓ of the floor's`;
    const f = s.floor?.find((x) => x.id === id);
    if (!f || !Number.isFinite(f.ratio)) {
      out.push({ target: t, size: s.size.name, met: null, figure: 'not measured: see the errors' });
      continue;
    }
    const rps = good(s.cells.B?.[id])?.rps;
    const rate = rps ? f.floorRps / rps : null;
    out.push({
      target: t,
      size: s.size.name,
      met: f.ratio <= 2.5 && rate !== null && rate <= 3,
      figure: `p50 B ${fmt(f.bP50Ms, 2)} ms vs floor ${fmt(f.floorP50Ms, 3)} ms = ${fmt(f.ratio, 2)}×; rate floor ${fmt(f.floorRps, 0)}/s vs B ${fmt(rps, 0)}/s = ${fmt(rate, 2)}×${hello ? `; \`{ __typename }\` alone ${fmt(hello.bP50Ms, 2)} ms p50 over the same HTTP` : ''}${outOfReach(f, good(s.ceiling)?.rps)}`,
    });
  }
}

/**
 * Issue #16, "a fleet in one process" (bench/lib/fleet.ts). Latencies are one request at a
 * time (the service time; the report shows them under load too). RSS is judged on the
 * gateway's peak (VmHWM over the whole run, what a memory limit must allow), heap per pod
 * after a full GC.
 */
function fleetTargets(s: SizeResult, out: TargetResult[]): void {
  const f = s.fleet!;
  const size = s.size.name;
  const push = (target: string, met: boolean | null, figure: string) =>
    out.push({ target, size, met, figure });
  if (f.sync && f.floor && f.syncOverFloor != null)
    push(
      'every cluster synced within 1.5× of the fleet’s bytes floor',
      f.syncOverFloor <= 1.5,
      `${fmt(f.syncOverFloor, 2)}× (${fmt(f.sync.allSyncedMs / 1000, 1)} s / ${fmt(f.floor.ms / 1000, 1)} s for ${f.floor.kinds ? 'every LIST the syncs make' : 'the pod LISTs'}${f.floor.pods ? `; ${fmt(f.sync.allSyncedMs / f.floor.pods.ms, 2)}× the pod LISTs' ${fmt(f.floor.pods.ms / 1000, 1)} s` : ''}; ${f.clusters} clusters, ${f.concurrentSyncs} at once)`,
    );
  else
    push('every cluster synced within 1.5× of the fleet’s bytes floor', null, 'not measured: see the errors');
  {
    const t = 'gateway RSS ≤ 4 GB and ≤ 3 KB of heap per pod';
    const peak = f.peakRssBytes ?? f.sync?.peakRssDuringSyncBytes;
    if (peak == null || f.heapPerPodBytes == null) push(t, null, 'not measured: see the errors');
    else
      push(
        t,
        peak <= 4 * 1024 ** 3 && f.heapPerPodBytes <= 3 * 1024,
        `peak RSS ${fmt(peak / 1024 ** 3, 2)} GB; after GC RSS ${fmt((f.memory?.rss ?? 0) / 1024 ** 3, 2)} GB, heap ${fmt(f.heapPerPodBytes / 1024, 2)} KB/pod (${f.pods.toLocaleString('en')} pods${f.eventsAtMemory != null ? `, ${f.eventsAtMemory.toLocaleString('en')} events` : ''})`,
      );
  }
  const cell = (c: CellResult | null, t: string, pick: 'p50Ms' | 'p99Ms', limit: number) => {
    const g = good(c);
    if (!g) push(t, null, `not measured: ${c?.error ?? 'see the errors'}`);
    else push(t, g[pick] < limit, `${fmt(g[pick], 2)} ms one at a time`);
  };
  cell(f.q1Fleet, `Q1 over all ${f.clusters} clusters p50 < 25 ms`, 'p50Ms', 25);
  cell(f.q4, 'Q4 (a filtered pod page) on one cluster p99 < 50 ms', 'p99Ms', 50);
  {
    const t = '0 upstream requests per operation once synced';
    const cells = [f.q1Fleet, f.q4, f.q1FleetLoaded, f.q4Loaded].filter((c) => good(c)?.upstream);
    if (!cells.length) push(t, null, 'not measured: see the errors');
    else {
      const worst = Math.max(...cells.map((c) => c!.upstream!.requestsPerOp));
      push(
        t,
        worst === 0,
        `worst ${worst} req/op over ${cells.length} cells, summed over all ${f.clusters} clusters`,
      );
    }
  }
  if (f.maxListsInFlightPerServer == null)
    push('no API server sees more than one concurrent initial LIST', null, 'not measured: see the errors');
  else
    push(
      'no API server sees more than one concurrent initial LIST',
      f.maxListsInFlightPerServer <= 1,
      `at most ${f.maxListsInFlightPerServer} LIST(s) at once on any of the ${f.clusters} API servers (simulator_list_requests_in_flight_max)`,
    );
}
