/**
 * Container logs (`GET /api/v1/namespaces/NS/pods/NAME/log`) as kube-apiserver and the kubelet
 * serve them: the container chosen or refused as LogLocation does (pkg/registry/core/pod),
 * which run's log as the kubelet's validateContainerLogStatus picks it (the running one, the
 * last terminated one, `previous`), then tailLines, sinceSeconds/sinceTime, timestamps and
 * limitBytes as the CRI log reader applies them, and `follow` as a chunked stream that
 * writes lines as they are generated on the simulator's clock and ends when the container
 * stops or the pod goes.
 *
 * Nothing is stored. A run's log is a function of (pod uid, container, restart count): time is
 * cut into one-second blocks and block k's lines — how many, when within the second, what
 * they say — are drawn from a PRNG seeded by (run, k). So any window is produced on demand
 * (a tail walks blocks backwards from now) for 100,000 pods as cheaply as for one. The log
 * kept is the last hour of the run, as if the kubelet rotated older lines away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendStatus, writeChunk } from './http.js';
import type { TimeoutClock } from './job-controller.js';
import { ParameterError, queryBool, queryInt } from './options.js';
import { mulberry32, type RandomFn } from './scenario/random.js';
import type { SimStore } from './store.js';
import type { KubeObject, StoredEvent } from './types.js';
import { hashSeed } from './usage-model.js';

type Json = Record<string, unknown>;

/** How much of a run's log is kept (older lines are rotated away). */
export const LOG_RETENTION_MS = 60 * 60 * 1000;

/** One line of a container's log: when it was written (ms, plus ns within the ms) and its text. */
export interface LogLine {
  ms: number;
  nanos: number;
  text: string;
}

/** One run of a container: its log's seed and the span it was written in. */
export interface LogRun {
  seed: number;
  startMs: number;
  /** When the run ended; undefined while it runs (its log grows up to now). */
  endMs?: number;
}

type Flavor = 'access' | 'json' | 'java' | 'klog';
const FLAVORS: Flavor[] = ['access', 'json', 'java', 'klog'];

const PATHS = [
  '/api/v1/orders',
  '/api/v1/users/42',
  '/healthz',
  '/metrics',
  '/api/v2/search?q=shoes',
  '/login',
  '/static/app.js',
  '/api/v1/cart',
];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];
const STATUSES = [200, 200, 200, 200, 201, 204, 304, 400, 404, 500, 503];
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64)',
  'kube-probe/1.31',
  'curl/8.5.0',
  'Go-http-client/1.1',
  'python-requests/2.32.3',
];
const MESSAGES = [
  'request completed',
  'cache miss, loading from database',
  'connection pool stats',
  'scheduled job finished',
  'retrying upstream call',
  'user session refreshed',
  'published event to queue',
  'slow query detected',
];
const LEVELS = ['info', 'info', 'info', 'info', 'debug', 'warn', 'error'];
const JAVA_CLASSES = [
  'c.e.orders.OrderService',
  'c.e.payments.PaymentClient',
  'o.s.web.servlet.DispatcherServlet',
  'c.e.cache.RedisCache',
  'c.z.hikari.HikariPool',
];
const EXCEPTIONS = [
  'java.lang.IllegalStateException: order 1234 is already closed',
  'java.net.SocketTimeoutException: Read timed out',
  'org.springframework.dao.DataAccessResourceFailureException: Unable to acquire JDBC Connection',
  'java.lang.NullPointerException: Cannot invoke "String.length()" because "name" is null',
];
const FRAMES = [
  'com.example.orders.OrderService.close(OrderService.java:118)',
  'com.example.orders.OrderController.closeOrder(OrderController.java:57)',
  'org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)',
  'jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)',
  'org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:166)',
  'org.apache.tomcat.util.net.NioEndpoint$SocketProcessor.doRun(NioEndpoint.java:1744)',
  'java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1144)',
  'java.base/java.lang.Thread.run(Thread.java:1583)',
];
const GO_FILES = ['controller.go:214', 'reconcile.go:88', 'server.go:311', 'cache.go:57', 'leader.go:120'];

