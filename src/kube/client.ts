/**
 * The API calls kubegate makes to one cluster: lists, gets and watches of the registry's
 * kinds, and the version. Everything goes through one PooledKubeConfig, hence one
 * connection pool; the calls themselves are the registry's (kinds.ts), so this file knows
 * no kind by name.
 */
import {
  ApiException,
  AuthenticationV1Api,
  AuthorizationV1Api,
  BatchV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  VersionApi,
} from '@kubernetes/client-node';
import type { Configuration } from '@kubernetes/client-node/dist/gen/configuration.js';
import {
  HttpMethod,
  RequestContext,
  type ResponseContext,
} from '@kubernetes/client-node/dist/gen/http/http.js';
import type { Middleware } from '@kubernetes/client-node/dist/gen/middleware.js';
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { of } from '@kubernetes/client-node/dist/gen/rxjsStub.js';
import { type Dispatcher, request as undiciRequest } from 'undici';
import { collectionPath, type KubeApis, objectPath } from './kinds/define.js';
import { type KindName, type KubeObjectOf, kindOf } from './kinds.js';
import { memberCut } from './managed-fields.js';
import type { PooledKubeConfig } from './pooled-config.js';
import { apiCallSpan, recordApiStatus } from './tracing.js';

/** How a connection closed under a request before any answer shows in undici and net. */
const CLOSED_UNDER = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/**
 * undici's request, sent a second time when a GET fails before any answer because its
 * connection closed under it. A pooled connection that the server closed as idle is reused
 * before the close is read: the server's keep-alive timer and the request cross, or this
 * process's loop stalled past the pool's idle time and the request went out ahead of the
 * close waiting to be read. Go's HTTP transport, under client-go, sends an idempotent
 * request again in that case; undici does not, and each such reset cost a watch an error, a
 * backoff and a warning (a fleet bench run logged one to three a minute). Only GET (reads
 * and watches), once: a write may have been applied, and a second failure is a real one.
 */
async function requestOnceMore(
  url: URL,
  options: Parameters<typeof undiciRequest>[1] & { method: string; signal?: AbortSignal },
): Promise<Dispatcher.ResponseData<unknown>> {
  try {
    return await undiciRequest(url, options);
  } catch (err) {
    if (options.method !== 'GET' || !closedUnder(err) || options.signal?.aborted) throw err;
    return undiciRequest(url, options);
  }
}

/** Whether a call failed because its connection closed under it: undici's code, or fetch's cause's. */
function closedUnder(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' && CLOSED_UNDER.has(code);
}

/**
 * The same once-more for client-node's typed calls, which go through undici's `fetch` (the
 * close shows as a TypeError whose cause has the code): the version, gets and lists, and the
 * reviews. A TokenReview or SubjectAccessReview is a POST but stores nothing (the API server
 * answers it and keeps no object), so sending it again is as safe as a GET; without this, one
 * reused connection's close turned a caller's sign-in or an access check into UNAVAILABLE.
 */
async function typedOnceMore<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!closedUnder(err)) throw err;
    return call();
  }
}

export { PooledKubeConfig, type PoolOptions } from './pooled-config.js';

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continueToken?: string;
  resourceVersion?: string;
}

export interface ListPage<K extends KindName> {
  items: KubeObjectOf<K>[];
  resourceVersion: string;
  continueToken?: string;
}

/**
 * One page of a LIST as the API server sent it: `items` are the parsed JSON, not client-node
 * model objects (timestamps are RFC 3339 strings, not Dates). What an informer's first sync
 * reads: building 100k model objects only for the trim to copy a tenth of them out was most
 * of its CPU (issue #16).
 */
export interface RawListPage {
  items: Record<string, unknown>[];
  resourceVersion: string;
  continueToken?: string;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion: string;
  timeoutSeconds: number;
  allowWatchBookmarks: boolean;
  /**
   * Hand ADDED/MODIFIED/DELETED objects over as the plain JSON they came as (timestamps as
   * strings) instead of client-node's models: the informer's trim reads both, and
   * `ObjectSerializer.deserialize` was the largest part of a watch event's cost (9.7 % + 2 %
   * of a loaded gateway's profile at size L with churn, bench/wide-breakdown.ts).
   */
  raw?: boolean;
}

