/** `RESULTS.md`: the run's figures as Markdown tables, the targets met or missed, the chart. */

import { describeOutcomes } from './attack.js';
import type { CpuShare, FleetCell } from './fleet.js';
import type { CellResult } from './load.js';
import { describeCores } from './machine.js';
import { RBAC_P50_TARGET, REVOCATION_TARGET_MS } from './rbac.js';
import type { BenchResults, SizeResult } from './results.js';
import { median } from './stats.js';
import { describeSlowest, WARMUP_EVENTS } from './subscriptions.js';

const n = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x)
    ? 'n/a'
    : x.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : n(x, x >= 100 ? 0 : x >= 10 ? 1 : 2);
const mib = (bytes: number | null | undefined) => (bytes == null ? 'n/a' : `${n(bytes / 1048576, 0)} MiB`);
const kib = (bytes: number | null | undefined) => (bytes == null ? 'n/a' : `${n(bytes / 1024, 1)} KiB`);
const bytes = (b: number | null | undefined) =>
  b == null || !Number.isFinite(b)
    ? 'n/a'
    : b === 0
      ? '0'
      : b < 1024
        ? `${n(b, 0)} B`
        : b < 1048576
          ? `${n(b / 1024, 1)} KiB`
          : `${n(b / 1048576, 1)} MiB`;
const times = (x: number | null | undefined) => (x == null ? 'n/a' : `${n(x, x >= 10 ? 0 : 2)}×`);

const SYSTEM_NAMES = {
  A: 'A yoga `{ hello }`',
  B: 'B kubegate (cache)',
  C: 'C kubegate `--no-cache`',
  D: 'D kubectl',
} as const;

function load(cell: CellResult): string {
  if (cell.mode === 'autocannon') return `${cell.concurrency} conn., ${n(cell.requests, 0)} req`;
  if (cell.mode === 'sequential') return `sequential, ${cell.requests} req`;
  return `process, ${cell.requests}×`;
}

function cellRow(op: string, system: keyof typeof SYSTEM_NAMES, cell: CellResult | null | undefined): string {
  if (!cell) return `| ${op} | ${SYSTEM_NAMES[system]} | – | – | – | not run | – | – | – |`;
  if (!cell.ok)
    return `| ${op} | ${SYSTEM_NAMES[system]} | failed | | | ${(cell.error ?? '').replace(/\|/g, '/').slice(0, 120)} | | | |`;
  const up = cell.upstream;
  return `| ${op} | ${SYSTEM_NAMES[system]} | ${ms(cell.p50Ms)} | ${ms(cell.p99Ms)} | ${n(cell.rps, cell.rps >= 10 ? 0 : 2)} | ${load(cell)}${cell.error ? ` ⚠ ${cell.error.slice(0, 80)}` : ''} | ${up ? n(up.requestsPerOp, up.requestsPerOp % 1 ? 2 : 0) : '–'} | ${up ? bytes(up.bytesPerOp) : '–'} | ${bytes(cell.responseBytes)} |`;
}