const pick = <T>(random: RandomFn, items: readonly T[]): T => items[Math.floor(random() * items.length)];

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The flavor of a container's log: fixed by its identity (and hinted by its image). */
export function flavorOf(seed: number, image = ''): Flavor {
  if (/nginx|envoy|haproxy|ingress/.test(image)) return 'access';
  if (/java|jvm|spring|kafka|elasticsearch|keycloak/.test(image)) return 'java';
  return FLAVORS[seed % FLAVORS.length];
}

/** The seed of a run: (pod uid, container, restart count). */
export function runSeed(podUid: string, container: string, restart: number): number {
  return hashSeed(`${podUid}/${container}/${restart}`);
}

function ip(random: RandomFn): string {
  return `10.${Math.floor(random() * 255)}.${Math.floor(random() * 255)}.${1 + Math.floor(random() * 253)}`;
}

/** One entry's lines (a stack trace is several), drawn from the block's PRNG. */
function entryLines(random: RandomFn, flavor: Flavor, at: Date): string[] {
  const big = random() < 0.006;
  if (big) {
    // Now and then a multi-KB line: a dumped request or config blob.
    const size = 2048 + Math.floor(random() * 6144);
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
    let payload = '';
    const r = Math.floor(random() * 1e9);
    for (let i = 0; i < size; i++) payload += alphabet[(r + i * 7919) % alphabet.length];
    return [
      `{"level":"debug","ts":"${at.toISOString()}","msg":"request body dump","bytes":${size},"body":"${payload}"}`,
    ];
  }
  switch (flavor) {
    case 'access': {
      const d = at.toUTCString().split(' ');
      const time = `${d[1]}/${d[2]}/${d[3]}:${d[4]} +0000`;
      const status = pick(random, STATUSES);
      return [
        `${ip(random)} - - [${time}] "${pick(random, METHODS)} ${pick(random, PATHS)} HTTP/1.1" ${status} ${Math.floor(random() * 20000)} "-" "${pick(random, AGENTS)}" ${(random() * 0.8).toFixed(3)}`,
      ];
    }
    case 'json': {
      const level = pick(random, LEVELS);
      return [
        `{"level":"${level}","ts":"${at.toISOString()}","logger":"app","msg":"${pick(random, MESSAGES)}","trace_id":"${Math.floor(
          random() * 2 ** 32,
        )
          .toString(16)
          .padStart(8, '0')}","duration_ms":${Math.floor(random() * 900)}}`,
      ];
    }
    case 'java': {
      const time = `${at.toISOString().slice(0, 10)} ${at.toISOString().slice(11, 23)}`;
      const thread = `http-nio-8080-exec-${1 + Math.floor(random() * 10)}`;
      if (random() < 0.04) {
        const frames = 3 + Math.floor(random() * (FRAMES.length - 3));
        return [
          `${time} ERROR 1 --- [${thread}] ${pick(random, JAVA_CLASSES)} : request failed`,
          pick(random, EXCEPTIONS),
          ...FRAMES.slice(0, frames).map((f) => `\tat ${f}`),
          `\t... ${10 + Math.floor(random() * 60)} common frames omitted`,
        ];
      }
      const level = pick(random, ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN']);
      return [
        `${time} ${level.padStart(5)} 1 --- [${thread}] ${pick(random, JAVA_CLASSES)} : ${pick(random, MESSAGES)}`,
      ];
    }
    case 'klog': {
      const level = pick(random, ['I', 'I', 'I', 'W', 'E']);
      const t = `${pad(at.getUTCMonth() + 1)}${pad(at.getUTCDate())} ${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}000`;
      return [
        `${level}${t}       1 ${pick(random, GO_FILES)}] "${pick(random, MESSAGES)}" key="default/app-${Math.floor(random() * 100)}" duration="${Math.floor(random() * 500)}ms"`,
      ];
    }
  }
}

/** Block `second`'s lines (epoch seconds) of a run, in time order. */
export function blockLines(seed: number, flavor: Flavor, second: number): LogLine[] {
  const random = mulberry32(hashSeed(`${seed}#${second}`));
  const roll = random();
  // A few lines a second, now and then a burst (a retry storm, a batch finishing).
  const entries =
    roll < 0.015
      ? 15 + Math.floor(random() * 40)
      : roll < 0.2
        ? 0
        : roll < 0.5
          ? 1
          : roll < 0.7
            ? 2
            : roll < 0.85
              ? 3
              : 4 + Math.floor(random() * 3);
  const at: { ms: number; nanos: number }[] = [];
  for (let i = 0; i < entries; i++)
    at.push({ ms: second * 1000 + Math.floor(random() * 1000), nanos: Math.floor(random() * 1e6) });
  at.sort((a, b) => a.ms - b.ms || a.nanos - b.nanos);
  const lines: LogLine[] = [];
  for (const t of at) {
    for (const text of entryLines(random, flavor, new Date(t.ms)))
      lines.push({ ms: t.ms, nanos: t.nanos, text });
  }
  return lines;
}

/** Whether a line was written at or before `ms` (lines of the same ms count as written). */
const upTo = (line: LogLine, ms: number) => line.ms <= ms;

/** The run's lines written in [fromMs, toMs], oldest first (toMs inclusive, to the ms). */
export function linesBetween(run: LogRun, flavor: Flavor, fromMs: number, toMs: number): LogLine[] {
  const out: LogLine[] = [];
  for (let s = Math.floor(fromMs / 1000); s <= Math.floor(toMs / 1000); s++) {
    for (const line of blockLines(run.seed, flavor, s))
      if (line.ms >= fromMs && upTo(line, toMs)) out.push(line);
  }
  return out;
}

/** The last `n` lines written in [fromMs, toMs], oldest first: blocks are walked backwards. */
export function lastLines(run: LogRun, flavor: Flavor, n: number, fromMs: number, toMs: number): LogLine[] {
  const out: LogLine[][] = [];
  let count = 0;
  for (let s = Math.floor(toMs / 1000); s >= Math.floor(fromMs / 1000) && count < n; s--) {
    const block = blockLines(run.seed, flavor, s).filter((l) => l.ms >= fromMs && upTo(l, toMs));
    out.push(block);
    count += block.length;
  }
  return out
    .reverse()
    .flat()
    .slice(Math.max(0, count - n));
}

/** RFC3339Nano as Go prints it: trailing zeros of the fraction dropped, no fraction when it is 0. */
export function rfc3339Nano(line: { ms: number; nanos: number }): string {
  const iso = new Date(line.ms).toISOString();
  const fraction = `${iso.slice(20, 23)}${String(line.nanos).padStart(6, '0')}`.replace(/0+$/, '');
  return `${iso.slice(0, 19)}${fraction ? `.${fraction}` : ''}Z`;
}

function render(line: LogLine, timestamps: boolean): string {
  return timestamps ? `${rfc3339Nano(line)} ${line.text}\n` : `${line.text}\n`;
}

/** What a log request asked, decoded as kube-apiserver decodes PodLogOptions. */
export interface PodLogOptions {
  container?: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  sinceTime?: number;
  limitBytes?: number;
}

class Invalid extends Error {}

function parseOptions(query: URLSearchParams): PodLogOptions {
  const sinceTimeText = query.get('sinceTime');
  let sinceTime: number | undefined;
  if (sinceTimeText !== null) {
    sinceTime = Date.parse(sinceTimeText);
    if (
      !/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTimeText) ||
      Number.isNaN(sinceTime)
    )
      throw new ParameterError(
        `sinceTime: expected an RFC 3339 time such as 2024-01-02T15:04:05Z, received ${JSON.stringify(sinceTimeText)}`,
      );
  }
  const options: PodLogOptions = {
    container: query.get('container') ?? undefined,
    follow: queryBool(query, 'follow') ?? false,
    previous: queryBool(query, 'previous') ?? false,
    timestamps: queryBool(query, 'timestamps') ?? false,
    tailLines: queryInt(query, 'tailLines'),
    sinceSeconds: queryInt(query, 'sinceSeconds'),
    sinceTime,
    limitBytes: queryInt(query, 'limitBytes'),
  };
  // validation.ValidatePodLogOptions, same messages.
  const errors: string[] = [];
  if (options.tailLines !== undefined && options.tailLines < 0)
    errors.push(`tailLines: Invalid value: ${options.tailLines}: must be greater than or equal to 0`);
  if (options.limitBytes !== undefined && options.limitBytes < 1)
    errors.push(`limitBytes: Invalid value: ${options.limitBytes}: must be greater than 0`);
  if (options.sinceSeconds !== undefined && options.sinceTime !== undefined)
    errors.push('sinceSeconds: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  else if (options.sinceSeconds !== undefined && options.sinceSeconds < 1)
    errors.push(`sinceSeconds: Invalid value: ${options.sinceSeconds}: must be greater than 0`);
  if (errors.length) throw new Invalid(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  return options;
}

/** The clock log streams follow. */
export interface LogClock extends TimeoutClock {
  now(): number;
}

export interface LogContext {
  store: SimStore;
  clock: LogClock;
}

/** What the request names: `/api/v1/namespaces/NS/pods/NAME/log`. */
export function parsePodLogPath(path: string): { namespace: string; name: string } | undefined {
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/.exec(path);
  return m ? { namespace: decodeURIComponent(m[1]), name: decodeURIComponent(m[2]) } : undefined;
}

class LogError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly reason: string,
  ) {
    super(message);
  }
}