/**
 * What a cluster's TokenReview API said of a bearer token: who it is, or that it is not
 * one the cluster accepts (with the API server's reason, for logs only: it may describe
 * the token).
 */
export type TokenReviewAnswer =
  | { authenticated: true; user: { username: string; uid?: string; groups: string[] } }
  | { authenticated: false; error?: string };

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** A running watch; `stop()` ends it (its `done` callback then fires once). */
export interface WatchHandle {
  stop(): void;
}

/**
 * The API calls kubegate makes to one cluster: typed lists and gets, watches, version.
 * Everything goes through one PooledKubeConfig, hence one connection pool.
 */
/** Who a SubjectAccessReview asks about. */
export interface AccessReviewUser {
  username: string;
  uid?: string;
  groups: readonly string[];
}

/** The request a SubjectAccessReview asks about (resourceAttributes); no namespace: the cluster scope. */
export interface AccessReviewAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/**
 * Who a request is made as: kube-apiserver's impersonation (`Impersonate-User`, one
 * `Impersonate-Group` line per group, `Impersonate-Uid`), authorised against the gateway's
 * own credentials (`impersonate` on users, groups, serviceaccounts, uids).
 */
export interface Impersonation {
  username: string;
  groups: readonly string[];
  uid?: string;
}

/** One REST call the typed APIs do not make for us (writes as the caller, evictions). */
export interface ApiRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** The absolute API path (`collectionPath`, `objectPath`). */
  path: string;
  query?: Readonly<Record<string, string | undefined>>;
  /** Sent as JSON. */
  body?: unknown;
  /** Default application/json; a patch names its patch type. */
  contentType?: string;
  impersonate?: Impersonation;
}