function sizeSection(s: SizeResult, results: BenchResults): string {
  const lines: string[] = [];
  const z = s.size;
  lines.push(
    `## Size ${z.name}: ${z.nodes.toLocaleString('en')} nodes, ${z.pods.toLocaleString('en')} pods, ${z.jobs.toLocaleString('en')} jobs${z.maxPodsPerNamespace ? `, ≤ ${z.maxPodsPerNamespace.toLocaleString('en')} pods per namespace` : ''}`,
    '',
    `Simulator built in ${n(s.simulator.buildMs / 1000, 1)} s, ${s.simulator.podsAtStart.toLocaleString('en')} pods at start, churn ${results.settings.churnPerSecond} changes/s throughout.`,
    '',
    '### Latency, throughput and upstream cost per operation',
    '',
    '| Op | System | p50 ms | p99 ms | req/s | load | upstream req/op | upstream bytes/op | answer |',
    '|---|---|--:|--:|--:|---|--:|--:|--:|',
    cellRow('any', 'A', s.ceiling),
  );
  for (const op of results.operations) {
    for (const system of ['B', 'C', 'D'] as const) {
      const cell = s.cells[system]?.[op.id];
      if (system === 'D' && !cell) {
        lines.push(`| ${op.id} | ${SYSTEM_NAMES.D} | – | – | – | no kubectl form | – | – | – |`);
        continue;
      }
      lines.push(cellRow(op.id, system, cell));
    }
  }
  lines.push(
    '',
    '### Ratios',
    '',
    'B/A: requests/s of B on the operation over requests/s of A on `{ hello }` (1.0 = the ceiling). C/B and D/B: p50 of C or D over p50 of B (how many times faster B answers). B/C req/s: throughput of B over C.',
    '',
    '| Op | B/A req/s | C/B p50 | B/C req/s | D/B p50 |',
    '|---|--:|--:|--:|--:|',
  );
  for (const op of results.operations) {
    const r = s.ratios[op.id];
    lines.push(
      `| ${op.id} | ${times(r?.BoverA_rps)} | ${times(r?.CoverB_p50)} | ${times(r?.BoverC_rps)} | ${times(r?.DoverB_p50)} |`,
    );
  }
  lines.push('', '### Sync and memory (B)', '');
  if (s.sync || s.memory) {
    const m = s.memory;
    lines.push(
      '| figure | value |',
      '|---|--:|',
      `| first sync (gateway's figure: listening → every informer synced) | ${s.sync ? `${n(s.sync.firstSyncMs / 1000, 2)} s` : 'n/a'} |`,
      `| process spawn → synced | ${s.sync ? `${n(s.sync.spawnToReadyMs / 1000, 2)} s` : 'n/a'} |`,
      `| floor: a bare client's fetch + JSON.parse of every page (500) of ${s.sync?.floor?.kinds ? `every LIST the sync makes (${s.sync.floor.kinds.join(', ')}), one after the other` : 'the pod LIST (runs before session 10 measured no other)'}, just before | ${s.sync?.floor ? `${n(s.sync.floor.ms / 1000, 2)} s (${s.sync.floor.pages} pages, ${mib(s.sync.floor.bytes)}, parse ${n(s.sync.floor.parseMs / 1000, 2)} s)` : 'n/a'} |`,
      ...(s.sync?.floor?.pods
        ? [
            `| of it, the pod LIST | ${n(s.sync.floor.pods.ms / 1000, 2)} s (${s.sync.floor.pods.pages} pages, ${mib(s.sync.floor.pods.bytes)}, parse ${n(s.sync.floor.pods.parseMs / 1000, 2)} s) |`,
            `| sync / floor (every LIST; the pod LIST alone) | ${n(s.sync.firstSyncMs / s.sync.floor.ms, 2)}×; ${n(s.sync.firstSyncMs / s.sync.floor.pods.ms, 2)}× |`,
          ]
        : [`| sync / floor | ${s.sync?.floor ? `${n(s.sync.firstSyncMs / s.sync.floor.ms, 2)}×` : 'n/a'} |`]),
      `| peak RSS during sync | ${mib(s.sync?.peakRssDuringSyncBytes)} |`,
      `| steady RSS after sync (after a full GC) | ${mib(m?.cache.rss)} |`,
      `| heap used after sync (after a full GC) | ${mib(m?.cache.heapUsed)} |`,
      `| heap used by C, no cache (baseline) | ${mib(m?.noCache?.heapUsed)} |`,
      `| RSS per 10,000 pods | ${mib(m?.rssPer10kPodsBytes)} |`,
      `| heap per 10,000 pods (whole heap) | ${mib(m?.heapPer10kPodsBytes)} |`,
      `| cache heap per pod (B − C) / pods, nodes and jobs included | ${kib(m?.cacheHeapPerPodBytes)} |`,
      `| pods at measurement | ${m ? m.pods.toLocaleString('en') : 'n/a'} |`,
    );
  } else lines.push('Not measured (B did not run).');
  lines.push('', '### Subscription event latency (B)', '');
  if (!s.subscriptions.available) {
    lines.push(`Not available: ${s.subscriptions.reason ?? 'not run'}. No figures are reported.`);
  } else {
    lines.push(
      'From just before a pod is created through the simulator API to the ADDED event at each subscriber.',
      '',
      '| transport | subscribers | operations | connected | events | samples | lost | p50 ms | p99 ms |',
      '|---|--:|---|--:|--:|--:|--:|--:|--:|',
    );
    for (const f of s.subscriptions.results) {
      lines.push(
        `| ${f.transport === 'sse' ? 'SSE (graphql-sse)' : 'WebSocket (graphql-ws)'} | ${f.subscribers} | ${f.distinct ? 'one per subscriber' : 'one, identical'} | ${f.connected} | ${f.events} | ${f.samples} | ${f.lost} | ${ms(f.p50Ms)} | ${ms(f.p99Ms)} |${f.error ? ` ⚠ ${f.error.slice(0, 100)}` : ''}`,
      );
    }
    for (const f of s.subscriptions.results.filter((r) => r.fanout && r.floorMs !== undefined)) {
      lines.push(
        '',
        `Fan-out row (WebSocket ×${f.subscribers.toLocaleString('en')}): p99 ${ms(f.p99Ms)} ms against the machine's floor for as many sockets, ${ms(f.floorMs!)} ms (one write to each of ${f.subscribers.toLocaleString('en')} loopback sockets, \`bench/socket-writes.ts\`; median of rounds measured just before and after the row): ${Number.isFinite(f.p99Ms / f.floorMs!) ? (f.p99Ms / f.floorMs!).toFixed(2) : 'n/a'}× the floor.${f.slowestEvent?.cpuMs && f.medianEventCpuMs ? ` Its ${describeSlowest(f.slowestEvent)} (from /proc, in 10 ms ticks; the median event: gateway ${f.medianEventCpuMs.gateway ?? 'n/a'} ms, API server ${f.medianEventCpuMs.apiServer} ms, harness ${f.medianEventCpuMs.harness} ms). A late event whose extra CPU is another process's was that process's doing (bench/results/fanout-stalls.md).` : ''}`,
      );
    }
  }
  if (s.floor !== undefined) lines.push('', ...floorSection(s));
  if (s.attack !== undefined) lines.push('', ...attackSection(s, results));
  if (s.rbac !== undefined) lines.push('', ...rbacSection(s, results));
  if (s.variables) {
    const v = s.variables;
    lines.push(
      '',
      `Variables picked from the simulator: Q4 namespace \`${v.namespace}\`, labelSelector \`${v.labelSelector}\`, phase RUNNING; Q5 pod \`${v.pod.namespace}/${v.pod.name}\` on node \`${v.pod.nodeName}\`, job \`${v.pod.jobName}\`.`,
    );
  }
  const notes = Object.entries(s.kubectlNotes);
  if (notes.length) {
    lines.push('', `kubectl forms: ${notes.map(([id, note]) => `${id}: ${note}`).join('; ')}. Q3 has none.`);
  }
  const slow = Object.entries(s.cells).flatMap(([system, cells]) =>
    Object.entries(cells ?? {})
      .filter(([, c]) => c?.mode === 'sequential')
      .map(([id, c]) => `${system} ${id}: ${c!.note}`),
  );
  if (slow.length) lines.push('', `Measured sequentially: ${slow.join('; ')}.`);
  if (s.errors.length)
    lines.push('', '**Errors during this size:**', '', ...s.errors.map((e) => `- ${e.split('\n')[0]}`));
  return lines.join('\n');
}