const bad = (message: string) => new LogError(400, message, 'BadRequest');

/** LogLocation: the container asked for, or the only one; refusals as kube-apiserver words them. */
function chooseContainer(pod: KubeObject, asked: string | undefined): string {
  const name = pod.metadata.name;
  const containers = ((pod.spec?.containers ?? []) as Json[]).map((c) => c.name as string);
  const inits = ((pod.spec?.initContainers ?? []) as Json[]).map((c) => c.name as string);
  if (!asked) {
    if (containers.length === 1) return containers[0];
    if (containers.length === 0) throw bad(`a container name must be specified for pod ${name}`);
    let message = `a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`;
    if (inits.length) message += ` or one of the init containers: [${inits.join(' ')}]`;
    throw bad(message);
  }
  if (!containers.includes(asked) && !inits.includes(asked))
    throw bad(`container ${asked} is not valid for pod ${name}`);
  return asked;
}

function statusOf(pod: KubeObject, container: string): Json | undefined {
  const all = [
    ...((pod.status?.containerStatuses ?? []) as Json[]),
    ...((pod.status?.initContainerStatuses ?? []) as Json[]),
  ];
  return all.find((s) => s.name === container);
}

/**
 * The last instant of a container's `finishedAt`: the API stamps it in whole seconds while
 * its log lines have nanoseconds, so a finished run's log holds every line of that second.
 * The follow of a running container ends at the same instant when it stops, so a follow and
 * a read of the finished log give the same lines (the follow may write lines up to a second
 * ahead of the clock once the container has stopped: they were its last).
 */