/** An undici answer's Retry-After header (its first value when repeated), or null. */
export function retryAfterOf(headers: Record<string, string | string[] | undefined>): string | null {
  const value = headers['retry-after'];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/**
 * A response body as text, decoded chunk by chunk as it comes (a leading BOM dropped, as
 * undici's `body.text()` does). Not `body.text()`: that keeps every chunk, joins them into
 * one more Buffer and decodes that, so a 4 MB LIST page leaves 8 MB of ArrayBuffers and no
 * young-generation allocation to collect them early. Node 24's V8 reclaims short-lived
 * ArrayBuffers with a Mark-Compact once 64 MB of them pile up between scavenges
 * (nodejs/node#61967): at 100,000 pods 19 of the first sync's 21 full GCs were started by
 * "external memory pressure" (`--trace-incremental-marking`), and each one marks the whole
 * mirror, which for a fleet is gigabytes. Decoded here, the text's pieces are young-generation
 * strings whose scavenges free the chunks: 3 full GCs, first sync at L 15.4 → 13.3 s and peak
 * RSS 796 → 704 MB in alternating runs (bench/results/first-sync-overlap.md).
 */
async function bodyText(body: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of body) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

/**
 * client-node's typed APIs answer with the body only: this response middleware hands the
 * status to the span of the call (tracing.ts `recordApiStatus`; a no-op without one).
 */
const statusMiddleware: Middleware = {
  pre: (request) => of(request),
  post: (response: ResponseContext) => {
    recordApiStatus(response.httpStatusCode);
    return of(response);
  },
};

/** An API class whose instances also run `statusMiddleware` (after client-node's own). */
function withStatus<T>(api: new (config: Configuration) => T): new (config: Configuration) => T {
  return class extends (api as new (config: Configuration) => object) {
    constructor(config: Configuration) {
      config.middleware.push(statusMiddleware);
      super(config);
    }
  } as new (
    config: Configuration,
  ) => T;
}

export class ClusterClient {
  readonly apis: KubeApis;
  private readonly versionApi: VersionApi;
  private readonly authenticationApi: AuthenticationV1Api;
  private readonly authorizationApi: AuthorizationV1Api;

  /** `cluster`: the gateway's name of the cluster, for traces. */
  constructor(
    readonly config: PooledKubeConfig,
    readonly cluster = '',
  ) {
    this.apis = {
      core: config.makeApiClient(withStatus(CoreV1Api)),
      batch: config.makeApiClient(withStatus(BatchV1Api)),
      rbac: config.makeApiClient(withStatus(RbacAuthorizationV1Api)),
    };
    this.versionApi = config.makeApiClient(withStatus(VersionApi));
    this.authenticationApi = config.makeApiClient(withStatus(AuthenticationV1Api));
    this.authorizationApi = config.makeApiClient(withStatus(AuthorizationV1Api));
  }

  /** Runs one API call in its trace span (kube/tracing.ts); `path` is called only when recording. */
  private traced<T>(
    method: string,
    path: () => string,
    run: (setStatus: (code: number) => void) => Promise<T>,
  ): Promise<T> {
    return apiCallSpan(() => ({ cluster: this.cluster, method, path: path(), server: this.server }), run);
  }

  get server(): string {
    return this.config.getCurrentCluster()?.server ?? '';
  }

  async version(): Promise<string> {
    const info = await this.traced(
      'GET',
      () => '/version',
      () => typedOnceMore(() => this.versionApi.getCode()),
    );
    return info.gitVersion;
  }

  /**
   * Asks the cluster who a bearer token belongs to (authentication.k8s.io/v1 TokenReview,
   * with the API server's own audiences). Rejects, as any call does, when the API server
   * or the network fails: that is not an answer about the token.
   */
  async reviewToken(token: string): Promise<TokenReviewAnswer> {
    const review = await this.traced(
      'POST',
      () => '/apis/authentication.k8s.io/v1/tokenreviews',
      () =>
        typedOnceMore(() =>
          this.authenticationApi.createTokenReview({
            body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
          }),
        ),
    );
    const status = review.status;
    const username = status?.user?.username;
    if (!status?.authenticated || !username) {
      return { authenticated: false, ...(status?.error ? { error: status.error } : {}) };
    }
    return {
      authenticated: true,
      user: {
        username,
        ...(status.user?.uid ? { uid: status.user.uid } : {}),
        groups: status.user?.groups ?? [],
      },
    };
  }

  /**
   * Whether the API server's authorisers (RBAC, webhooks, whatever the cluster runs) allow
   * `user` the request described by `attributes`: one SubjectAccessReview.
   */
  async reviewAccess(user: AccessReviewUser, attributes: AccessReviewAttributes): Promise<boolean> {
    const review = await this.traced(
      'POST',
      () => '/apis/authorization.k8s.io/v1/subjectaccessreviews',
      () =>
        typedOnceMore(() =>
          this.authorizationApi.createSubjectAccessReview({
            body: {
              apiVersion: 'authorization.k8s.io/v1',
              kind: 'SubjectAccessReview',
              spec: {
                user: user.username,
                ...(user.uid ? { uid: user.uid } : {}),
                groups: [...user.groups],
                resourceAttributes: { ...attributes },
              },
            },
          }),
        ),
    );
    return review.status?.allowed === true && review.status?.denied !== true;
  }

  /** One page of a list (or the whole list without `limit`), selectors pushed down to the server. */
  async list<K extends KindName>(kind: K, options: ListOptions = {}): Promise<ListPage<K>> {
    const { namespace, labelSelector, fieldSelector, limit, continueToken, resourceVersion } = options;
    const def = kindOf(kind);
    const scope = def.namespaced ? namespace : undefined;
    const list = await this.traced(
      'GET',
      () => collectionPath(def, scope),
      () =>
        typedOnceMore(() =>
          def.list(this.apis, scope, {
            labelSelector,
            fieldSelector,
            limit,
            _continue: continueToken,
            resourceVersion,
          }),
        ),
    );
    return {
      items: list.items,
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continueToken: list.metadata?._continue || undefined,
    };
  }

  /**
   * One page of a list as plain JSON (see RawListPage), through the raw request path: the
   * same pool, TLS and credentials as `list`, its own span (`GET <collection>`). A non-2xx
   * answer rejects with ApiHttpError (code, Status body, Retry-After), as `request` does.
   */
  async listRaw<K extends KindName>(kind: K, options: ListOptions = {}): Promise<RawListPage> {
    const { namespace, labelSelector, fieldSelector, limit, continueToken, resourceVersion } = options;
    const def = kindOf(kind);
    const path = collectionPath(def, def.namespaced ? namespace : undefined);
    const req: ApiRequest = {
      method: 'GET',
      path,
      query: {
        labelSelector,
        fieldSelector,
        limit: limit === undefined ? undefined : String(limit),
        continue: continueToken,
        resourceVersion,
      },
    };
    // Parsed without managedFields and what else the kind's trim drops (rawParser): every
    // item goes to the trim, and those were most of the parse.
    const parse = rawParser(kind);
    const list = (await this.traced(
      req.method,
      () => req.path,
      (setStatus) => this.#request(req, setStatus, parse),
    )) as { items?: unknown; metadata?: { resourceVersion?: string; continue?: string } } | undefined;
    // An empty list may come as `items: null` (Go's nil slice); anything else is not a list.
    if (typeof list !== 'object' || list === null || (list.items != null && !Array.isArray(list.items))) {
      throw new ApiHttpError(
        200,
        JSON.stringify(list ?? null).slice(0, 200),
        null,
        `a body that is not a ${def.kind} list`,
      );
    }
    return {
      items: (list.items ?? []) as Record<string, unknown>[],
      resourceVersion: list.metadata?.resourceVersion ?? '',
      continueToken: list.metadata?.continue || undefined,
    };
  }

  /** One object, or undefined when the server says 404. */
  async get<K extends KindName>(
    kind: K,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObjectOf<K> | undefined> {
    const def = kindOf(kind);
    try {
      return await this.traced(
        'GET',
        () => objectPath(def, namespace, name),
        () => typedOnceMore(() => def.get(this.apis, namespace, name)),
      );
    } catch (err) {
      if ((err as { code?: number }).code === 404) return undefined;
      throw err;
    }
  }

  /**
   * One REST call through the cluster's pool, with the kubeconfig's credentials and, when
   * given, impersonation headers. Its own request rather than a typed API's: client-node
   * sends headers as a `Record<string, string>` through fetch, which joins repeated values
   * into one line (`a, b`), and kube-apiserver reads every `Impersonate-Group` line as one
   * group, so a user with two groups could not be impersonated through it. undici's request
   * sends an array value as one line per value. Resolves to the parsed JSON body of a 2xx
   * answer; rejects with ApiHttpError for any other status (Status body and Retry-After
   * kept), or with the network's error.
   */
  request(req: ApiRequest): Promise<unknown> {
    return this.traced(
      req.method,
      () => req.path,
      (setStatus) => this.#request(req, setStatus),
    );
  }

  async #request(
    req: ApiRequest,
    setStatus: (code: number) => void,
    parse: (text: string) => unknown = JSON.parse,
  ): Promise<unknown> {
    const url = new URL(this.server + req.path);
    for (const [key, value] of Object.entries(req.query ?? {}))
      if (value !== undefined) url.searchParams.set(key, value);
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.config.applySecurityAuthentication(ctx);
    const headers: Record<string, string | string[]> = { ...ctx.getHeaders(), Accept: 'application/json' };
    if (req.body !== undefined) headers['Content-Type'] = req.contentType ?? 'application/json';
    const as = req.impersonate;
    if (as) {
      headers['Impersonate-User'] = as.username;
      if (as.groups.length > 0) headers['Impersonate-Group'] = [...as.groups];
      if (as.uid) headers['Impersonate-Uid'] = as.uid;
    }
    const dispatcher = (await this.config.dispatcher()) ?? (ctx.getDispatcher() as Dispatcher | undefined);
    const response = await requestOnceMore(url, {
      method: req.method,
      headers,
      body: req.body === undefined ? undefined : JSON.stringify(req.body),
      ...(dispatcher ? { dispatcher } : {}),
    });
    setStatus(response.statusCode);
    const text = await bodyText(response.body);
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new ApiHttpError(response.statusCode, text, retryAfterOf(response.headers));
    }
    if (!text) return undefined;
    try {
      return parse(text);
    } catch {
      throw new ApiHttpError(response.statusCode, text, null, 'a body that is not JSON');
    }
  }

  /** A raw API object as the typed model the informers store (Dates, not strings). */
  static deserialize<K extends KindName>(kind: K, raw: unknown): KubeObjectOf<K> {
    return ObjectSerializer.deserialize(raw, kindOf(kind).modelType, '') as KubeObjectOf<K>;
  }

  /**
   * Starts a watch stream. client-node's `Watch` silently drops lines it cannot parse,
   * which would lose an event without anyone noticing, and reports a non-200 answer
   * without its headers (no Retry-After) or its Status body. So this reads the stream
   * itself, through the same pooled dispatcher and auth: a malformed line ends the
   * watch with an error (the reflector resumes from the last good resourceVersion and
   * the server replays what was lost). Objects of ADDED/MODIFIED/DELETED are
   * deserialized into the same typed models as list items (Dates, not strings).
   */
  async watch<K extends KindName>(
    kind: K,
    options: WatchOptions,
    onEvent: (type: WatchEventType, object: KubeObjectOf<K> | Record<string, unknown>) => void,
  ): Promise<WatchHandle & { done: Promise<void> }> {
    const url = new URL(this.server + collectionPath(kindOf(kind), options.namespace));
    url.searchParams.set('watch', 'true');
    url.searchParams.set('resourceVersion', options.resourceVersion);
    url.searchParams.set('allowWatchBookmarks', String(options.allowWatchBookmarks));
    url.searchParams.set('timeoutSeconds', String(options.timeoutSeconds));
    const ctx = new RequestContext(url.toString(), HttpMethod.GET);
    await this.config.applySecurityAuthentication(ctx);
    const dispatcher =
      (await this.config.watchDispatcher()) ?? (ctx.getDispatcher() as Dispatcher | undefined);
    const controller = new AbortController();
    // undici's `request`, not `fetch`: the body is a Node stream that decodes UTF-8 itself,
    // where fetch's goes through WHATWG streams and a TextDecoder per chunk. A live watch
    // brings one event per chunk: `npx tsx bench/watch-read.ts` read and parsed ~6 KB pod
    // events for 107-112 us of CPU each this way against 119-133 us through fetch (-10 to
    // -16 %; equal, -3 %, when 20 come per chunk).
    const response = await requestOnceMore(url, {
      method: 'GET',
      headers: { ...ctx.getHeaders(), Accept: 'application/json' },
      dispatcher,
      signal: controller.signal,
    });
    if (response.statusCode !== 200) {
      const body = await response.body.text().catch(() => '');
      throw new WatchHttpError(response.statusCode, body, retryAfterOf(response.headers));
    }
    const raw = options.raw === true;
    const parseRaw = rawParser(kind);
    const modelType = kindOf(kind).modelType;
    const body = response.body;
    body.setEncoding('utf8');
    /** Parses one line and hands its event over. */
    const deliver = (line: string) => {
      let event: { type?: string; object?: Record<string, unknown> };
      try {
        // Raw events go to the trims: what they drop is not parsed at all (rawParser).
        event = (raw ? parseRaw(line) : JSON.parse(line)) as typeof event;
      } catch {
        throw new MalformedWatchLineError(line);
      }
      const { type, object } = event;
      if (!object || typeof type !== 'string') throw new MalformedWatchLineError(line);
      if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED') {
        onEvent(
          type,
          raw ? object : (ObjectSerializer.deserialize(object, modelType, '') as KubeObjectOf<K>),
        );
      } else {
        onEvent(type as WatchEventType, object);
      }
    };
    const done = (async () => {
      let buffered = '';
      try {
        for await (const chunk of body as AsyncIterable<string>) {
          buffered += chunk;
          // Lines are cut from a moving start and the rest kept once per chunk: a chunk of
          // many events is not copied once per event.
          let start = 0;
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(start, newline).trim();
            start = newline + 1;
            newline = buffered.indexOf('\n', start);
            if (!line) continue;
            // Applied in the turn that read it, the whole chunk at once: a chunk's text dies
            // young. Deferring events to later turns so requests go first (session 33's loop
            // budget) kept that text alive across turns; on a 50-cluster fleet the gateway
            // then took ~180 s to catch up after a full GC, against 13-47 s without
            // (ARCHITECTURE, "Watch backlogs are applied as they are read").
            deliver(line);
          }
          buffered = start > 0 ? buffered.slice(start) : buffered;
        }
      } catch (err) {
        if (controller.signal.aborted) return;
        throw err;
      }
    })();
    return { stop: () => controller.abort(), done };
  }
}

