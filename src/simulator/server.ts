/**
 * The simulator as a running server: an HTTPS listener speaking the Kubernetes REST
 * protocol over a SimStore, with bearer-token auth, Prometheus metrics, fault
 * injection and a live scenario (churn and a job controller). `startSimulator` is the
 * programmatic API; `cli.ts` wraps it.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { stringify } from 'yaml';
import { handleResource, parseResourcePath, type Target, verbOf } from './api.js';
import { legacyGrants, type TokenGrant } from './auth.js';
import { Churn, type IntervalClock } from './churn.js';
import { discoveryDocument } from './discovery.js';
import { EventRecorder, EventTtl } from './event-recorder.js';
import {
  type FaultActions,
  FaultInputError,
  type FaultResource,
  type FaultSettings,
  faultApplies,
  NO_FAULTS,
  parseFaultRequest,
} from './faults.js';
import { readBody, sendJson, sendStatus } from './http.js';
import { JobController, JobTrackingFinalizers, type TimeoutClock } from './job-controller.js';
import { Kubelet } from './kubelet.js';
import { type ApiVerb, SimulatorMetrics } from './metrics.js';
import {
  aggregatedMetricsReader,
  metricsResourceLabel,
  parseMetricsPath,
  serveMetrics,
} from './metrics-api.js';
import { NodeController } from './node-controller.js';
import { NodeLeaseController } from './node-lease.js';
import { serveOpenApi } from './openapi.js';
import { queryBool } from './options.js';
import { type LogClock, parsePodLogPath, servePodLog } from './pod-logs.js';
import { PodRuntime } from './pod-runtime.js';
import { AccessControl, sendForbidden } from './rbac/access.js';
import { readTokenFile, type SimUser } from './rbac/authentication.js';
import { type RequestInfo, requestInfo } from './rbac/request-info.js';
import { parseReviewPath, serveReview } from './rbac/reviews.js';
import { SYSTEM_MASTERS, type UserInfo } from './rbac/types.js';
import { buildScenario, type ScenarioOptions, type ScenarioSummary } from './scenario/index.js';
import { NodeAccounting, Scheduler } from './scheduler.js';
import { SimStore } from './store.js';
import { createServingCertificate } from './tls.js';
import { type RbacResource, RESOURCES, type ResourceName } from './types.js';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** The scenario to build; defaults give a small live cluster. */
  scenario?: Partial<ScenarioOptions>;
  /** Changes per second made by the churn; 0 turns it off. Default 2. */
  churnPerSecond?: number;
  /** The admin token (user "admin" in system:masters); random when omitted. */
  adminToken?: string;
  /**
   * Users and their bearer tokens (as `--token-auth-file` lists them); what each may do is
   * what the cluster's RBAC objects grant its user and groups. Every one is also in
   * `system:authenticated`.
   */
  users?: SimUser[];
  /** A static token file (`token,user,uid,"group1,group2"` CSV, kube-apiserver's format) of more users. */
  tokenAuthFile?: string;
  /**
   * kube-apiserver's --anonymous-auth: a request without a bearer token is system:anonymous
   * (group system:unauthenticated), allowed what RBAC allows it. Default true; false answers it 401.
   */
  anonymousAuth?: boolean;
  /**
   * The first permissions model, kept for older tests: tokens with rules of verbs x resources
   * x namespaces, turned at start into a ClusterRole per rule bound to the user (cluster-wide,
   * or by RoleBindings in the listed namespaces).
   */
  tokens?: Record<string, TokenGrant>;
  /** How many changes are kept for watch resumption. */
  historyLimit?: number;
  /** Interval of BOOKMARK events on watches that allow them. Default 10 s. */
  bookmarkIntervalMs?: number;
  /** Step of the job controller (pods of API-created jobs progress once per step). */
  jobStepMs?: number;
  /** Chance that a job's pod fails instead of succeeding. Default 0.1. */
  jobFailureRate?: number;
  /**
   * Where every controller's timers come from: the job controller (steps, activeDeadlineSeconds,
   * ttlSecondsAfterFinished), the kubelets (graceful deletion, starting pods), the scheduler,
   * the node controller (cordon's taint), the job-tracking finalizers, the churn, events'
   * writes and TTL, and the node-lease heartbeat. Tests pass a
   * fake clock and move time instead of waiting. Default the global timers.
   */
  clock?: TimeoutClock &
    IntervalClock & {
      /** "Now" for the metrics API's buckets and the containers' logs; default Date.now. */
      now?: () => number;
    };
  /**
   * Serve metrics.k8s.io as metrics-server does (default true); false: the group is absent
   * from discovery and its paths are 404, as on a cluster without metrics-server.
   */
  metrics?: boolean;
  /** metrics-server's --metric-resolution: usage values change once per this many seconds. Default 15. */
  metricsResolutionSeconds?: number;
  /** Write requests kept in `audit` (the oldest are dropped). Default 10000. */
  auditLimit?: number;
  /**
   * Node-lease heartbeat: every Ready node renews its Lease in kube-node-lease this often
   * (the kubelet's 10 s by default); 0 turns it off.
   */
  nodeLeaseRenewMs?: number;
  /**
   * kube-apiserver's --event-ttl: events written while the simulator runs (by its
   * controllers or by clients) are deleted this long after their last write. Default 3600.
   */
  eventTtlSeconds?: number;
  /**
   * The scheduler and the kubelets' start of the pods clients create. Default true; false
   * leaves such pods Pending as created (for tests that compare a pod with what they wrote).
   */
  podLifecycle?: boolean;
  /** Log a line per request to stderr. */
  log?: (line: string) => void;
}