const endOf = (text: unknown): number | undefined => {
  const ms = timeOf(text);
  return ms === undefined || /\.\d/.test(String(text)) ? ms : ms + 999;
};

const timeOf = (text: unknown): number | undefined => {
  const ms = typeof text === 'string' ? Date.parse(text) : Number.NaN;
  return Number.isNaN(ms) ? undefined : ms;
};

/** The run a request reads, by the kubelet's validateContainerLogStatus; `live` while it still writes. */
export function runOf(
  pod: KubeObject,
  container: string,
  previous: boolean,
): { run: LogRun; live: boolean; key: string } {
  const podName = pod.metadata.name;
  const status = statusOf(pod, container);
  const state = (status?.state ?? {}) as Json;
  const last = ((status?.lastState ?? {}) as Json).terminated as Json | undefined;
  const restarts = Number(status?.restartCount ?? 0);
  const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${podName}`;
  const ended = (t: Json, restart: number, key: string) => {
    const startMs = timeOf(t.startedAt) ?? 0;
    return {
      run: { seed: runSeed(uid, container, restart), startMs, endMs: endOf(t.finishedAt) ?? startMs },
      live: false,
      key,
    };
  };
  if (previous) {
    if (!last?.containerID)
      throw bad(`previous terminated container "${container}" in pod "${podName}" not found`);
    return ended(last, Math.max(0, restarts - 1), String(last.containerID));
  }
  const running = state.running as Json | undefined;
  const terminated = state.terminated as Json | undefined;
  const waiting = state.waiting as Json | undefined;
  if (running) {
    const startMs = timeOf(running.startedAt) ?? 0;
    return {
      run: { seed: runSeed(uid, container, restarts), startMs },
      live: true,
      key: String(status?.containerID ?? startMs),
    };
  }
  if (terminated) {
    if (terminated.containerID) return ended(terminated, restarts, String(terminated.containerID));
    if (last?.containerID) return ended(last, Math.max(0, restarts - 1), String(last.containerID));
    throw bad(`container "${container}" in pod "${podName}" is terminated`);
  }
  if (last) {
    if (!last.containerID) throw bad(`container "${container}" in pod "${podName}" is terminated`);
    return ended(last, Math.max(0, restarts - 1), String(last.containerID));
  }
  const reason = String(waiting?.reason ?? 'ContainerCreating');
  const why =
    reason === 'ErrImagePull'
      ? "image can't be pulled"
      : reason === 'ImagePullBackOff'
        ? 'trying and failing to pull image'
        : reason;
  throw bad(`container "${container}" in pod "${podName}" is waiting to start: ${why}`);
}

function imageOf(pod: KubeObject, container: string): string {
  const all = [...((pod.spec?.containers ?? []) as Json[]), ...((pod.spec?.initContainers ?? []) as Json[])];
  return String(all.find((c) => c.name === container)?.image ?? '');
}

/** Writes up to the byte limit; false once it is reached (the LimitWriter cuts mid-line). */
class LimitedWriter {
  written = 0;
  constructor(
    private readonly res: ServerResponse,
    private readonly limit: number | undefined,
  ) {}

  get full(): boolean {
    return this.limit !== undefined && this.written >= this.limit;
  }

  async write(text: string): Promise<boolean> {
    if (this.full || this.res.writableEnded) return false;
    let chunk = text;
    if (this.limit !== undefined) {
      const left = this.limit - this.written;
      const bytes = Buffer.from(text);
      if (bytes.length > left) chunk = bytes.subarray(0, left).toString();
    }
    if (!chunk) return !this.full;
    this.written += Buffer.byteLength(chunk);
    const ok = await writeChunk(this.res, chunk);
    return ok && !this.full;
  }
}

/** Answers one log request; returns the bytes of the body sent. */
export async function servePodLog(
  ctx: LogContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: { namespace: string; name: string },
  query: URLSearchParams,
): Promise<number> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendStatus(
      res,
      405,
      `${req.method} is not supported on pods/log: only get is`,
      'MethodNotAllowed',
    );
  }
  let options: PodLogOptions;
  let container: string;
  let chosen: ReturnType<typeof runOf>;
  let pod: KubeObject | undefined;
  try {
    options = parseOptions(query);
    pod = ctx.store.get('pods', target.namespace, target.name);
    if (!pod) throw new LogError(404, `pods "${target.name}" not found`, 'NotFound');
    container = chooseContainer(pod, options.container);
    if (!pod.spec?.nodeName) throw bad(`pod ${target.name} does not have a host assigned`);
    chosen = runOf(pod, container, options.previous);
  } catch (err) {
    if (err instanceof LogError)
      return sendStatus(
        res,
        err.code,
        err.message,
        err.reason,
        err.code === 404 ? { name: target.name, kind: 'pods' } : undefined,
      );
    if (err instanceof ParameterError) return sendStatus(res, 400, err.message, 'BadRequest');
    if (err instanceof Invalid)
      return sendStatus(res, 422, `PodLogOptions "${target.name}" is invalid: ${err.message}`, 'Invalid', {
        name: target.name,
        kind: 'PodLogOptions',
      });
    throw err;
  }

  const { run, live } = chosen;
  const flavor = flavorOf(run.seed, imageOf(pod, container));
  const now = ctx.clock.now();
  const end = run.endMs ?? now;
  let from = Math.max(run.startMs, end - LOG_RETENTION_MS);
  const since =
    options.sinceTime ?? (options.sinceSeconds !== undefined ? now - options.sinceSeconds * 1000 : undefined);
  let lines =
    options.tailLines !== undefined
      ? lastLines(run, flavor, options.tailLines, from, end)
      : linesBetween(run, flavor, from, end);
  if (since !== undefined) lines = lines.filter((l) => l.ms >= since);
  from = end;

  res.writeHead(200, {
    'Content-Type': 'text/plain',
    ...(options.follow && live ? { 'Transfer-Encoding': 'chunked' } : {}),
  });
  const out = new LimitedWriter(res, options.limitBytes);
  for (let i = 0; i < lines.length; i += 200) {
    const text = lines
      .slice(i, i + 200)
      .map((l) => render(l, options.timestamps))
      .join('');
    if (!(await out.write(text))) break;
  }
  if (!options.follow || !live || out.full || res.destroyed) {
    res.end();
    return out.written;
  }
  await follow(ctx, res, out, {
    pod,
    container,
    run,
    flavor,
    key: chosen.key,
    timestamps: options.timestamps,
    cursor: end,
  });
  return out.written;
}

/**
 * `follow`: after what was there, each new line as the clock reaches its time; ends when the
 * container stops (after its last lines), when the pod is deleted, when the byte limit is
 * reached, or when the client goes away.
 */
function follow(
  ctx: LogContext,
  res: ServerResponse,
  out: LimitedWriter,
  s: {
    pod: KubeObject;
    container: string;
    run: LogRun;
    flavor: Flavor;
    key: string;
    timestamps: boolean;
    cursor: number;
  },
): Promise<void> {
  return new Promise((resolve) => {
    let cursor = s.cursor;
    let timer: unknown;
    let done = false;
    /** The container ended: its last lines are written, then the end; nothing more is scheduled. */
    let stopping = false;
    let writing = Promise.resolve(true);
    const uid = s.pod.metadata.uid;
    const finish = () => {
      if (done) return;
      done = true;
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      unsubscribe();
      res.off('close', finish);
      // Lines already being written go out first (the container's last ones), then the end.
      writing.then(() => {
        if (!res.destroyed && !res.writableEnded) res.end();
        resolve();
      });
    };
    /** Writes the lines in (cursor, until]. */
    const flush = (until: number) => {
      // Never back: a container's finishedAt can be before lines already written (stamped by
      // another clock), and moving the cursor back would write those lines again.
      if (until <= cursor) return;
      const lines = linesBetween(s.run, s.flavor, cursor + 1, until);
      cursor = until;
      if (lines.length === 0) return;
      const text = lines.map((l) => render(l, s.timestamps)).join('');
      writing = writing.then((ok) => (ok ? out.write(text) : false));
      writing.then((ok) => {
        if (!ok) finish();
      });
    };
    const schedule = () => {
      if (done || stopping) return;
      // The next line's time: walk the blocks ahead (most seconds have one).
      let next: number | undefined;
      for (
        let sec = Math.floor((cursor + 1) / 1000);
        next === undefined && sec < Math.floor(cursor / 1000) + 600;
        sec++
      ) {
        next = blockLines(s.run.seed, s.flavor, sec).find((l) => l.ms > cursor)?.ms;
      }
      const due = next ?? cursor + 600_000;
      timer = ctx.clock.setTimeout(
        () => {
          timer = undefined;
          flush(Math.max(due, ctx.clock.now()));
          schedule();
        },
        Math.max(0, due - ctx.clock.now()),
      );
    };
    const unsubscribe = ctx.store.subscribe('pods', (event: StoredEvent) => {
      const obj = event.object;
      if (obj.metadata.uid !== uid) return;
      if (event.type === 'DELETED') {
        finish();
        return;
      }
      const status = statusOf(obj, s.container);
      const running = ((status?.state ?? {}) as Json).running as Json | undefined;
      const key = String(status?.containerID ?? timeOf(running?.startedAt) ?? '');
      if (running && key === s.key) return;
      // The container stopped (or was restarted): its last lines, then the end. No timer
      // may write after them while the end waits for the writes.
      const terminated = ((status?.state ?? {}) as Json).terminated as Json | undefined;
      flush(terminated ? (endOf(terminated.finishedAt) ?? ctx.clock.now()) : ctx.clock.now());
      if (timer !== undefined) ctx.clock.clearTimeout(timer);
      timer = undefined;
      stopping = true;
      writing.then(finish);
    });
    res.on('close', finish);
    schedule();
  });
}