const rawParsers = new Map<KindName, (text: string) => unknown>();

/**
 * How a kind's listed pages and raw watch events are parsed: without managedFields and the
 * members its trim drops (`dropped` of its definition; managed-fields.ts `memberCut`). Only
 * for JSON that goes to the kind's trim.
 */
function rawParser(kind: KindName): (text: string) => unknown {
  let parse = rawParsers.get(kind);
  if (parse === undefined) {
    parse = memberCut(kindOf(kind).dropped ?? []);
    rawParsers.set(kind, parse);
  }
  return parse;
}

/** A watch request the server answered with something other than 200. */
export class WatchHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly retryAfter: string | null,
  ) {
    super(`watch failed with HTTP ${code}: ${body.slice(0, 200)}`);
  }
}

/** A request (`ClusterClient.request`) the server answered with something other than 2xx, or with a body that is not JSON. */
export class ApiHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
    readonly retryAfter: string | null,
    what = `HTTP ${code}`,
  ) {
    super(`the API server answered ${what}: ${body.slice(0, 200)}`);
  }
}

/** A watch line that is not a JSON event: the stream can no longer be trusted. */
export class MalformedWatchLineError extends Error {
  constructor(line: string) {
    super(`malformed watch line (expected a JSON event): ${line.slice(0, 120)}`);
  }
}

