/**
 * Hostile clients for the "honest client under attack" measurement (bench/lib/attack.ts),
 * one attack class per process, so the honest client's load generator does not share an
 * event loop with them (they do share the machine's cores with it and the gateway, as a
 * real attacker on the same host would).
 *
 *   npx tsx bench/attacker.ts --url http://127.0.0.1:PORT/graphql --class CLASS
 *     [--token T] [--cluster NAME] [--max-requests N] [--max-ms MS] [--concurrency N]
 *     [--subscriptions N]
 *
 * Every class is a bounded loop: it stops by itself after `--max-requests` requests or
 * `--max-ms` milliseconds, whichever comes first, or at SIGTERM; only loopback URLs are
 * accepted. It prints `attacker engaged` once the attack is under way (for `subscriptions`,
 * once every subscription was answered or refused), then, when it stops, one line
 * `attacker done {json}` with what was sent and how each request was answered.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ATTACK_CLASSES, type AttackClass, type AttackSummary } from './lib/attack-classes.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    class: { type: 'string' },
    token: { type: 'string' },
    cluster: { type: 'string', default: '' },
    'max-requests': { type: 'string', default: '20000' },
    'max-ms': { type: 'string', default: '60000' },
    concurrency: { type: 'string', default: '4' },
    subscriptions: { type: 'string', default: '250' },
  },
});

const url = new URL(values.url ?? '');
if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  throw new Error(`attacker: loopback only, received ${url.hostname}`);
const klass = values.class as AttackClass;
if (!ATTACK_CLASSES.includes(klass))
  throw new Error(`attacker: --class must be one of ${ATTACK_CLASSES.join(', ')}`);
const maxRequests = Number(values['max-requests']);
const maxMs = Math.min(Number(values['max-ms']), 600_000); // never longer than ten minutes
const concurrency = Math.max(1, Math.min(Number(values.concurrency), 32));
const cluster = values.cluster ?? '';
const auth: Record<string, string> = values.token ? { authorization: `Bearer ${values.token}` } : {};

const started = performance.now();
const cpuAtStart = process.cpuUsage();
const outcomes: Record<string, number> = {};
let sent = 0;
let unanswered = 0;
let bytesSent = 0;
let endedBy: AttackSummary['endedBy'] | undefined;
const stopping = new AbortController();
const end = (why: AttackSummary['endedBy']) => {
  endedBy ??= why;
  stopping.abort();
};
process.once('SIGTERM', () => end('stopped'));
process.once('SIGINT', () => end('stopped'));
const timer = setTimeout(() => end('time'), maxMs);

const count = (key: string) => {
  outcomes[key] = (outcomes[key] ?? 0) + 1;
};
const runId = randomBytes(3).toString('hex');

/** The POD_FIELDS of test/server/cost.test.ts: a page of 500 of these costs millions. */
const POD_FIELDS = `name namespace uid phase ready restarts reason message qosClass nodeName podIP hostIP createdAt startedAt
  labels { key value } annotations { key value } conditions { type status reason lastTransitionTime }
  containers { name image ready started restartCount state { state reason exitCode startedAt finishedAt }
    lastState { state reason exitCode } requests { cpuMillis memoryBytes } limits { cpuMillis memoryBytes } }
  events(first: 20) { totalCount edges { node { reason message type count lastSeen } } }`;

/** The i-th hostile request of the class: method, URL, headers, body. */
function request(i: number): {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
} {
  const json = { 'content-type': 'application/json' };
  switch (klass) {
    case 'unauthenticated': {
      // A distinct valid document of ~60 KB (under the 64 KB document limit), no token.
      const query = `{ clusters { name } } # ${runId}-${i} ${'x'.repeat(60_000)}`;
      return { method: 'POST', url: url.href, headers: json, body: JSON.stringify({ query }) };
    }
    case 'cost': {
      const query = `query($cluster: String!) { cluster(name: $cluster) { pods(first: 500) { edges { node { ${POD_FIELDS} } } } } }`;
      return {
        method: 'POST',
        url: url.href,
        headers: { ...json, ...auth },
        body: JSON.stringify({ query, variables: { cluster } }),
      };
    }
    case 'csrf': {
      // What a page of another origin can make a browser send: a simple GET, without a
      // token (a page cannot set one) and without the preflight header.
      const u = new URL(url);
      u.searchParams.set('query', `{ clusters { name } } # ${runId}-${i}`);
      return { method: 'GET', url: u.href, headers: {} };
    }
    case 'selectors': {
      // A distinct selector of ~3,900 characters (under the 4,096 limit): answer-memo pressure.
      const values = Array.from({ length: 330 }, (_, j) => `v${i}-${j}`)
        .join(',')
        .slice(0, 3_880);
      const selector = `app in (${values.slice(0, values.lastIndexOf(','))})`;
      const query = `query($cluster: String!, $s: String) { cluster(name: $cluster) { pods(labelSelector: $s) { totalCount } } }`;
      return {
        method: 'POST',
        url: url.href,
        headers: { ...json, ...auth },
        body: JSON.stringify({ query, variables: { cluster, s: selector } }),
      };
    }
    default:
      throw new Error(`no HTTP request for ${klass}`);
  }
}