/** B's single-request p50 on Q2 and Q3 beside the floor's, timed alternately in one process. */
function floorSection(s: SizeResult): string[] {
  const lines = ['### Wide answers beside their floor (B)', ''];
  if (!s.floor?.length) return [...lines, 'Not measured: see the errors.'];
  lines.push(
    'The floor: the same `data`, built by plain functions from the stores and aggregates and serialized (bench/lib/floor.ts; test/bench/floor.test.ts checks it equals B’s). B and the floor alternate in one process (bench/floor.ts, from the tsc build with the image’s flags, as the gateway runs), one request at a time; B over loopback HTTP. B req/s under load is the B row above.',
    '',
    '| Op | B p50 ms | B p99 ms | floor p50 ms | B/floor p50 | bare HTTP p50 ms | (bare HTTP + floor)/floor | floor req/s (one core) | B req/s under load | floor/B req/s | answer |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  );
  const hello = s.floor.find((f) => f.id === 'hello');
  const bare = (f: (typeof s.floor)[number]) =>
    f.rawHttpP50Ms !== undefined && Number.isFinite(f.rawHttpP50Ms) ? f.rawHttpP50Ms : undefined;
  for (const f of s.floor) {
    const http = bare(f);
    if (f.id === 'hello') {
      lines.push(
        `| \`{ __typename }\` | ${ms(f.bP50Ms)} | ${ms(f.bP99Ms)} | – | – | ${http === undefined ? '–' : ms(http)} | – | – | – | – | ${kib(f.responseBytes)} |`,
      );
      continue;
    }
    const rps = s.cells.B?.[f.id]?.rps;
    lines.push(
      `| ${f.id} | ${ms(f.bP50Ms)} | ${ms(f.bP99Ms)} | ${ms(f.floorP50Ms)} | ${times(f.ratio)} | ${http === undefined ? '–' : ms(http)} | ${http === undefined ? '–' : times((http + f.floorP50Ms) / f.floorP50Ms)} | ${n(f.floorRps, 0)} | ${rps ? n(rps, 0) : 'n/a'} | ${rps ? times(f.floorRps / rps) : 'n/a'} | ${kib(f.responseBytes)} |`,
    );
  }
  if (s.floor.some((f) => bare(f) !== undefined))
    lines.push(
      '',
      "Bare HTTP: a bare Node server in the same process sending the same answer's bytes over the same client, timed in the same rounds: what HTTP alone costs for that answer. The floor is a function call with no HTTP, so no server answering over HTTP can come nearer to it than (bare HTTP + floor)/floor; where that is over 2.5×, so is every server's p50 here.",
    );
  if (hello && Number.isFinite(hello.bP50Ms)) {
    const beyond = s.floor
      .filter((f) => f.id !== 'hello' && Number.isFinite(f.bP50Ms) && f.floorP50Ms > 0)
      .map(
        (f) =>
          `${f.id} ${ms(Math.max(0, f.bP50Ms - hello.bP50Ms))} ms, ${times(Math.max(0, f.bP50Ms - hello.bP50Ms) / f.floorP50Ms)} its floor`,
      );
    lines.push(
      '',
      `\`{ __typename }\`, timed the same way, is what every request costs before its fields (HTTP on loopback, yoga, the plugins, the request's context): ${ms(hello.bP50Ms)} ms at p50. The floor has none of it, so no answer over HTTP can come closer to its floor than that. What B takes beyond it (B's p50 minus this one's): ${beyond.join('; ')}. The target is judged on B's whole p50, as the issue asks.`,
    );
  }
  return lines;
}

/** The honest client alone and under each attack class, side by side, with what the attackers sent. */
function attackSection(s: SizeResult, results: BenchResults): string[] {
  const lines = ['### Honest client under attack (B)', ''];
  const a = s.attack;
  if (!a) {
    lines.push('Not measured (B did not run, or its gateway with auth did not start; see the errors).');
    return lines;
  }
  const st = results.settings;
  const pct = (x: number | null | undefined) => (x == null ? 'n/a' : `${n(x, 0)} %`);
  const lat = (c: CellResult) =>
    c.ok ? `${ms(c.p50Ms)} / ${ms(c.p99Ms)}${c.mode === 'sequential' ? ' †' : ''}` : 'failed';
  lines.push(
    `${a.operation} (${results.operations.find((o) => o.id === a.operation)?.title ?? ''}) as the latency cells measure it (${st.connections} connections, ${st.warmupSeconds} s warm-up, ${st.runs} runs of ${st.durationSeconds} s, medians), on ${a.setup}: first alone, then while one hostile process runs one attack class against the same gateway, then alone again. Each attack is a loop over loopback bounded in requests (below) and in time (${n(a.timeBoundMs / 1000, 0)} s), stopped as soon as the honest measurement is done. Ratio: the honest p99 under that attack over its p99 alone.`,
    '',
    '| attack | hostile clients (bounds) | honest p50 / p99 ms | honest req/s | p99 × alone | p50 × alone | gateway CPU | attacker CPU | hostile requests sent | answered with |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
    `| none (alone) | – | ${lat(a.alone)} | ${a.alone.ok ? n(a.alone.rps, 0) : '–'} | 1.00× | 1.00× | ${pct(a.aloneGatewayCpuPercent)} | – | 0 | – |`,
  );
  for (const r of a.rows) {
    const h = r.attack;
    lines.push(
      `| ${r.title} | ${r.bounds} | ${lat(r.honest)} | ${r.honest.ok ? n(r.honest.rps, 0) : '–'} | ${times(r.p99Ratio)} | ${times(r.p50Ratio)} | ${pct(r.gatewayCpuPercent)} | ${h?.cpuMs !== undefined && h.elapsedMs > 0 ? pct((h.cpuMs / h.elapsedMs) * 100) : 'n/a'} | ${h ? `${h.sent.toLocaleString('en')} in ${n(h.elapsedMs / 1000, 1)} s` : 'n/a'} | ${h ? describeOutcomes(h).replace(/\|/g, '/') : 'n/a'}${h?.eventsReceived !== undefined ? `; ${h.eventsReceived.toLocaleString('en')} events pushed to it` : ''}${r.error ? ` ⚠ ${r.error.slice(0, 100)}` : ''} |`,
    );
  }
  if (a.aloneAfter)
    lines.push(
      `| none (alone, after) | – | ${lat(a.aloneAfter)} | ${a.aloneAfter.ok ? n(a.aloneAfter.rps, 0) : '–'} | ${times(a.aloneAfter.ok && a.alone.ok && a.alone.p99Ms > 0 ? a.aloneAfter.p99Ms / a.alone.p99Ms : null)} | ${times(a.aloneAfter.ok && a.alone.ok && a.alone.p50Ms > 0 ? a.aloneAfter.p50Ms / a.alone.p50Ms : null)} | ${pct(a.aloneAfterGatewayCpuPercent)} | – | 0 | – |`,
    );
  lines.push(
    '',
    `Answers are counted by HTTP status and \`extensions.code\` (\`ok\`: an answer with data); "unanswered" are the requests in flight when the attack was stopped. CPU in % of one core: the gateway's over the honest measurement, the attacker's over its attack; on ${results.machine.cores} cores the hostile process, autocannon, the gateway and the simulator compete for the CPU, so part of a slowdown is the attacker's own work on the machine rather than the gateway's for it. On a gateway with auth a CSRF-style GET, which carries no token, is refused by the authentication check (401) before the CSRF check (403 CSRF_HEADER_REQUIRED, which answers such GETs on a gateway without auth) is reached. The "alone, after" row shows how far the baseline moved during the measurement.`,
  );
  if ([a.alone, ...a.rows.map((r) => r.honest)].some((c) => c.mode === 'sequential'))
    lines.push('', '† measured with sequential requests (answers queued too long under load).');
  return lines;
}

/** System R: B as RBAC users beside the open B, the access-set compile time, the revocation delay. */
function rbacSection(s: SizeResult, results: BenchResults): string[] {
  const lines = ['### B as RBAC users (R)', ''];
  const r = s.rbac;
  if (!r) {
    lines.push('Not measured (its set-up or gateway failed; see the errors).');
    return lines;
  }
  const st = results.settings;
  const count = (x: number) => x.toLocaleString('en');
  const scenario = r.manyNamespaces - r.createdNamespaces;
  lines.push(
    `kubegate with caches and \`auth.tokens\` whose tokens are Kubernetes identities (\`user:\`), so the gateway mirrors the cluster's Roles, ClusterRoles and their bindings and compiles each user's access set (\`src/kube/rbac.ts\`). Each user is bound by RoleBindings to the \`view\` ClusterRole, one per namespace: **bench-few** in ${r.fewNamespaces.length} (${r.fewNamespaces.map((n) => `\`${n}\``).join(', ')}: Q4's, Q5's pod's and one more), **bench-many** in ${count(r.manyNamespaces)} (the cluster's ${count(scenario)} and ${count(r.createdNamespaces)} made for it, empty when made: it lists every namespaced object the open gateway does, through ${count(r.manyNamespaces)} namespace grants rather than a cluster-wide one). The ${count(r.createdNamespaces)} namespaces and ${count(r.createdBindings)} RoleBindings were written through the simulator's API in ${n(r.setupMs / 1000, 1)} s, after the other systems ran and before R's gateway started (churn may start jobs in the new namespaces, as in any other). The same load as B's cells (${st.connections} connections, ${st.warmupSeconds} s warm-up, ${st.runs} runs of ${st.durationSeconds} s, medians); ${r.openCells ? "ratios over an open B up beside R's gateway on the same simulator, each operation's runs taken on it and on each caller in turn (run by run, the order rotated each run, each with its own medians): B's own cells above ran earlier, on a cluster without R's namespaces and bindings, on a machine whose speed moves over a run" : 'ratios over the open B of this run, whose row is repeated'}. \`view\` grants no nodes, so neither user sees one (Q2 answers none, Q5's pod comes without its node): read each ratio against the last column, what the query answered for that caller. The RBAC gateway's first sync (the four RBAC kinds included) took ${r.sync ? `${n(r.sync.firstSyncMs / 1000, 2)} s` : 'n/a'}.`,
    '',
    '| Op | caller | p50 ms | p99 ms | req/s | p50 × B | p99 × B | req/s × B | upstream req/op | answered |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|---|',
  );
  const ratio = (x: number | null | undefined, target?: number) =>
    x == null ? 'n/a' : target !== undefined && x > target ? `**${n(x, 2)}×**` : `${n(x, 2)}×`;
  const row = (op: string, caller: string, cell: CellResult | undefined, rest: string) => {
    if (!cell) return `| ${op} | ${caller} | – | – | – | ${rest} |`;
    if (!cell.ok)
      return `| ${op} | ${caller} | failed | | | | | | | ${(cell.error ?? '').replace(/\|/g, '/').slice(0, 100)} |`;
    const seq = cell.mode === 'sequential' ? ' †' : '';
    const up = cell.upstream ? n(cell.upstream.requestsPerOp, cell.upstream.requestsPerOp % 1 ? 2 : 0) : '–';
    return `| ${op} | ${caller} | ${ms(cell.p50Ms)}${seq} | ${ms(cell.p99Ms)} | ${n(cell.rps, cell.rps >= 10 ? 0 : 2)} | ${rest.replace('UP', up)}${cell.error ? ` ⚠ ${cell.error.slice(0, 80)}` : ''} |`;
  };
  for (const op of results.operations) {
    const b = r.openCells ? r.openCells[op.id] : s.cells.B?.[op.id];
    lines.push(
      row(
        op.id,
        r.openCells ? 'B, open, beside R' : 'B, open',
        b,
        `1.00× | 1.00× | 1.00× | UP | ${r.openAnswers[op.id] ?? 'n/a'}`,
      ),
    );
    for (const v of r.variants) {
      const o = v.overB[op.id];
      lines.push(
        row(
          op.id,
          `R ${v.user} (${count(v.namespaces)} ns)`,
          v.cells[op.id],
          `${ratio(o?.p50, RBAC_P50_TARGET)} | ${ratio(o?.p99)} | ${ratio(o?.rps)} | UP | ${v.answers[op.id] ?? 'n/a'}`,
        ),
      );
    }
  }
  lines.push(
    '',
    `p50 ratios above ${RBAC_P50_TARGET}× (the target) are in bold.${r.variants.some((v) => Object.values(v.cells).some((c) => c?.mode === 'sequential')) ? ' † measured with sequential requests.' : ''}`,
  );

  const c = r.compile;
  lines.push('', '#### Access-set compile time', '');
  if (!c) lines.push('Not measured.');
  else {
    lines.push(
      `\`compileAccess\` (src/kube/rbac.ts) timed in the harness over RBAC stores filled by the gateway's own code (a \`Cluster\` mirroring the four RBAC kinds of this simulator: the same informers, trimming and subject index), with the RBAC gateway stopped. The cluster held ${count(c.roleBindings)} RoleBindings, ${count(c.clusterRoleBindings)} ClusterRoleBindings and ${count(c.clusterRoles)} ClusterRoles; then ${count(c.otherBindings)} RoleBindings for other subjects (one user each, spread over bench-many's namespaces) were written through the API${c.otherBindingsWriteMs !== null ? ` (${n(c.otherBindingsWriteMs / 1000, 1)} s)` : ''} and, once mirrored (${c.roleBindingsWithOthers !== null ? count(c.roleBindingsWithOthers) : 'n/a'} RoleBindings), the same users timed again. Each figure: the median of up to ${count(c.users.length ? Math.max(...c.users.map((u) => u.timing.runs)) : 0)} runs (fewer when ${n(results.mode === 'tiny' ? 0.5 : 5, 1)} s ran out) after as many of warm-up (role grants memoised per role object, as in the gateway: what an RBAC change costs a user, not a cold process's first call).`,
      '',
      `| user | its RoleBindings | namespaces granted | p50 ms | p90 ms | runs | with ${count(c.otherBindings)} other RoleBindings: p50 ms | p90 ms | p50 with / without |`,
      '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    );
    const f = (x: number) => n(x, x >= 10 ? 1 : 3);
    for (const u of c.users) {
      const w = u.withOthers;
      lines.push(
        `| ${u.user} | ${count(u.bindings)} | ${count(u.namespacesGranted)} | ${f(u.timing.p50Ms)} | ${f(u.timing.p90Ms)} | ${u.timing.runs} | ${w ? f(w.p50Ms) : 'n/a'} | ${w ? f(w.p90Ms) : 'n/a'} | ${w && u.timing.p50Ms > 0 ? `${n(w.p50Ms / u.timing.p50Ms, 2)}×` : 'n/a'} |`,
      );
    }
    if (c.error) lines.push('', `⚠ ${c.error}`);
  }

  const v = r.revocation;
  lines.push('', '#### RBAC revocation', '');
  if (!v) lines.push('Not measured.');
  else {
    lines.push(
      `A user (bench-revoked) bound to \`view\` in \`${v.namespace}\` only, subscribed to that namespace's pod events on the synced RBAC gateway (a primer pod's event first, to know the stream open); its RoleBinding deleted through the API as \`kubectl delete rolebinding\` does. Delay: from just before the DELETE is sent to the FORBIDDEN error at the subscriber (the DELETE's round trip, the watch event to the gateway's informer, the relay's check and the error's way out). Target: under ${n(REVOCATION_TARGET_MS / 1000, 0)} s.`,
      '',
      '| transport | runs | ended FORBIDDEN | median ms | max ms | DELETE round trip, median ms |',
      '|---|--:|--:|--:|--:|--:|',
    );
    for (const t of ['sse', 'ws'] as const) {
      const runs = v.runs.filter((x) => x.transport === t);
      if (!runs.length) continue;
      const delays = runs.flatMap((x) => (x.delayMs === null ? [] : [x.delayMs]));
      const del = runs.flatMap((x) => (x.deleteMs === null ? [] : [x.deleteMs]));
      lines.push(
        `| ${t === 'sse' ? 'SSE (graphql-sse)' : 'WebSocket (graphql-ws)'} | ${runs.length} | ${delays.length} | ${ms(median(delays))} | ${delays.length ? ms(Math.max(...delays)) : 'n/a'} | ${ms(median(del))} |`,
      );
    }
    const other = v.runs.filter((x) => x.outcome !== 'FORBIDDEN');
    if (other.length)
      lines.push('', `Not FORBIDDEN: ${other.map((x) => `${x.transport} ${x.outcome}`).join('; ')}.`);
    if (v.error) lines.push('', `⚠ ${v.error}`);
  }
  return lines;
}

