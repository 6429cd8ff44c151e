/**
 * Container logs of one cluster, read straight from the API server (never cached):
 * one-shot reads bounded in bytes, and follow streams shared by every identical subscriber.
 *
 * - Every request asks `timestamps=true`, so each line arrives as "RFC3339Nano SP text";
 *   the timestamp is parsed off and the text is what `kubectl logs` prints.
 * - The body is read incrementally and split into lines as it comes (a line may span
 *   chunks, and some are several KB); nothing waits for the whole body.
 * - A follow stream is keyed by (namespace, pod, container, options): the first subscriber
 *   opens the upstream request, later ones join it (reference counted) and get the stream's
 *   recent lines as their start, which are what a request of their own would have sent
 *   (see `replay`). Lines are handed to every listener synchronously; listeners queue
 *   them (bounded) themselves, so a slow one never delays the others or the upstream read.
 * - The upstream end (the container stopped, the pod is gone) ends every listener; the last
 *   listener leaving aborts the upstream request; a failure ends them with the error (an
 *   ApiHttpError or the network's, which `upstreamFailure` classifies).
 * - Open upstream follow streams are bounded per cluster (`maxStreams`): one more is
 *   refused with LogStreamLimitError; joining an open one always succeeds.
 *
 * Who may read which pod's logs is the loaders' decision: requests go with the gateway's
 * own credentials, so one stream can serve callers with equal rights and different ones.
 */
import { HttpMethod, RequestContext } from '@kubernetes/client-node/dist/gen/http/http.js';
import { type Dispatcher, request as undiciRequest } from 'undici';
import { ApiHttpError, type ClusterClient, retryAfterOf } from './client.js';

/** One line of a container's log, naming where it came from (merged streams mix pods). */
export interface LogLine {
  /** When the container runtime wrote it, RFC 3339 with nanoseconds as the API server sent it. */
  readonly timestamp?: string;
  /** The line's text without its newline: what `kubectl logs` prints. */
  readonly text: string;
  readonly container: string;
  readonly pod: string;
  readonly namespace: string;
  readonly cluster: string;
}

export interface LogTarget {
  namespace: string;
  pod: string;
  container: string;
}

export interface ReadOptions {
  tailLines?: number;
  sinceSeconds?: number;
  previous?: boolean;
  /** Bytes of text (each line's text and newline, as `kubectl logs --limit-bytes` counts them). */
  limitBytes: number;
}

export interface LogRead {
  lines: LogLine[];
  /** The byte limit cut the log: there was more. */
  truncated: boolean;
}

export interface FollowOptions {
  tailLines?: number;
  sinceSeconds?: number;
}

/**
 * What a follow stream calls: the lines of each upstream chunk as one batch (the same frozen
 * array and line objects for every listener), then its end once (with the error that ended
 * it, if any). Batches keep a burst of lines from costing a queue slot per line.
 */
export interface LogListener {
  lines(batch: readonly LogLine[]): void;
  end(error?: unknown): void;
}

export interface LogFollow {
  /**
   * The lines the listener started with (the stream's recent lines when it joined an open
   * one), already handed to it as its first batch.
   */
  replay: readonly LogLine[];
  /** Leaves the stream (idempotent); the last one to leave aborts the upstream request. */
  leave(): void;
}

/** One more upstream follow stream than a cluster (or a principal, in the loaders) may hold. */
export class LogStreamLimitError extends Error {
  constructor(
    readonly scope: 'cluster' | 'principal',
    readonly limit: number,
  ) {
    super(`${limit} log streams are open (${scope}); no more may open`);
  }
}

export interface ClusterLogsOptions {
  /** The cluster's name, which every line carries. */
  cluster: string;
  /** Open upstream follow streams of this cluster at most (joining an open one is free). */
  maxStreams: number;
  /** The most bytes of recent lines a follow stream keeps for those who join it later. */
  replayBytes: number;
  /** "Now" for sinceSeconds when a subscriber joins an open stream. */
  now: () => number;
}

const TIMESTAMPED = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?(?:Z|[+-]\d\d:\d\d)) /;

/** Where a line came from. */
type Origin = Pick<LogLine, 'container' | 'pod' | 'namespace' | 'cluster'>;

/** A line as the API server sends it with timestamps=true: its timestamp parsed off. */
export function parseLogLine(raw: string, origin: Origin): LogLine {
  const match = TIMESTAMPED.exec(raw);
  if (!match) return Object.freeze({ text: raw, ...origin });
  return Object.freeze({ timestamp: match[1], text: raw.slice(match[0].length), ...origin });
}

/** Milliseconds of an RFC 3339 timestamp with up to nine fractional digits. */
export function timestampMillis(timestamp: string): number {
  // Date.parse takes at most milliseconds reliably: drop the rest of the fraction.
  return Date.parse(timestamp.replace(/(\.\d{3})\d+/, '$1'));
}

