/**
 * Our own reflector (client-go's name for list-then-watch). client-node's ListWatch
 * keeps no indexes, applies no transform, ignores bookmarks and stops for good on
 * most errors; a gateway's cache must never stop. This one:
 * - lists in pages (`limit`, following `continue`), then watches from the list's
 *   resourceVersion with bookmarks and a jittered `timeoutSeconds`;
 * - resumes each new watch from the last resourceVersion seen (events and bookmarks);
 * - on 410 Expired relists and hands the full new state to the sink, which diffs it;
 * - on anything else (refused, reset, 5xx, 429 with Retry-After, malformed lines)
 *   retries with exponential backoff and jitter, reset after a healthy period;
 * - treats a watch that has delivered neither an event nor a bookmark for longer than
 *   `livenessMs` as dead (a hung API server keeps the socket open and sends nothing):
 *   it is stopped and retried through the same backoff, and the status says stale.
 */
import {
  ApiHttpError,
  type ClusterClient,
  MalformedWatchLineError,
  type RawListPage,
  WatchHttpError,
  WatchSilentError,
} from './client.js';
import { type Clock, systemClock } from './clock.js';
import type { KindName, KubeObjectOf } from './kinds.js';
import { ATTR_CLUSTER, ATTR_KIND, ATTR_NAMESPACE, detached, informerListSpan } from './tracing.js';

/** What a reflector feeds: the informer's store (and through it indexes, aggregates, hub). */
export interface ReflectorSink<K extends KindName> {
  /**
   * Optional: what each listed object becomes before replace() receives it, applied as
   * each page arrives. Without it a relist holds the whole untrimmed list until its last
   * page: for 100k pods about 2.2 GB of client-node objects (~22 KB each), where the
   * trimmed mirror is ~250 MB; with it, one page at a time.
   */
  prepare?(obj: KubeObjectOf<K>): KubeObjectOf<K>;
  /**
   * Optional: what each listed object becomes from its plain JSON (timestamps as strings).
   * With it, and a client with `listRaw`, lists never build client-node model objects:
   * they were most of a first sync's CPU (issue #16). Replaces prepare() for lists.
   */
  prepareRaw?(raw: Record<string, unknown>): KubeObjectOf<K>;
  /** The complete state after a (re)list, each item through prepare() if the sink has one; the sink reconciles by diff. */
  replace(items: KubeObjectOf<K>[], resourceVersion: string): void;
  /**
   * A watched change. `raw`: the object is the plain JSON it came as (the reflector asks
   * the client for that when the sink has `prepareRaw`), else a client-node model.
   */
  added(obj: KubeObjectOf<K> | Record<string, unknown>, raw?: boolean): void;
  modified(obj: KubeObjectOf<K> | Record<string, unknown>, raw?: boolean): void;
  deleted(obj: KubeObjectOf<K> | Record<string, unknown>, raw?: boolean): void;
}

/** Re-exported for importers that take the clock type from here (cluster.ts, informer.ts). */
export type { Clock } from './clock.js';

export interface ReflectorOptions<K extends KindName> {
  kind: K;
  /** The cluster's name, for traces. */
  cluster?: string;
  /** `listRaw` is used for lists when present and the sink has `prepareRaw`; `list` otherwise. */
  client: ReflectorClient;
  sink: ReflectorSink<K>;
  /** Restrict to one namespace (default: cluster-wide). */
  namespace?: string;
  /** Page size of the initial list. Default 500, as kubectl and client-go. */
  pageSize?: number;
  /** Watch timeoutSeconds is drawn from [min, max] so that many watches do not end together. */
  watchTimeoutSeconds?: { min: number; max: number };
  backoff?: { initialMs?: number; maxMs?: number; resetAfterMs?: number };
  /**
   * A watch that has delivered neither an event nor a BOOKMARK for this long is dead: it is
   * stopped and restarted through the backoff, and the status is stale from then until a
   * watch opens again. Default 90 s: an API server's watch cache sends a bookmark to every
   * watcher about once a minute, so a healthy watch is never silent that long. 0 turns
   * the check off.
   */
  livenessMs?: number;
  /**
   * How long a watch may be down (between watches, relisting, backing off) before the
   * status says stale. Default 10 s: a watch's routine restart (its timeout) takes
   * milliseconds and must not flap readiness.
   */
  staleAfterDisconnectMs?: number;
  clock?: Clock;
  /** Told about every failure, for logs. Never receives credentials (errors carry codes and Status text). */
  onError?: (err: unknown) => void;
  /**
   * Told once when a failing episode ends, i.e. when a watch opens after one or more failures
   * (and relists): how many failures it had and how long it lasted on the clock. With
   * `onError` it lets a log say an outage once and its end once, not once per retry.
   */
  onRecovered?: (episode: { failures: number; durationMs: number }) => void;
}

