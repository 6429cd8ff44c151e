/**
 * The honest client under attack (issue #10: "How much the attacks slow an honest client
 * is a benchmark row (its p99 under attack over its p99 alone, in one run)").
 *
 * B is started once more, with auth configured (a kubegate.yaml naming the simulator's
 * kubeconfig and two tokens: the honest client's and an authenticated attacker's), so the
 * unauthenticated class meets the check it is meant to meet. The honest client runs one
 * operation with autocannon exactly as the latency cells do (same connections, warm-up,
 * runs), first alone, then once per attack class while a hostile process
 * (bench/attacker.ts) runs that class against the same gateway, then alone again (to see
 * the gateway recovered and how far the baseline drifts). Nothing is asserted: the
 * figures, the hostile requests sent and the codes they were refused with are reported.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AttackClass, AttackSummary } from './attack-classes.js';
import { startNodeChild } from './children.js';
import { type CellResult, failedCell, type LoadSettings } from './load.js';
import { processCpuMs } from './machine.js';
import type { OperationId } from './operations.js';
import { round } from './stats.js';

export interface AttackPlan {
  class: AttackClass;
  title: string;
  /** What the hostile process does and its bounds, in words (for the report). */
  bounds: string;
  args: string[];
}

export interface AttackRow {
  class: AttackClass;
  title: string;
  bounds: string;
  /** The honest client's cell while the attack ran. */
  honest: CellResult;
  /** The gateway's CPU over the honest measurement, in % of one core (null where there is no /proc). */
  gatewayCpuPercent: number | null;
  attack: AttackSummary | null;
  /** Honest p99 under attack over honest p99 alone; p50 likewise. */
  p99Ratio: number | null;
  p50Ratio: number | null;
  error?: string;
}

export interface AttackFigures {
  system: 'B';
  operation: OperationId;
  /** How the gateway was configured for it. */
  setup: string;
  alone: CellResult;
  aloneGatewayCpuPercent: number | null;
  /** Each hostile process stops by itself after this long (or its request bound), whatever happens. */
  timeBoundMs: number;
  /** Alone again after every attack. */
  aloneAfter: CellResult | null;
  aloneAfterGatewayCpuPercent?: number | null;
  rows: AttackRow[];
}

/** Concurrent hostile requests per HTTP class (the honest client has `connections`). */
export const HOSTILE_CONCURRENCY = 4;
/** Subscriptions opened on the one hostile WebSocket: 50 past the default per-connection cap of 200. */
export const HOSTILE_SUBSCRIPTIONS = 250;

export function attackPlans(): AttackPlan[] {
  const c = HOSTILE_CONCURRENCY;
  return [
    {
      class: 'unauthenticated',
      title: 'unauthenticated, distinct ~60 KB documents',
      bounds: `${c} concurrent POSTs without a token, each a distinct valid ~60 KB document; ≤ 100,000 requests`,
      args: ['--max-requests', '100000', '--concurrency', String(c)],
    },
    {
      class: 'cost',
      title: 'over the cost limit',
      bounds: `${c} concurrent POSTs with the attacker's token: a page of 500 pods with containers and events; ≤ 100,000 requests`,
      args: ['--max-requests', '100000', '--concurrency', String(c)],
    },
    {
      class: 'csrf',
      title: 'CSRF-style GETs',
      bounds: `${c} concurrent GETs as a page of another origin can send them: no token, no preflight header; ≤ 100,000 requests`,
      args: ['--max-requests', '100000', '--concurrency', String(c)],
    },
    {
      class: 'subscriptions',
      title: 'subscriptions past the per-connection cap',
      bounds: `${HOSTILE_SUBSCRIPTIONS} subscriptions to every pod event on one WebSocket with the attacker's token (cap 200), held open`,
      args: [
        '--subscriptions',
        String(HOSTILE_SUBSCRIPTIONS),
        '--max-requests',
        String(HOSTILE_SUBSCRIPTIONS),
      ],
    },
    {
      class: 'selectors',
      title: 'distinct long label selectors',
      bounds: `${c} concurrent POSTs with the attacker's token, each a distinct ~3,900-character selector (answer-memo pressure); ≤ 100,000 requests`,
      args: ['--max-requests', '100000', '--concurrency', String(c)],
    },
  ];
}