/**
 * Splits a body into lines as its chunks come: a line may span chunks; the last one may
 * come without a newline (a cut body). `onLine` returns false to stop reading; `onChunk`
 * runs after each chunk's lines.
 */
async function readLines(
  body: AsyncIterable<Uint8Array>,
  onLine: (raw: string) => boolean,
  onChunk?: () => void,
): Promise<boolean> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of body) {
    pending += decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let newline = pending.indexOf('\n'); newline >= 0; newline = pending.indexOf('\n', start)) {
      const keepGoing = onLine(pending.slice(start, newline));
      start = newline + 1;
      if (!keepGoing) return false;
    }
    pending = pending.slice(start);
    onChunk?.();
  }
  pending += decoder.decode();
  const more = pending ? onLine(pending) : true;
  onChunk?.();
  return more;
}

function logPath(target: LogTarget): string {
  return `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/pods/${encodeURIComponent(target.pod)}/log`;
}

/** The identity of a follow stream: subscribers with equal keys share one upstream request. */
export function followKey(target: LogTarget, options: FollowOptions): string {
  return JSON.stringify([
    target.namespace,
    target.pod,
    target.container,
    options.tailLines ?? null,
    options.sinceSeconds ?? null,
  ]);
}

const byteLength = (text: string) => Buffer.byteLength(text);

/** A follow stream several subscribers share. */
class SharedStream {
  readonly listeners = new Set<LogListener>();
  /** The most recent lines, for those who join later (bounded by count and bytes). */
  readonly recent: LogLine[] = [];
  recentBytes = 0;
  ended = false;
  readonly abort = new AbortController();
  opened!: Promise<void>;

  constructor(
    readonly key: string,
    readonly target: LogTarget,
    readonly options: FollowOptions,
    private readonly replayBytes: number,
  ) {}

  /** Lines of the chunk being read, delivered together at its end. */
  #batch: LogLine[] = [];

  push(line: LogLine): void {
    this.#batch.push(line);
    this.recent.push(line);
    this.recentBytes += byteLength(line.text) + 1;
    const keep = this.options.tailLines;
    while (
      this.recent.length > 0 &&
      ((keep !== undefined && this.recent.length > keep) || this.recentBytes > this.replayBytes)
    ) {
      const dropped = this.recent.shift() as LogLine;
      this.recentBytes -= byteLength(dropped.text) + 1;
    }
  }