/**
 * A watch that delivered neither an event nor a bookmark for longer than the reflector's
 * liveness interval: the server (or something between) hangs, the stream is given up.
 */
export class WatchSilentError extends Error {
  constructor(readonly silentMs: number) {
    super(`watch silent for ${Math.round(silentMs / 1000)} s (no event or bookmark)`);
  }
}

/**
 * What went wrong talking to an API server, when that is what went wrong: an HTTP answer
 * other than success (a Status, a Retry-After), or the network (refused, reset, TLS,
 * timed out). Undefined for anything else (a bug of ours, a TypeError): the caller must
 * not dress that up as the cluster being unreachable.
 */
export interface UpstreamFailure {
  status?: number;
  /** The response body (a Kubernetes Status, usually), as text. */
  body?: string;
  retryAfter?: string;
  /** The network error's code (ECONNREFUSED, UND_ERR_SOCKET, CERT_HAS_EXPIRED ...). */
  network?: string;
}

const NETWORK_CODE = /^[A-Z][A-Z0-9_]{2,}$/;

export function upstreamFailure(err: unknown): UpstreamFailure | undefined {
  if (err instanceof ApiException) {
    const headers = (err.headers ?? {}) as Record<string, string>;
    return {
      status: err.code,
      body:
        typeof err.body === 'string'
          ? err.body
          : err.body === undefined
            ? undefined
            : JSON.stringify(err.body),
      retryAfter: headers['retry-after'],
    };
  }
  if (err instanceof WatchHttpError || err instanceof ApiHttpError) {
    return { status: err.code, body: err.body, retryAfter: err.retryAfter ?? undefined };
  }
  if (err instanceof MalformedWatchLineError) return { network: 'MALFORMED_WATCH_STREAM' };
  if (err instanceof WatchSilentError) return { network: 'WATCH_SILENT' };
  if (!(err instanceof Error)) return undefined;
  const own = (err as { code?: unknown }).code;
  if (typeof own === 'string' && NETWORK_CODE.test(own)) return { network: own };
  // undici's fetch rejects with TypeError('fetch failed') and the socket's error as cause.
  const cause = (err as { cause?: { code?: unknown } }).cause;
  if (err.message === 'fetch failed') {
    return { network: typeof cause?.code === 'string' ? cause.code : 'FETCH_FAILED' };
  }
  // A body cut off after the headers came (a body timeout, a reset mid-list) rejects the
  // read with TypeError('terminated'), the cause saying why.
  if (err instanceof TypeError && err.message === 'terminated') {
    return { network: typeof cause?.code === 'string' ? cause.code : 'TERMINATED' };
  }
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return { network: err.name };
  return undefined;
}