/**
 * One write request as the simulator answered it (kube-apiserver's audit event, flattened):
 * who (after impersonation, and who impersonated), what, and the answer's code.
 */
export interface AuditRecord {
  /** 1, 2, 3... in the order the answers were sent. */
  seq: number;
  /** When it was answered (RFC 3339, milliseconds). */
  time: string;
  user: string;
  groups: string[];
  /** The authenticated user who sent `Impersonate-User`/`-Group`, when the request was impersonated. */
  impersonatedBy?: { user: string; groups: string[] };
  /** The RBAC verb: create, update, patch, delete (an eviction is a create of pods/eviction). */
  verb: string;
  apiGroup: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  /** The object's name (a generated one for a create with generateName), when known. */
  name?: string;
  /** The HTTP status answered: 2xx accepted, 403 refused by RBAC, 404, 409, 422... */
  code: number;
  dryRun: boolean;
  userAgent?: string;
}

export const DEFAULT_SCENARIO: ScenarioOptions = { seed: 1, nodes: 6, pods: 120, jobs: 12, namespaces: 4 };

const RBAC_KINDS = new Set<ResourceName>(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings']);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export class Simulator {
  readonly store: SimStore;
  readonly metrics: SimulatorMetrics;
  /** Authentication, authorisation, the RBAC kinds' rules and the aggregation controller. */
  readonly access: AccessControl;
  readonly adminToken: string;
  readonly summary: ScenarioSummary;
  private faultSettings: FaultSettings = { ...NO_FAULTS };
  private readonly sockets = new Set<Socket>();
  private readonly watches = new Set<ServerResponse>();
  /** Requests whose connection is destroyed on arrival (FaultActions.resetNextRequests). */
  private resetsPending = 0;
  private refusing: NodeJS.Timeout | undefined;
  private readonly churn: Churn;
  private readonly jobs: JobController;
  private readonly leases: NodeLeaseController | undefined;
  /** Reactions to clients' writes, running even while activity is paused. */
  private readonly kubelet: Kubelet;
  private readonly nodes: NodeController;
  private readonly jobTracking: JobTrackingFinalizers;
  /** The cluster's scheduler, the kubelets' starting of pods, events and their TTL. */
  readonly scheduler: Scheduler;
  private readonly runtime: PodRuntime;
  readonly recorder: EventRecorder;
  private readonly eventTtl: EventTtl;
  private readonly auditLog: AuditRecord[] = [];
  private auditSeq = 0;
  private port = 0;
  private readonly metricsApi: boolean;
  private readonly logClock: LogClock;

  private constructor(
    private readonly server: Server,
    readonly caPem: string,
    private readonly options: SimulatorOptions,
  ) {
    this.store = new SimStore({ historyLimit: options.historyLimit });
    const scenario = { ...DEFAULT_SCENARIO, ...options.scenario };
    this.summary = buildScenario(this.store, scenario);
    this.metrics = new SimulatorMetrics((r) => this.store.count(r), Object.keys(RESOURCES) as ResourceName[]);
    this.adminToken = options.adminToken ?? randomBytes(24).toString('base64url');
    const legacy = legacyGrants(options.tokens ?? {});
    this.access = new AccessControl(this.store, {
      anonymous: options.anonymousAuth ?? true,
      users: [
        { token: this.adminToken, user: 'admin', groups: [SYSTEM_MASTERS] },
        ...(options.tokenAuthFile ? readTokenFile(options.tokenAuthFile) : []),
        ...(options.users ?? []),
        // Last, so a legacy grant given the admin token replaces the admin, as it always did.
        ...legacy.users,
      ],
    });
    for (const { resource, object } of legacy.objects) this.store.create(resource, object);
    const clock = options.clock;
    this.metricsApi = options.metrics ?? true;
    const resolution = options.metricsResolutionSeconds ?? 15;
    if (!(resolution > 0)) {
      throw new RangeError(
        `metricsResolutionSeconds: expected a number of seconds > 0, received ${resolution}`,
      );
    }
    // metrics-server's own manifest adds this role; a cluster without it has none.
    if (this.metricsApi) {
      const created =
        this.store.get('namespaces', undefined, 'kube-system')?.metadata.creationTimestamp ??
        new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      this.store.create('clusterroles', aggregatedMetricsReader(created));
    }
    this.logClock = {
      now: clock?.now ?? (() => Date.now()),
      setTimeout: clock ? (cb, ms) => clock.setTimeout(cb, ms) : (cb, ms) => setTimeout(cb, ms),
      clearTimeout: clock ? (h) => clock.clearTimeout(h) : (h) => clearTimeout(h as NodeJS.Timeout),
    };
    this.eventTtl = new EventTtl(this.store, { clock, ttlSeconds: options.eventTtlSeconds });
    this.recorder = new EventRecorder(this.store, { clock });
    const accounting = new NodeAccounting(this.store);
    this.scheduler = new Scheduler(this.store, { clock, recorder: this.recorder, accounting });
    // The container states' timestamps (startedAt, finishedAt) follow the clock the logs
    // and the metrics read, so a container's log ends where its state says it ended.
    const clockNow = clock?.now;
    const stamp = clockNow ? { now: () => new Date(clockNow()) } : {};
    this.runtime = new PodRuntime(this.store, { clock, recorder: this.recorder, ...stamp });
    this.jobs = new JobController(this.store, {
      stepMs: options.jobStepMs ?? 1000,
      clock,
      scheduler: this.scheduler,
      recorder: this.recorder,
      ...stamp,
      ...(options.jobFailureRate !== undefined ? { failureRate: options.jobFailureRate } : {}),
    });
    this.churn = new Churn(this.store, {
      ratePerSecond: options.churnPerSecond ?? 2,
      seed: scenario.seed,
      clock,
      accounting,
      recorder: this.recorder,
    });
    const renewMs = options.nodeLeaseRenewMs ?? 10_000;
    this.leases =
      renewMs > 0 ? new NodeLeaseController(this.store, { intervalMs: renewMs, clock }) : undefined;
    this.kubelet = new Kubelet(this.store, { clock, recorder: this.recorder, ...stamp });
    this.nodes = new NodeController(this.store, { clock, recorder: this.recorder });
    this.jobTracking = new JobTrackingFinalizers(this.store, { clock });
    server.on('connection', (socket: Socket) => this.onConnection(socket));
    server.on('request', (req, res) => {
      this.onRequest(req, res).catch((err) => {
        this.options.log?.(`simulator: internal error: ${(err as Error).stack}`);
        if (!res.headersSent) sendStatus(res, 500, 'Internal error occurred: the simulator failed to answer');
        else res.destroy();
      });
    });
  }

  static async start(options: SimulatorOptions = {}): Promise<Simulator> {
    const cert = await createServingCertificate();
    const server = createServer({ cert: cert.certPem, key: cert.keyPem, keepAlive: true });
    // Watches are long-lived; Node's default 5-minute request timeout would cut them.
    server.requestTimeout = 0;
    server.keepAliveTimeout = 60_000;
    const sim = new Simulator(server, cert.caPem, options);
    await sim.listen(options.port ?? 0);
    sim.eventTtl.start();
    if (options.podLifecycle ?? true) {
      sim.scheduler.start();
      sim.runtime.start();
    }
    sim.kubelet.start();
    sim.nodes.start();
    sim.jobTracking.start();
    sim.jobs.start();
    sim.leases?.start();
    if ((options.churnPerSecond ?? 2) > 0) sim.churn.start();
    return sim;
  }

  /** How many changes of each kind the churn made. */
  get churnStats(): Readonly<Churn['stats']> {
    return this.churn.stats;
  }

  get host(): string {
    return this.options.host ?? '127.0.0.1';
  }

  get url(): string {
    const host = this.host.includes(':') ? `[${this.host}]` : this.host;
    return `https://${host}:${this.port}`;
  }

  /**
   * Adds a user (or gives a token to another one) while running: requests with `token` are
   * `user` from now on, in `groups` and system:authenticated.
   */
  addUser(user: SimUser): void {
    this.access.authenticator.add(user);
  }

  /** Forgets a token: requests with it get 401 Unauthorized from now on. True when it was known. */
  removeUser(token: string): boolean {
    return this.access.authenticator.remove(token);
  }

  get faults(): FaultSettings {
    return { ...this.faultSettings };
  }

  /** Sets fault settings and runs one-shot actions, exactly as `POST /simulator/faults` does. */
  injectFaults(
    request: Partial<FaultSettings> & FaultActions,
    /** Runs the disruptive actions later, e.g. once the HTTP reply that asked for them is sent. */
    defer: (action: () => void) => void = (action) => action(),
  ): FaultSettings {
    const { settings, actions } = parseFaultRequest(request, this.faultSettings);
    this.faultSettings = settings;
    if (actions.compact) this.store.compact();
    if (actions.resetNextRequests !== undefined) this.resetsPending = actions.resetNextRequests;
    defer(() => {
      if (actions.dropWatches) this.dropWatches(actions.dropWatches === 'end' ? 'end' : 'reset');
      if (actions.refuseConnectionsSeconds) this.refuseConnections(actions.refuseConnectionsSeconds);
    });
    return this.faults;
  }

  /** Ends every open watch stream ('end') or resets its connection ('reset'). */
  dropWatches(mode: 'end' | 'reset' = 'reset'): number {
    const count = this.watches.size;
    for (const res of [...this.watches]) {
      if (mode === 'end') res.end();
      else res.socket?.destroy();
    }
    return count;
  }

  /** The API server goes away: the listener closes and every connection drops, for `seconds`. */
  refuseConnections(seconds: number): void {
    if (this.refusing) clearTimeout(this.refusing);
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.refusing = setTimeout(() => {
      this.refusing = undefined;
      this.server.listen(this.port, this.host);
    }, seconds * 1000);
  }

  get down(): boolean {
    return this.refusing !== undefined;
  }

  compact(): void {
    this.store.compact();
  }

  /**
   * The write requests answered, oldest first (at most `auditLimit`): who made each one
   * (impersonated or not), on what, and the code. Tests read it to see a write was made as
   * the caller; `GET /simulator/audit` serves it to system:masters.
   */
  get audit(): readonly AuditRecord[] {
    return this.auditLog;
  }

  /**
   * Stops the churn, the job controller and the node-lease heartbeat: the cluster holds
   * still (tests compare states). What only reacts to clients' writes keeps going: the
   * kubelets finishing graceful deletions, cordon's taint, the job-tracking finalizers,
   * the scheduler and the kubelets' starting of clients' pods, events and their TTL.
   */
  pauseActivity(): void {
    this.churn.stop();
    this.jobs.stop();
    this.leases?.stop();
  }

  /** Restarts what pauseActivity() stopped (the churn only if it was configured). */
  resumeActivity(): void {
    this.jobs.start();
    this.leases?.start();
    if ((this.options.churnPerSecond ?? 2) > 0) this.churn.start();
  }

  openWatchCount(): number {
    return this.watches.size;
  }

  /** A kubeconfig with the CA, a token user and one context, as `--kubeconfig-out` writes it. */
  kubeconfig(options: { token?: string; context?: string; namespace?: string } = {}): string {
    const context = options.context ?? 'kubegate-simulator';
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: context,
          cluster: {
            server: this.url,
            'certificate-authority-data': Buffer.from(this.caPem).toString('base64'),
          },
        },
      ],
      users: [{ name: `${context}-user`, user: { token: options.token ?? this.adminToken } }],
      contexts: [
        {
          name: context,
          context: {
            cluster: context,
            user: `${context}-user`,
            ...(options.namespace ? { namespace: options.namespace } : {}),
          },
        },
      ],
      'current-context': context,
      preferences: {},
    });
  }

  async close(): Promise<void> {
    this.churn.stop();
    this.jobs.stop();
    this.leases?.stop();
    this.kubelet.stop();
    this.nodes.stop();
    this.jobTracking.stop();
    this.runtime.stop();
    this.scheduler.stop();
    this.scheduler.accounting.close();
    this.recorder.stop();
    this.eventTtl.stop();
    if (this.refusing) clearTimeout(this.refusing);
    this.refusing = undefined;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  /**
   * The injected latency, then maybe the injected error, for a request of this verb and
   * resource: the bytes of the error answer when one was sent, else undefined (serve it).
   */
  private async injectedFault(
    res: ServerResponse,
    verb: ApiVerb,
    resource: FaultResource,
  ): Promise<number | undefined> {
    const faults = this.faultSettings;
    if (!faultApplies(faults, verb, resource)) return undefined;
    if (this.resetsPending > 0) {
      this.resetsPending -= 1;
      this.metrics.faultsInjected.inc({ code: 'reset' });
      // Counted in apiserver_request_total under code "0": it arrived, and nothing answered it.
      res.statusCode = 0;
      res.socket?.destroy();
      return 0;
    }
    if (faults.latencyMs > 0) await new Promise((r) => setTimeout(r, faults.latencyMs));
    if (!(faults.errorRate > 0 && Math.random() < faults.errorRate)) return undefined;
    const code = faults.errorCode;
    const headers: Record<string, string> =
      code === 429 ? { 'Retry-After': String(faults.retryAfterSeconds) } : {};
    const message =
      code === 429
        ? 'Too many requests, please try again later.'
        : code === 503
          ? 'The server is currently unable to handle the request'
          : 'Internal error occurred: injected fault';
    this.metrics.faultsInjected.inc({ code: String(code) });
    return sendStatus(res, code, message, undefined, code === 429 ? { kind: resource } : undefined, headers);
  }

  private onConnection(socket: Socket): void {
    if (this.refusing) {
      socket.destroy();
      return;
    }
    this.metrics.connectionsAccepted.inc();
    this.metrics.openConnections.inc();
    this.sockets.add(socket);
    socket.on('close', () => {
      this.sockets.delete(socket);
      this.metrics.openConnections.dec();
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://simulator');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    this.options.log?.(`${req.method} ${req.url}`);

    // The simulator's own instruments: /metrics is read by benchmarks and tests without a
    // token (a real server's needs the system:monitoring role), never authenticated.
    if (path === '/metrics') {
      const text = await this.metrics.text();
      res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text);
      return;
    }

    // As kube-apiserver's filters: authentication, impersonation, then authorisation of what
    // the request asks (computed from the path before any routing), for every path.
    const identity = this.access.identify(req, res);
    if ('refused' in identity) return;
    const { user } = identity;
    if (path === '/simulator/faults') {
      await this.serveFaults(req, res, user);
      return;
    }
    if (path === '/simulator/audit') {
      this.serveAudit(req, res, user, url.searchParams);
      return;
    }
    const info = requestInfo(req.method ?? 'GET', decodedPath(url.pathname), url.searchParams);
    const target = parseResourcePath(path);
    const verb = target && req.method ? verbOf(req.method, target, url.searchParams) : undefined;
    // Every write to a served resource is recorded as it is answered (before the client can
    // read the answer), refusals included.
    let written: { name?: string; dryRun: boolean } | undefined;
    const audit = () => {
      if (target && WRITE_METHODS.has(req.method ?? ''))
        this.record(
          req,
          res.statusCode,
          user,
          identity.impersonator,
          info,
          target,
          written,
          url.searchParams,
        );
    };
    // Served beside the stored kinds: metrics.k8s.io (when on) and container logs.
    const metricsTarget = this.metricsApi ? parseMetricsPath(path) : undefined;
    const logTarget = parsePodLogPath(path);
    const served = metricsTarget
      ? {
          verb: (metricsTarget.name
            ? 'GET'
            : queryBool(url.searchParams, 'watch')
              ? 'WATCH'
              : 'LIST') as ApiVerb,
          resource: metricsResourceLabel(metricsTarget.resource),
        }
      : logTarget
        ? { verb: 'GET' as ApiVerb, resource: 'pods/log' as const }
        : undefined;
    const decision = this.access.authorize(user, info);
    if (!decision.allowed) {
      sendForbidden(res, decision.attributes, decision.reason);
      if (target && verb) this.metrics.requests.inc({ verb, resource: target.resource, code: '403' });
      if (served) this.metrics.requests.inc({ ...served, code: '403' });
      audit();
      return;
    }

    // Public as system:public-info-viewer makes them (any authenticated or anonymous caller).
    if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    if (serveOpenApi(req, res, path, url.searchParams) !== undefined) return;
    const discovery = discoveryDocument(path, { metrics: this.metricsApi });
    if (discovery && req.method === 'GET') {
      sendJson(res, 200, discovery);
      return;
    }
    const review = parseReviewPath(path);
    if (review) {
      const resource = review.review.resource;
      // A review is an API request like any other: slow or failing when the server is.
      const injected = req.method === 'POST' ? await this.injectedFault(res, 'CREATE', resource) : undefined;
      const bytes = injected ?? (await serveReview(this.access.reviews, req, res, review, user));
      this.metrics.requests.inc({ verb: 'CREATE', resource, code: String(res.statusCode) });
      this.metrics.responseBytes.inc({ verb: 'CREATE', resource }, bytes);
      return;
    }
    if (served) {
      const { verb: servedVerb, resource } = served;
      const injected = await this.injectedFault(res, servedVerb, resource);
      const ctx = { store: this.store, clock: this.logClock };
      let bytes = injected;
      if (bytes === undefined && metricsTarget) {
        bytes = serveMetrics(
          {
            store: this.store,
            nowMs: this.logClock.now(),
            resolutionMs: (this.options.metricsResolutionSeconds ?? 15) * 1000,
          },
          req,
          res,
          metricsTarget,
          url.searchParams,
        );
      } else if (bytes === undefined) {
        // kube-apiserver counts a pods/log request as long-running while it is open (a follow for minutes).
        this.metrics.openWatches.inc({ verb: servedVerb, resource });
        try {
          bytes = await servePodLog(ctx, req, res, logTarget!, url.searchParams);
        } finally {
          this.metrics.openWatches.dec({ verb: servedVerb, resource });
        }
      }
      this.metrics.requests.inc({ verb: servedVerb, resource, code: String(res.statusCode) });
      this.metrics.responseBytes.inc({ verb: servedVerb, resource }, bytes);
      return;
    }
    if (!target || !verb) {
      if (target) {
        sendStatus(res, 405, `method ${req.method} is not supported on ${path}`, 'MethodNotAllowed');
        audit();
      } else
        sendStatus(res, 404, 'the server could not find the requested resource', 'NotFound', { kind: path });
      return;
    }
    const { resource } = target;
    const done = (code: number) => this.metrics.requests.inc({ verb, resource, code: String(code) });

    if (verb === 'LIST') {
      // In flight from its arrival (injected latency included) until the answer's last byte left (or the client went): metrics.ts.
      const ended = this.metrics.listStarted();
      res.once('finish', ended);
      res.once('close', ended);
    }
    if ((await this.injectedFault(res, verb, resource)) !== undefined) {
      done(res.statusCode);
      audit();
      return;
    }

    const bytes = await handleResource(
      {
        store: this.store,
        now: () => new Date(),
        bookmarkIntervalMs: this.options.bookmarkIntervalMs ?? 10_000,
        trackWatch: (r, stream) => this.trackWatch(r, stream),
        countWatchEvent: (r, type) => this.metrics.watchEvents.inc({ resource: r, type }),
        addBytes: (n) => this.metrics.responseBytes.inc({ verb, resource }, n),
        admit: RBAC_KINDS.has(resource)
          ? this.access.admission(user, info, resource as RbacResource)
          : undefined,
        wrote: (obj, dryRun) => {
          written = { name: obj.metadata.name, dryRun };
        },
      },
      req,
      res,
      target,
      verb,
      url.searchParams,
    );
    this.metrics.responseBytes.inc({ verb, resource }, bytes);
    done(res.statusCode);
    audit();
  }

  private trackWatch(resource: ResourceName, res: ServerResponse): () => void {
    this.watches.add(res);
    this.metrics.openWatches.inc({ verb: 'WATCH', resource });
    let open = true;
    return () => {
      if (!open) return;
      open = false;
      this.watches.delete(res);
      this.metrics.openWatches.dec({ verb: 'WATCH', resource });
    };
  }

  private record(
    req: IncomingMessage,
    code: number,
    user: UserInfo,
    impersonator: UserInfo | undefined,
    info: RequestInfo,
    target: Target,
    written: { name?: string; dryRun: boolean } | undefined,
    query: URLSearchParams,
  ): void {
    const name = written?.name ?? target.name;
    const userAgent = req.headers['user-agent'];
    this.auditLog.push({
      seq: ++this.auditSeq,
      time: new Date().toISOString(),
      user: user.name,
      groups: [...user.groups],
      ...(impersonator
        ? { impersonatedBy: { user: impersonator.name, groups: [...impersonator.groups] } }
        : {}),
      verb: info.verb,
      apiGroup: RESOURCES[target.resource].group,
      resource: target.resource,
      ...(target.subresource ? { subresource: target.subresource } : {}),
      ...(target.namespace ? { namespace: target.namespace } : {}),
      ...(name ? { name } : {}),
      code,
      dryRun: written?.dryRun ?? query.getAll('dryRun').length > 0,
      ...(userAgent ? { userAgent } : {}),
    });
    const limit = this.options.auditLimit ?? 10_000;
    if (this.auditLog.length > limit) this.auditLog.splice(0, this.auditLog.length - limit);
  }

  private serveAudit(
    req: IncomingMessage,
    res: ServerResponse,
    user: UserInfo,
    query: URLSearchParams,
  ): void {
    // Not an API of Kubernetes: only a member of system:masters may read who did what.
    if (!user.groups.includes(SYSTEM_MASTERS)) {
      sendStatus(
        res,
        403,
        `User "${user.name}" may not read the simulator's audit: a user in group "${SYSTEM_MASTERS}" is required`,
        'Forbidden',
      );
      return;
    }
    if (req.method !== 'GET') {
      sendStatus(res, 405, `expected GET on /simulator/audit, received ${req.method}`);
      return;
    }
    const since = Number(query.get('since') ?? 0);
    sendJson(res, 200, { items: this.auditLog.filter((r) => r.seq > since) });
  }

  private async serveFaults(req: IncomingMessage, res: ServerResponse, user: UserInfo): Promise<void> {
    // Not an API of Kubernetes: only a member of system:masters may break the cluster.
    if (!user.groups.includes(SYSTEM_MASTERS)) {
      sendStatus(
        res,
        403,
        `User "${user.name}" may not change the simulator's faults: a user in group "${SYSTEM_MASTERS}" is required`,
        'Forbidden',
      );
      return;
    }
    if (req.method === 'GET') {
      sendJson(res, 200, this.faults);
      return;
    }
    if (req.method !== 'POST') {
      sendStatus(res, 405, `expected GET or POST on /simulator/faults, received ${req.method}`);
      return;
    }
    try {
      const body = JSON.parse((await readBody(req, 64 * 1024)) || '{}');
      sendJson(
        res,
        200,
        this.injectFaults(body, (action) => res.once('finish', action)),
      );
    } catch (err) {
      if (err instanceof FaultInputError || err instanceof SyntaxError) {
        sendStatus(res, 400, `invalid fault request: ${(err as Error).message}`, 'BadRequest');
        return;
      }
      throw err;
    }
  }
}

/** Go's URL.Path: the path with its escapes decoded (a malformed escape leaves it as sent). */
function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

export function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  return Simulator.start(options);
}