  /** Hands the chunk's lines to every listener, one shared frozen batch. */
  flush(): void {
    if (this.#batch.length === 0) return;
    const batch = Object.freeze(this.#batch);
    this.#batch = [];
    // A listener that leaves during delivery (cut off as a slow consumer) is skipped by the Set.
    for (const listener of this.listeners) listener.lines(batch);
  }

  /**
   * What a subscriber joining now would have been sent by a request of its own: the last
   * `tailLines` lines, those of the last `sinceSeconds`. The stream has seen every line
   * since it opened, so its recent lines are the log's end (up to `replayBytes`).
   */
  replay(nowMs: number): LogLine[] {
    const since = this.options.sinceSeconds;
    if (since === undefined) return [...this.recent];
    const from = nowMs - since * 1000;
    return this.recent.filter((l) => l.timestamp === undefined || timestampMillis(l.timestamp) >= from);
  }

  finish(error?: unknown): void {
    if (this.ended) return;
    this.flush();
    this.ended = true;
    for (const listener of [...this.listeners]) listener.end(error);
    this.listeners.clear();
  }
}

export class ClusterLogs {
  readonly #streams = new Map<string, SharedStream>();

  constructor(
    private readonly client: ClusterClient,
    private readonly options: ClusterLogsOptions,
  ) {}

  /** Upstream follow streams open now. */
  get openStreams(): number {
    return this.#streams.size;
  }

  /** Subscribers of the follow streams open now. */
  get followers(): number {
    let n = 0;
    for (const s of this.#streams.values()) n += s.listeners.size;
    return n;
  }

  /**
   * One read of a container's log, up to `limitBytes` of text: the line that crosses the
   * limit is cut at it (as the kubelet cuts), `truncated` says so, and the rest of the body
   * is not read. Rejects with ApiHttpError for an answer other than 200 (a missing pod, a
   * container that is not there or has not started), or with the network's error.
   */
  async read(target: LogTarget, options: ReadOptions): Promise<LogRead> {
    const response = await this.#open(
      target,
      {
        tailLines: options.tailLines,
        sinceSeconds: options.sinceSeconds,
        previous: options.previous ? 'true' : undefined,
      },
      false,
    );
    const lines: LogLine[] = [];
    let bytes = 0;
    let truncated = false;
    try {
      await readLines(response.body, (raw) => {
        const line = parseLogLine(raw, this.#origin(target));
        const size = byteLength(line.text) + 1;
        if (bytes + size <= options.limitBytes) {
          lines.push(line);
          bytes += size;
          return true;
        }
        truncated = true;
        const left = options.limitBytes - bytes;
        // The newline counts: a cut line keeps `left` bytes of text, or left - 1 plus nothing.
        if (left > 0) {
          const text = Buffer.from(line.text)
            .subarray(0, left)
            .toString()
            .replace(/\uFFFD$/, '');
          if (text) lines.push(Object.freeze({ ...line, text }));
        }
        return false;
      });
    } finally {
      if (truncated) response.body.destroy();
    }
    return { lines, truncated };
  }

  /**
   * Joins the follow stream of (target, options), opening it when there is none. Resolves
   * once the upstream request answered 200 (at once when the stream is already open); rejects
   * with its failure (ApiHttpError, the network's), or LogStreamLimitError when a new stream
   * would be one too many. The listener gets every line after `replay`, then the end.
   */
  async follow(target: LogTarget, options: FollowOptions, listener: LogListener): Promise<LogFollow> {
    const key = followKey(target, options);
    let stream = this.#streams.get(key);
    if (!stream || stream.ended) {
      if (this.#streams.size >= this.options.maxStreams)
        throw new LogStreamLimitError('cluster', this.options.maxStreams);
      stream = this.#start(key, target, options);
    }
    const joined = stream;
    // Same synchronous step as joining: no line is missed or repeated between replay and live
    // lines, and the replay reaches the listener before any live batch.
    const replay = joined.replay(this.options.now());
    if (replay.length > 0) listener.lines(Object.freeze(replay));
    joined.listeners.add(listener);
    let left = false;
    const leave = () => {
      if (left) return;
      left = true;
      joined.listeners.delete(listener);
      if (joined.listeners.size === 0 && !joined.ended) {
        joined.ended = true;
        joined.abort.abort();
        if (this.#streams.get(joined.key) === joined) this.#streams.delete(joined.key);
      }
    };
    try {
      await joined.opened;
    } catch (err) {
      leave();
      throw err;
    }
    return { replay, leave };
  }

  #start(key: string, target: LogTarget, options: FollowOptions): SharedStream {
    const stream = new SharedStream(key, target, options, this.options.replayBytes);
    const origin = this.#origin(target);
    this.#streams.set(key, stream);
    const done = (error?: unknown) => {
      if (this.#streams.get(key) === stream) this.#streams.delete(key);
      stream.finish(error);
    };
    const response = this.#open(
      target,
      { tailLines: options.tailLines, sinceSeconds: options.sinceSeconds, follow: 'true' },
      true,
      stream.abort.signal,
    );
    stream.opened = response.then(
      () => undefined,
      (err) => {
        done(err);
        throw err;
      },
    );
    // The first joiner awaits `opened` and sees the rejection; nobody else must.
    stream.opened.catch(() => undefined);
    response.then(
      (res) =>
        readLines(
          res.body,
          (raw) => {
            if (stream.ended) return false;
            stream.push(parseLogLine(raw, origin));
            return true;
          },
          () => {
            if (!stream.ended) stream.flush();
          },
        ).then(
          () => done(),
          (err) => done(stream.abort.signal.aborted ? undefined : err),
        ),
      () => undefined,
    );
    return stream;
  }

  #origin(target: LogTarget): Origin {
    return {
      container: target.container,
      pod: target.pod,
      namespace: target.namespace,
      cluster: this.options.cluster,
    };
  }

  /** GET the pod's log with timestamps; the response when 200, else ApiHttpError with the Status body. */
  async #open(
    target: LogTarget,
    query: Record<string, string | number | undefined>,
    long: boolean,
    signal?: AbortSignal,
  ) {
    const config = this.client.config;
    const url = new URL(this.client.server + logPath(target));
    url.searchParams.set('container', target.container);
    url.searchParams.set('timestamps', 'true');
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await config.applySecurityAuthentication(ctx);
    // A follow holds its socket as long as the container runs: the watch pool, no body timeout.
    const dispatcher =
      (long ? await config.watchDispatcher() : await config.dispatcher()) ??
      (ctx.getDispatcher() as Dispatcher | undefined);
    const response = await undiciRequest(url, {
      method: 'GET',
      headers: { ...ctx.getHeaders(), Accept: 'text/plain, application/json' },
      ...(dispatcher ? { dispatcher } : {}),
      ...(signal ? { signal } : {}),
    });
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => '');
      throw new ApiHttpError(response.statusCode, text, retryAfterOf(response.headers));
    }
    return response;
  }
}