function outcomeOf(status: number, text: string): string {
  try {
    const body = JSON.parse(text) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
    const code = body.errors?.[0]?.extensions?.code;
    if (code) return `${status} ${code}`;
    if (body.errors?.length) return `${status} error without code`;
    return `${status} ok`;
  } catch {
    return `${status} not JSON`;
  }
}

async function httpWorker(): Promise<void> {
  while (!stopping.signal.aborted) {
    if (sent >= maxRequests) {
      end('count');
      return;
    }
    const r = request(sent++);
    bytesSent += r.url.length + (r.body?.length ?? 0);
    try {
      const res = await fetch(r.url, {
        method: r.method,
        headers: r.headers,
        body: r.body,
        signal: stopping.signal,
      });
      count(outcomeOf(res.status, await res.text()));
    } catch {
      unanswered++;
    }
  }
}

async function subscriptionAttack(): Promise<{ eventsReceived: number; note: string }> {
  // One WebSocket, subscriptions up to and past the per-connection cap, each on every pod
  // event of the cluster (churn makes them all busy); held open until the attack stops.
  const wanted = Math.min(maxRequests, Number(values.subscriptions));
  const wsUrl = url.href.replace(/^http/, 'ws');
  const client = createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams: auth,
  });
  let eventsReceived = 0;
  let settled = 0;
  const disposers: (() => void)[] = [];
  let engaged = false;
  const engage = () => {
    if (engaged) return;
    engaged = true;
    process.stdout.write('attacker engaged\n');
  };
  for (let i = 0; i < wanted && !stopping.signal.aborted; i++) {
    sent++;
    const query = `subscription S${i}($cluster: String) { podEvents(cluster: $cluster) { type object { name } } }`;
    bytesSent += query.length;
    let first = true;
    disposers.push(
      client.subscribe(
        { query, variables: { cluster } },
        {
          next: () => {
            eventsReceived++;
            if (first) {
              first = false;
              count('accepted (events received)');
              if (++settled >= wanted) engage();
            }
          },
          error: (err) => {
            const code =
              (Array.isArray(err) ? (err[0] as { extensions?: { code?: string } }) : undefined)?.extensions
                ?.code ?? (err instanceof Error ? err.message.slice(0, 60) : 'error');
            count(`ws ${code}`);
            if (++settled >= wanted) engage();
          },
          complete: () => {},
        },
      ),
    );
  }
  // Accepted ones are known by their first event: at churn it comes within a second or so.
  setTimeout(engage, 5_000);
  await new Promise<void>((resolve) => {
    if (stopping.signal.aborted) resolve();
    else stopping.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  for (const d of disposers) d();
  await client.dispose();
  const quiet = wanted - Object.values(outcomes).reduce((a, b) => a + b, 0);
  if (quiet > 0) outcomes['accepted, no event yet'] = quiet;
  return { eventsReceived, note: `${wanted} subscriptions on one WebSocket` };
}

function cpuMsSinceStart(): number {
  const used = process.cpuUsage(cpuAtStart);
  return Math.round((used.user + used.system) / 1000);
}

let extra: { eventsReceived?: number; note?: string } = {};
if (klass === 'subscriptions') {
  extra = await subscriptionAttack();
} else {
  process.stdout.write('attacker engaged\n');
  await Promise.all(Array.from({ length: concurrency }, () => httpWorker()));
}
clearTimeout(timer);
const summary: AttackSummary = {
  class: klass,
  sent,
  outcomes,
  unanswered,
  bytesSent,
  elapsedMs: Math.round(performance.now() - started),
  cpuMs: cpuMsSinceStart(),
  endedBy: endedBy ?? 'stopped',
  ...extra,
};
process.stdout.write(`attacker done ${JSON.stringify(summary)}\n`);
process.exit(0);