/** One table for the whole run: per size and operation, each system's p50 and the ratios. */
function headline(results: BenchResults): string[] {
  const lines = [
    '## Headline',
    '',
    'p50 / p99 in ms and requests/s at fixed concurrency; D is one process at a time. A answers `{ hello }` (its figures repeat on each row as the ceiling). Ratios: B/A in requests/s; C/B and D/B in p50.',
    '',
    '| size | op | A req/s | B p50 / p99 | B req/s | C p50 / p99 | C req/s | D p50 | B/A | C/B | D/B |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const s of results.sizes) {
    for (const op of results.operations) {
      const a = s.ceiling;
      const b = s.cells.B?.[op.id];
      const c = s.cells.C?.[op.id];
      const d = s.cells.D?.[op.id];
      const r = s.ratios[op.id];
      const seq = (x?: CellResult | null) => (x?.mode === 'sequential' ? ' †' : '');
      const lat = (x?: CellResult | null) =>
        x?.ok ? `${ms(x.p50Ms)} / ${ms(x.p99Ms)}${seq(x)}` : x ? 'failed' : '–';
      const rps = (x?: CellResult | null) => (x?.ok ? `${n(x.rps, x.rps >= 10 ? 0 : 2)}${seq(x)}` : '–');
      lines.push(
        `| ${s.size.name} | ${op.id} | ${rps(a)} | ${lat(b)} | ${rps(b)} | ${lat(c)} | ${rps(c)} | ${d?.ok ? ms(d.p50Ms) : '–'} | ${times(r?.BoverA_rps)} | ${times(r?.CoverB_p50)} | ${times(r?.DoverB_p50)} |`,
      );
    }
  }
  if (
    results.sizes.some((s) =>
      Object.values(s.cells).some((c) => Object.values(c ?? {}).some((x) => x?.mode === 'sequential')),
    )
  )
    lines.push(
      '',
      '† measured with sequential requests: one answer took over a second, or answers queued too long under load (see the size sections).',
    );
  return lines;
}