/** The calls a reflector makes. */
export type ReflectorClient = Pick<ClusterClient, 'list' | 'watch'> & Partial<Pick<ClusterClient, 'listRaw'>>;

/** A page as both list paths give it. */
type Page<T> = { items: T[]; resourceVersion: string; continueToken?: string };

export interface ReflectorStatus {
  synced: boolean;
  lastSyncAt?: Date;
  lastEventAt?: Date;
  resourceVersion: string;
  relists: number;
  watchRestarts: number;
  /**
   * Failed attempts since the reflector started: a LIST or a watch that errored (the network,
   * an HTTP error, a watch ERROR event, a silent watch), each retried through the backoff. A
   * 410 Expired counts too: it is recorded as lastError and ends in a relist.
   */
  failures: number;
  lastError?: string;
  lastErrorAt?: Date;
  /** Whether a watch stream is open right now. */
  connected: boolean;
  /**
   * The cache may be behind the server: nothing heard for longer than the liveness interval
   * (a silent watch, or none at all), or without a watch for longer than
   * `staleAfterDisconnectMs`.
   */
  stale: boolean;
  /** When stale: how long since the cache was last known current (a watch opened, an event, a bookmark, a list). */
  staleForMs?: number;
}

/** The fields the loop keeps; `stale` and `staleForMs` are derived from them and the clock when read. */
type ReflectorState = Omit<ReflectorStatus, 'stale' | 'staleForMs'>;

class ExpiredError extends Error {}

export class Reflector<K extends KindName> {
  private readonly opts: Required<
    Omit<
      ReflectorOptions<K>,
      | 'cluster'
      | 'namespace'
      | 'onError'
      | 'onRecovered'
      | 'backoff'
      | 'livenessMs'
      | 'staleAfterDisconnectMs'
    >
  > &
    Pick<ReflectorOptions<K>, 'cluster' | 'namespace' | 'onError' | 'onRecovered'>;
  private readonly backoff: { initialMs: number; maxMs: number; resetAfterMs: number };
  private readonly livenessMs: number;
  private readonly staleAfterDisconnectMs: number;
  /** The last time the cache was known current: a list completed, a watch opened, an event or bookmark came, a watch ended cleanly. */
  private heardAt: number;
  /** Since when no watch is open (undefined while one is). */
  private disconnectedAt: number | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private stopCurrent: (() => void) | undefined;
  private wake: (() => void) | undefined;
  private failures = 0;
  /** The failing episode under way: failures since the last watch opened, and since when. */
  private episode: { failures: number; since: number } | undefined;
  private readonly statusListeners = new Set<(status: ReflectorStatus) => void>();
  private readonly state: ReflectorState = {
    synced: false,
    resourceVersion: '',
    relists: 0,
    watchRestarts: 0,
    failures: 0,
    connected: false,
  };

  constructor(options: ReflectorOptions<K>) {
    // Defaults by `??`, not by spreading `options` over them: callers pass options through
    // (Cluster → Informer → Reflector) with keys present but undefined, e.g. `clock:
    // undefined`, and a spread would overwrite the default with undefined (the loop then
    // crashed on `clock.now()` at its first error).
    this.opts = {
      ...options,
      pageSize: options.pageSize ?? 500,
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? { min: 240, max: 360 },
      clock: options.clock ?? systemClock,
    };
    this.livenessMs = options.livenessMs ?? 90_000;
    this.staleAfterDisconnectMs = options.staleAfterDisconnectMs ?? 10_000;
    this.heardAt = this.opts.clock.now();
    this.disconnectedAt = this.heardAt;
    this.backoff = {
      initialMs: options.backoff?.initialMs ?? 800,
      maxMs: options.backoff?.maxMs ?? 30_000,
      resetAfterMs: options.backoff?.resetAfterMs ?? 60_000,
    };
  }

  get kind(): K {
    return this.opts.kind;
  }