/** The gateway's configuration for the measurement: the simulator's kubeconfig and two tokens. */
export function writeAttackConfig(
  workDir: string,
  sizeName: string,
  kubeconfig: string,
): { path: string; honestToken: string; hostileToken: string } {
  const honestToken = `honest-${randomBytes(16).toString('hex')}`;
  const hostileToken = `hostile-${randomBytes(16).toString('hex')}`;
  const path = join(workDir, `attack-${sizeName}.kubegate.yaml`);
  // JSON is YAML.
  writeFileSync(
    path,
    JSON.stringify(
      {
        clusters: [{ kubeconfig }],
        auth: {
          tokens: [
            { name: 'honest', token: honestToken },
            { name: 'attacker', token: hostileToken },
          ],
        },
      },
      null,
      2,
    ),
  );
  return { path, honestToken, hostileToken };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureUnderAttack(options: {
  url: string;
  cluster: string;
  hostileToken: string;
  operation: OperationId;
  setup: string;
  load: LoadSettings;
  cwd: string;
  logDir: string;
  sizeName: string;
  /** The gateway's process, whose CPU time is read from /proc around each measurement. */
  gatewayPid: number;
  /** One honest measurement (the harness's measureGraphql with the honest token). */
  measure: () => Promise<CellResult>;
  log: (line: string) => void;
}): Promise<AttackFigures> {
  const { load, log } = options;
  // Long enough for the honest measurement however it goes (autocannon or sequential);
  // the harness stops the attacker as soon as the measurement is done.
  const maxMs = Math.min(
    600_000,
    Math.round((load.warmupSeconds + load.runs * load.durationSeconds) * 1000 + load.slowBudgetMs + 30_000),
  );
  const measure = async (): Promise<[CellResult, number | null]> => {
    const cpu0 = processCpuMs(options.gatewayPid);
    const t0 = performance.now();
    const cell = await options.measure();
    const cpu1 = processCpuMs(options.gatewayPid);
    const wall = performance.now() - t0;
    return [
      cell,
      cpu0 !== null && cpu1 !== null && wall > 0 ? Math.round(((cpu1 - cpu0) / wall) * 100) : null,
    ];
  };
  const [alone, aloneGatewayCpuPercent] = await measure();
  log(`  B under attack, ${options.operation} alone: ${brief(alone)}`);
  const rows: AttackRow[] = [];
  for (const plan of attackPlans()) {
    const child = startNodeChild(
      `attacker-${plan.class}-${options.sizeName}`,
      'bench/attacker.ts',
      [
        '--url',
        options.url,
        '--class',
        plan.class,
        '--cluster',
        options.cluster,
        '--max-ms',
        String(maxMs),
        ...(plan.class === 'unauthenticated' || plan.class === 'csrf'
          ? []
          : ['--token', options.hostileToken]),
        ...plan.args,
      ],
      { cwd: options.cwd, logDir: options.logDir },
    );
    let honest: CellResult | undefined;
    let gatewayCpuPercent: number | null = null;
    let attack: AttackSummary | null = null;
    let error: string | undefined;
    try {
      await child.waitFor(/attacker engaged/, 60_000);
      [honest, gatewayCpuPercent] = await measure();
      const running = child.alive();
      await child.stop(15_000);
      const [, json] = await child.waitFor(/attacker done (\{.*\})/, 1_000);
      attack = JSON.parse(json) as AttackSummary;
      if (!running && attack.endedBy !== 'stopped')
        error = `the attack ended by its ${attack.endedBy} bound before the honest client was done`;
    } catch (err) {
      error = (err as Error).message.split('\n')[0];
      await child.stop();
    }
    honest ??= failedCell(error ?? 'not measured');
    const ratio = (a: number, b: number) =>
      honest!.ok && alone.ok && Number.isFinite(a) && Number.isFinite(b) && b > 0 ? round(a / b, 2) : null;
    rows.push({
      class: plan.class,
      title: plan.title,
      bounds: plan.bounds,
      honest,
      gatewayCpuPercent,
      attack,
      p99Ratio: ratio(honest.p99Ms, alone.p99Ms),
      p50Ratio: ratio(honest.p50Ms, alone.p50Ms),
      ...(error ? { error } : {}),
    });
    const row = rows.at(-1)!;
    log(
      `  B under attack (${plan.class}): ${brief(honest)}; p99 ×${row.p99Ratio ?? 'n/a'}; hostile ${attack ? `${attack.sent} sent, ${describeOutcomes(attack)}` : 'n/a'}${error ? `; ${error}` : ''}`,
    );
    await sleep(1_000); // let the gateway drop what the attack left (sockets, subscriptions)
  }
  const [aloneAfter, aloneAfterGatewayCpuPercent] = await measure();
  log(`  B under attack, ${options.operation} alone again: ${brief(aloneAfter)}`);
  return {
    system: 'B',
    operation: options.operation,
    setup: options.setup,
    alone,
    aloneGatewayCpuPercent,
    timeBoundMs: maxMs,
    aloneAfter,
    aloneAfterGatewayCpuPercent,
    rows,
  };
}

export function describeOutcomes(a: AttackSummary): string {
  const parts = Object.entries(a.outcomes)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${v.toLocaleString('en')} ${k}`);
  if (a.unanswered) parts.push(`${a.unanswered.toLocaleString('en')} unanswered`);
  return parts.join(', ') || 'no answer';
}

function brief(cell: CellResult): string {
  return cell.ok
    ? `p50 ${cell.p50Ms} ms, p99 ${cell.p99Ms} ms, ${cell.rps} req/s (${cell.mode}, ${cell.requests} requests)${cell.error ? `; ${cell.error}` : ''}`
    : `FAILED: ${cell.error}`;
}