export function resultsMarkdown(
  results: BenchResults,
  chartPath: string,
  jsonPath: string,
  /** Link to bench/informer-sync.ts's results (the informers alone, no server), when present. */
  informerSyncPath?: string,
  /**
   * The last fleet run (`npm run bench -- --sizes fleet --out bench/results/fleet`, ~35 min,
   * never part of a default run): its targets are listed after this run's, with a link.
   */
  fleet?: { markdownPath: string; results: BenchResults },
): string {
  const m = results.machine;
  const v = results.versions;
  const st = results.settings;
  const missed = results.targets.filter((t) => t.met === false);
  const lines = [
    '# kubegate benchmark results',
    '',
    `Written by \`npm run bench${results.mode === 'full' ? '' : ` -- --${results.mode}`}\` (mode **${results.mode}**), started ${results.startedAt}, took ${n(results.durationSeconds / 60, 1)} min. Raw figures: [\`${jsonPath}\`](${jsonPath}). Reproduce with \`npm run bench\` (sizes S and L: about 26 minutes on this machine before system R, which adds an estimated quarter of an hour) or \`npm run bench -- --quick\` (size S, about three and a half minutes); \`npm run bench -- --help\` lists the options.`,
    '',
    `![latency per system, operation and size](${chartPath})`,
    '',
    '## Machine and versions',
    '',
    '| | |',
    '|---|---|',
    `| CPU | ${m.cpuModel}, ${m.cores} cores |`,
    ...(m.coreMs
      ? [`| the same work pinned to each core (\`bench/cores.ts\`) | ${describeCores(m.coreMs)} |`]
      : []),
    `| memory | ${n(m.memoryBytes / 1073741824, 1)} GiB |`,
    `| OS | ${m.os} |`,
    `| load average (1/5/15 min) at start / end | ${m.loadAverageAtStart.join(' / ')} — ${m.loadAverageAtEnd.join(' / ')} |`,
    `| Node | ${v.node} |`,
    `| kubegate | ${v.kubegate} |`,
    `| graphql-yoga / graphql | ${v.graphqlYoga} / ${v.graphql} |`,
    `| @kubernetes/client-node | ${v.clientNode} |`,
    `| autocannon | ${v.autocannon} |`,
    `| kubectl | ${v.kubectl} |`,
    ...(results.harnessFlags?.length
      ? [
          `| the harness's own Node flags (the subscribers' process) | \`${results.harnessFlags.join(' ')}\` |`,
        ]
      : []),
    ...(results.gatewayFlags?.length
      ? [
          `| the gateway's flags beside the image's (KUBEGATE_BENCH_GATEWAY_FLAGS) | \`${results.gatewayFlags.join(' ')}\` |`,
        ]
      : []),
    '',
    'Everything runs on this one machine over loopback: the simulator, each system and the load generator are separate processes sharing its cores, so a load average above the core count means other work was competing for the CPU and the figures are lower than on an idle machine.',
    '',
    '## How it is measured',
    '',
    '- The Kubernetes API simulator runs in its own process (so its cost is not charged to the gateway), with churn on.',
    `- A: a bare graphql-yoga server answering \`{ hello }\`, the ceiling of the HTTP + GraphQL layer here. B: kubegate with its caches. C: kubegate \`--no-cache\`. D: \`kubectl get ... -o json\` as a process, timed per invocation from spawn to exit. Systems run one at a time.`,
    `- A, B and C: autocannon ${v.autocannon}, ${st.connections} connections, ${st.warmupSeconds} s warm-up, then ${st.runs} runs of ${st.durationSeconds} s; each figure is the median over the runs (latencies from every response, sub-millisecond). An operation whose single request takes over ${st.slowThresholdMs} ms is measured with sequential requests instead (stated where it happens). Every answer is checked for GraphQL errors before and after the load.`,
    `- D: ${st.kubectlRuns} timed executions per operation (fewer when one takes longer than the budget), one after another, discovery cache warmed.`,
    "- Upstream requests and bytes per operation: deltas of the simulator's `apiserver_request_total` and `simulator_response_bytes_total` over the measured runs (watch streams excluded), divided by the operations completed.",
    "- Memory: the gateway's `process.memoryUsage()` after a full GC, asked over the inspector (switched on with SIGUSR1 only for that); peak RSS during sync is the process's VmHWM when it reports synced. Heap per pod is the whole gateway's (server, metrics, the four informers) minus the same process without cache (C), divided by the pods." +
      (informerSyncPath
        ? ` The informers alone, without the server, are measured by \`bench/informer-sync.ts\`: [${informerSyncPath}](${informerSyncPath}).`
        : ''),
    ...(results.sizes.some((s) => s.rbac)
      ? [
          "- R: B (a gateway of its own, with caches) answering as Kubernetes identities its `auth.tokens` name, authorised from the cluster's RBAC, which it mirrors: a user bound to `view` in 3 namespaces and one in 1,000, with the same load as B; p50, p99 and req/s reported as ratios over B of the same run, with what each query answered for each caller. Also the access-set compile time and the delay from a RoleBinding's deletion to the user's subscription ending FORBIDDEN (see each size's R section).",
        ]
      : []),
    `- Subscriptions: ${st.subscribers.join(', ')} subscribers of one identical operation (as many tabs of one live page), ${st.subscriptionEvents} timed pod creations each after ${WARMUP_EVENTS} untimed ones, over graphql-sse (distinct connections; its client reading the body as a Node stream through undici.request, not through the WHATWG streams of the global fetch) and graphql-ws (a connection per subscriber), subscribers and writer in one process. Before each row's untimed events the simulator's garbage is collected once (it stands in for an API server written in Go; at L a full collection of its heap took ~0.8 s, and one that fell among the timed events held every watch event behind it), and the harness's before every event.${st.fanout ? ` Then a fan-out row: ${st.fanout.toLocaleString('en')} graphql-ws subscribers of one identical operation, read against the machine's floor for as many sockets (one write to each, \`bench/socket-writes.ts\`) measured just before and after it.` : ''}`,
    '- Operations: `bench/operations/*.graphql`, validated against `schema/schema.graphql` at startup: ' +
      results.operations.map((o) => `${o.id} ${o.title}`).join('; ') +
      '.',
    '',
    '## Targets',
    '',
    missed.length
      ? `**${missed.length} target${missed.length > 1 ? 's' : ''} missed** in this run, listed with the measured figure.`
      : results.targets.some((t) => t.met === true)
        ? 'Every target measured in this run was met.'
        : 'No target was measured in this run.',
    '',
    '| target | size | result | figure |',
    '|---|---|---|---|',
    ...results.targets.map(
      (t) =>
        `| ${t.target} | ${t.size} | ${t.met === null ? 'not measured' : t.met ? 'met' : '**MISSED**'} | ${t.figure.replace(/\|/g, '/')} |`,
    ),
    ...(fleet && !results.sizes.some((sz) => sz.fleet)
      ? [
          '',
          `The fleet size runs on its own (\`npm run bench -- --sizes fleet --out bench/results/fleet\`). Its last run, started ${fleet.results.startedAt} (${n(fleet.results.durationSeconds / 60, 1)} min, load average ${fleet.results.machine.loadAverageAtStart.join(' / ')} at start), is [${fleet.markdownPath}](${fleet.markdownPath}); its targets:`,
          '',
          '| target | size | result | figure |',
          '|---|---|---|---|',
          ...fleet.results.targets
            .filter((t) => t.size === 'fleet')
            .map(
              (t) =>
                `| ${t.target} | ${t.size} | ${t.met === null ? 'not measured' : t.met ? 'met' : '**MISSED**'} | ${t.figure.replace(/\|/g, '/')} |`,
            ),
        ]
      : []),
    '',
    'What the comparisons are made of (facts of the method, to read the figures by):',
    '',
    `- B's p50 and p99 are taken under ${st.connections} concurrent connections; D's are one kubectl process at a time with nothing else asking, and each includes the process's start, kubectl's \`/version\` call and its discovery cache.`,
    `- The subscription figures are end to end: the subscribers (${Math.max(...st.subscribers).toLocaleString('en')} at most) and the writer share one Node process, on the same ${m.cores} cores as the gateway and the simulator, so the time each subscriber's event waits in that process's event loop is part of the figure.`,
    '- A answers `{ hello }` (a few dozen bytes) from a bare yoga; B runs its whole request path (auth, context and loaders, graphql-armor limits, Prometheus metrics) and answers the operation in full (see the answer column).',
    '',
    ...headline(results),
    '',
    results.sizes.map((s) => (s.fleet ? fleetSection(s) : sizeSection(s, results))).join('\n\n'),
    '',
  ];
  return lines.join('\n');
}