  /** The first list has been stored (cheaper than `status`, which builds a snapshot). */
  get synced(): boolean {
    return this.state.synced;
  }

  /** A snapshot of the status, staleness computed at the clock's now. */
  get status(): ReflectorStatus {
    const now = this.opts.clock.now();
    const silentFor = now - this.heardAt;
    const stale =
      (this.livenessMs > 0 && silentFor >= this.livenessMs) ||
      (this.disconnectedAt !== undefined && now - this.disconnectedAt >= this.staleAfterDisconnectMs);
    return stale ? { ...this.state, stale, staleForMs: silentFor } : { ...this.state, stale };
  }

  /** Starts the list+watch loop. It runs until stop(): it never stops by itself. */
  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.heardAt = this.opts.clock.now();
    this.disconnectedAt = this.heardAt;
    // Its own trace (each relist a root span), whoever started it.
    this.running = detached(() => this.loop());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopCurrent?.();
    this.wake?.();
    await this.running;
    this.running = undefined;
  }

  /** Subscribes to status changes (synced, connected, errors, relists). */
  onStatus(listener: (status: ReflectorStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  private changed(): void {
    if (this.statusListeners.size === 0) return;
    const status = this.status;
    for (const listener of this.statusListeners) listener(status);
  }

  private setConnected(connected: boolean): void {
    if (connected) this.disconnectedAt = undefined;
    else if (this.state.connected || this.disconnectedAt === undefined)
      this.disconnectedAt = this.opts.clock.now();
    this.state.connected = connected;
  }

  private async loop(): Promise<void> {
    let needList = true;
    let started = this.opts.clock.now();
    while (!this.stopped) {
      try {
        if (needList) {
          await (this.state.synced ? this.listAll() : this.initialAttempt());
          needList = false;
          if (this.stopped) break; // do not open a watch for a reflector being stopped
        }
        started = this.opts.clock.now();
        await this.watchOnce();
        if (this.stopped) break;
        this.state.watchRestarts += 1;
        // A watch that ended cleanly after a healthy period resumes at once; one that
        // ends as soon as it starts is treated as a failure, or we would spin.
        if (this.opts.clock.now() - started >= this.backoff.resetAfterMs) this.failures = 0;
        else if (this.opts.clock.now() - started < 1000) await this.sleep(this.nextDelay());
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ExpiredError || (err instanceof WatchHttpError && err.code === 410)) {
          needList = true;
          this.record(err);
          continue;
        }
        if (isExpired(err)) needList = true;
        // A watch that was healthy for a while before it failed starts the backoff
        // afresh: one reset after hours of streaming is not the tenth failure in a row.
        if (this.opts.clock.now() - started >= this.backoff.resetAfterMs) this.failures = 0;
        this.record(err);
        if (!needList) this.state.watchRestarts += 1;
        await this.sleep(this.nextDelay(retryAfterMs(err)));
      }
    }
    this.setConnected(false);
  }

  /**
   * The initial LIST in flight now: resolves true once it is stored, false if it fails (the
   * loop then retries on its backoff) or the reflector stops first. Undefined when the kind
   * has synced, or no initial LIST is running (not started, or waiting to retry). A read of
   * the whole kind waits for it rather than asking the API server for the same LIST again
   * (ClusterReader).
   */
  initialListInFlight(): Promise<boolean> | undefined {
    return this.attempt;
  }

  /**
   * The first initial LIST, whenever it starts: resolves true once stored, false if it fails
   * or the reflector stops during it; never, if the reflector never lists (callers bound
   * their wait). A read of a kind not started yet waits for it.
   */
  firstInitialList(): Promise<boolean> {
    return this.first;
  }

  private attempt?: Promise<boolean>;
  private settleFirst!: (stored: boolean) => void;
  private readonly first = new Promise<boolean>((resolve) => {
    this.settleFirst = resolve;
  });

  private async initialAttempt(): Promise<void> {
    let settle!: (stored: boolean) => void;
    this.attempt = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    try {
      await this.listAll();
    } finally {
      this.attempt = undefined;
      settle(this.state.synced);
      this.settleFirst(this.state.synced);
    }
  }

  private record(err: unknown): void {
    this.state.lastError = describe(err);
    this.state.lastErrorAt = new Date(this.opts.clock.now());
    this.state.failures += 1;
    this.setConnected(false);
    this.episode ??= { failures: 0, since: this.opts.clock.now() };
    this.episode.failures += 1;
    this.opts.onError?.(err);
    this.changed();
  }

  /** Exponential backoff with full jitter between half and all of the step. */
  private nextDelay(retryAfter?: number): number {
    const step = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** this.failures);
    this.failures = Math.min(this.failures + 1, 20);
    const jittered = step / 2 + (step / 2) * this.opts.clock.random();
    return Math.max(jittered, retryAfter ?? 0);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const handle = this.opts.clock.setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        this.opts.clock.clearTimeout(handle);
        this.wake = undefined;
        resolve();
      };
    });
  }

  /** A (re)list, traced as a root span of its own (kube/tracing.ts): its pages are its children. */
  private listAll(): Promise<void> {
    const { cluster, kind, namespace } = this.opts;
    return informerListSpan(
      () => ({
        [ATTR_CLUSTER]: cluster ?? '',
        [ATTR_KIND]: kind,
        ...(namespace !== undefined ? { [ATTR_NAMESPACE]: namespace } : {}),
        'kubegate.relist': this.state.synced,
      }),
      (span) => this.listPages((items) => span.setAttribute('kubegate.objects', items)),
    );
  }

  private listPages(listed: (items: number) => void): Promise<void> {
    const { client, kind, namespace, pageSize, sink } = this.opts;
    const options = (continueToken: string | undefined) => ({ namespace, limit: pageSize, continueToken });
    if (client.listRaw && sink.prepareRaw) {
      const listRaw = client.listRaw.bind(client);
      const prepareRaw = sink.prepareRaw.bind(sink);
      return this.pagesInto<Record<string, unknown>>(
        (token): Promise<RawListPage> => listRaw(kind, options(token)),
        prepareRaw,
        listed,
      );
    }
    const prepare = sink.prepare?.bind(sink) ?? ((obj: KubeObjectOf<K>) => obj);
    return this.pagesInto((token) => client.list(kind, options(token)), prepare, listed);
  }

  /**
   * Lists every page and hands the whole to the sink. One page ahead: the request for page
   * n+1 goes out (its continue token is in page n) before page n's items are prepared, so
   * the API server serialises and sends it while we trim; never more than one, so memory
   * stays one page in flight plus one being prepared, whatever the list's size.
   */
  private async pagesInto<T>(
    fetchPage: (continueToken: string | undefined) => Promise<Page<T>>,
    prepare: (item: T) => KubeObjectOf<K>,
    listed: (items: number) => void,
  ): Promise<void> {
    const { sink } = this.opts;
    let items: KubeObjectOf<K>[] = [];
    let continueToken: string | undefined;
    let resourceVersion = '';
    let restarted = false;
    let next: Promise<Page<T>> | undefined = fetchPage(undefined);
    while (next) {
      let page: Page<T>;
      try {
        page = await next;
      } catch (err) {
        // An expired continue token: start the list again from the top, once.
        if (continueToken && isExpired(err) && !restarted) {
          restarted = true;
          items = [];
          continueToken = undefined;
          next = fetchPage(undefined);
          continue;
        }
        throw err;
      }
      if (this.stopped) return;
      if (!continueToken) resourceVersion = page.resourceVersion;
      continueToken = page.continueToken;
      next = continueToken ? fetchPage(continueToken) : undefined;
      // Awaited above on the next turn; this only keeps a stop() or a throwing prepare()
      // from leaving its rejection unhandled.
      next?.catch(() => {});
      for (const item of page.items) items.push(prepare(item));
    }
    listed(items.length);
    sink.replace(items, resourceVersion);
    if (this.state.synced || this.state.lastSyncAt) this.state.relists += 1;
    this.state.synced = true;
    this.state.lastSyncAt = new Date(this.opts.clock.now());
    this.state.resourceVersion = resourceVersion;
    this.heardAt = this.opts.clock.now();
    this.changed();
  }

  private async watchOnce(): Promise<void> {
    const { client, kind, namespace, watchTimeoutSeconds: t, clock, sink } = this.opts;
    const timeoutSeconds = Math.round(t.min + (t.max - t.min) * clock.random());
    let expired: ExpiredError | undefined;
    let failure: Error | undefined;
    let stopStream: (() => void) | undefined;
    // Plain JSON when the sink can trim it (as lists are read): no client-node models.
    const raw = sink.prepareRaw !== undefined;
    const handle = await client.watch(
      kind,
      {
        namespace,
        resourceVersion: this.state.resourceVersion,
        timeoutSeconds,
        allowWatchBookmarks: true,
        ...(raw ? { raw } : {}),
      },
      (type, object) => {
        if (expired || failure) return;
        const rv = (object as { metadata?: { resourceVersion?: string } }).metadata?.resourceVersion;
        switch (type) {
          case 'ADDED':
            sink.added(object, raw);
            break;
          case 'MODIFIED':
            sink.modified(object, raw);
            break;
          case 'DELETED':
            sink.deleted(object, raw);
            break;
          case 'BOOKMARK':
            break;
          case 'ERROR': {
            const status = object as { code?: number; message?: string };
            if (status.code === 410) expired = new ExpiredError(status.message ?? 'resourceVersion expired');
            else failure = new Error(`watch ERROR event: ${status.code} ${status.message ?? ''}`);
            stopStream?.();
            return;
          }
        }
        if (rv) this.state.resourceVersion = rv;
        this.heardAt = clock.now();
        if (type !== 'BOOKMARK') this.state.lastEventAt = new Date(this.heardAt);
      },
    );
    stopStream = () => handle.stop();
    // stop() may have run while the watch request was in flight, when there was no
    // stream for it to end yet: end it now, or `done` below waits for the server's timeout.
    if (expired || failure || this.stopped) handle.stop();
    this.stopCurrent = stopStream;
    this.heardAt = clock.now();
    this.setConnected(true);
    this.changed();
    if (this.episode && !this.stopped) {
      const { failures, since } = this.episode;
      this.episode = undefined;
      this.opts.onRecovered?.({ failures, durationMs: clock.now() - since });
    }
    // Liveness: one timer per watch, due when the silence would reach livenessMs; an event
    // that came meanwhile moves the due time instead of re-arming a timer per event.
    let liveness: unknown;
    const checkLiveness = () => {
      const silentFor = clock.now() - this.heardAt;
      if (silentFor < this.livenessMs) {
        liveness = clock.setTimeout(checkLiveness, this.livenessMs - silentFor);
        return;
      }
      liveness = undefined;
      if (expired || failure) return;
      failure = new WatchSilentError(silentFor);
      handle.stop();
    };
    if (this.livenessMs > 0 && !this.stopped) liveness = clock.setTimeout(checkLiveness, this.livenessMs);
    try {
      await handle.done;
      // The server ended the stream (its timeout): it was there, and we were current.
      if (!expired && !failure && !this.stopped) this.heardAt = clock.now();
    } finally {
      if (liveness !== undefined) clock.clearTimeout(liveness);
      this.stopCurrent = undefined;
      this.setConnected(false);
    }
    if (expired) throw expired;
    if (failure) throw failure;
  }
}