/** The fleet size (bench/lib/fleet.ts): one gateway over every cluster. */
function fleetSection(s: SizeResult): string {
  const f = s.fleet!;
  const z = s.size;
  /** Cores in use over a window: the measured process, the simulators, the whole machine. */
  const cores = (share: CpuShare | undefined) => {
    if (!share || share.wallMs <= 0) return 'n/a';
    const of = (v: number | null) => (v === null ? 'n/a' : n(v / share.wallMs, 2));
    return `${of(share.measuredMs)} / ${of(share.simulatorsMs)} / ${of(share.machineMs)}`;
  };
  const cell = (name: string, key: FleetCell) => {
    const c = f[key];
    const stall = f.loopStalls?.[key];
    const held = stall ? `${ms(stall.maxMs)} (p99 ${ms(stall.p99Ms)})` : 'n/a';
    const used = cores(f.cpu?.cells?.[key]);
    return c?.ok
      ? `| ${name} | ${c.concurrency} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} | ${n(c.rps, 0)} | ${c.upstream ? n(c.upstream.requestsPerOp, 2) : 'n/a'} | ${kib(c.responseBytes)} | ${held} | ${used} |`
      : `| ${name} | – | failed | – | – | – | ${c?.error ?? ''} | ${held} | ${used} |`;
  };
  const lines = [
    `## Size ${z.name}: ${f.clusters} clusters of ${z.nodes.toLocaleString('en')} nodes, ${z.pods.toLocaleString('en')} pods, ${z.jobs.toLocaleString('en')} jobs (${f.pods.toLocaleString('en')} pods in all), one gateway`,
    '',
    `Simulators: ${f.processes} processes of ${f.clustersPerProcess} clusters (\`--clusters\`), built side by side in ${f.simulators.map((x) => n(x.buildMs / 1000, 0)).join(', ')} s; RSS each once built ${f.simulators.map((x) => mib(x.rssBytes)).join(', ')}.`,
    '',
    '| figure | value |',
    '|---|--:|',
    `| fleet bytes floor: ${f.floor?.kinds ? `every LIST each cluster's sync makes (${f.floor.kinds.join(', ')})` : "every cluster's pod LIST (runs before session 11 measured no other)"} fetched and \`JSON.parse\`d, ${f.concurrentSyncs} clusters at once | ${f.floor ? `${n(f.floor.ms / 1000, 1)} s (${f.floor.pages} pages, ${mib(f.floor.bytes)}, parse ${n(f.floor.parseMs / 1000, 1)} s)` : 'n/a'} |`,
    ...(f.floor?.pods
      ? [
          `| of it, the pod LISTs (their fetch time over the ${f.concurrentSyncs} lanes) | ${n(f.floor.pods.ms / 1000, 1)} s (${f.floor.pods.pages} pages, ${mib(f.floor.pods.bytes)}, parse ${n(f.floor.pods.parseMs / 1000, 1)} s) |`,
        ]
      : []),
    `| gateway: every cluster synced (from listening) | ${f.sync ? `${n(f.sync.allSyncedMs / 1000, 1)} s` : 'n/a'} |`,
    `| sync / floor | ${times(f.syncOverFloor)} |`,
    `| first cluster synced | ${f.sync?.firstClusterMs != null ? `${n(f.sync.firstClusterMs / 1000, 1)} s` : 'n/a'} |`,
    `| peak RSS during sync / whole run | ${mib(f.sync?.peakRssDuringSyncBytes)} / ${mib(f.peakRssBytes)} |`,
    `| RSS and heap after sync (after a full GC) | ${mib(f.memory?.rss)} / ${mib(f.memory?.heapUsed)} |`,
    `| heap per pod (whole heap) / RSS per pod | ${bytes(f.heapPerPodBytes)} / ${bytes(f.rssPerPodBytes)} |`,
    `| events mirrored beside the pods then (in that heap; ~0.9 KB each) | ${f.eventsAtMemory == null ? 'n/a' : f.eventsAtMemory.toLocaleString('en')} |`,
    `| most LISTs in flight on one API server | ${f.maxListsInFlightPerServer ?? 'n/a'} |`,
    ...(f.cpu
      ? [
          `| cores in use while the floor ran: its client / the simulators / the whole machine (of 2) | ${cores(f.cpu.floor)} |`,
          `| cores in use while the gateway synced: the gateway / the simulators / the whole machine (of 2) | ${cores(f.cpu.sync)} |`,
        ]
      : []),
    ...(f.settleMs != null
      ? [
          `| caught up after the memory figure's forced GCs (10 \`/livez\` in a row under 20 ms), before the latency cells | ${n(f.settleMs / 1000, 1)} s |`,
        ]
      : []),
    ...(f.informers
      ? [
          `| informers over the whole run, every cluster and kind: failed LIST/watch attempts, relists, watch restarts | ${f.informers.failures}, ${f.informers.relists}, ${f.informers.watchRestarts}${
            Object.keys(f.informers.lastErrors).length
              ? ` (last errors: ${Object.entries(f.informers.lastErrors)
                  .map(([e, k]) => `${k}× ${e.replace(/\|/g, '\\|')}`)
                  .join('; ')})`
              : ''
          } |`,
        ]
      : []),
    '',
    "| operation | connections | p50 ms | p99 ms | req/s | upstream req/op (all clusters) | answer | the gateway's event loop: its longest tick during the cell (ms) | cores: gateway / simulators / machine |",
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|',
    cell(`Q1 over all ${f.clusters} clusters`, 'q1Fleet'),
    cell(`Q1 over all ${f.clusters} clusters`, 'q1FleetLoaded'),
    cell('Q4 on one cluster', 'q4'),
    cell('Q4 on one cluster', 'q4Loaded'),
    '',
    "The last column is the gateway's own `nodejs_eventloop_lag_max_seconds` (and `_p99_`), read from its `/metrics` just before and just after each cell: the longest interval between two ticks of prom-client's 10 ms loop timer, so 10 is an idle loop. A full GC of the fleet's heap holds the loop for seconds, and a p99 that such a stall decided shows here (bench/results/fleet-gc.md). The cores are CPU time over the cell's wall time (/proc: the gateway's process, the five simulators', the machine's busy time): the load generator and this harness are the rest of the machine's.",
  ];
  if (s.errors.length)
    lines.push('', '**Errors during this size:**', '', ...s.errors.map((e) => `- ${e.split('\n')[0]}`));
  return lines.join('\n');
}