function isExpired(err: unknown): boolean {
  return (err as { code?: number }).code === 410;
}

/** Whether a reflector's failure was its resourceVersion expiring (410 Gone): a relist follows, routinely. */
export function isResourceExpired(err: unknown): boolean {
  return err instanceof ExpiredError || isExpired(err);
}

function retryAfterMs(err: unknown): number | undefined {
  let header: string | null | undefined;
  if (err instanceof WatchHttpError || err instanceof ApiHttpError) header = err.retryAfter;
  else header = (err as { headers?: Record<string, string> }).headers?.['retry-after'];
  const seconds = header ? Number(header) : Number.NaN;
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** A one-line description for status and logs: codes and Status messages, never headers or tokens. */
export function describe(err: unknown): string {
  if (err instanceof WatchHttpError) return `HTTP ${err.code} on watch`;
  if (err instanceof WatchSilentError) return err.message;
  if (err instanceof MalformedWatchLineError) return 'malformed watch stream';
  const code = (err as { code?: unknown }).code;
  const body = (err as { body?: unknown }).body;
  if (typeof code === 'number') {
    let message = '';
    try {
      message = typeof body === 'string' ? (JSON.parse(body).message ?? '') : '';
    } catch {
      // not JSON: leave the message out
    }
    return `HTTP ${code}${message ? `: ${message}` : ''}`;
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  if (typeof code === 'string' || cause) return `connection failed (${cause ?? code})`;
  return (err as Error)?.message?.split('\n')[0] ?? String(err);
}
