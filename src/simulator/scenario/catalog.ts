/**
 * The catalog a scenario draws from: the teams that own namespaces and apps, and the
 * shapes of what they run (team-built services, stateful backends, batch jobs). Data
 * only; deployments.ts, stateful-sets.ts and job-objects.ts build workloads from it.
 */
import { ENV_NODE_NAME, ENV_POD_IP, ENV_POD_NAME, execProbe, httpProbe, tcpProbe } from './containers.js';
import { deepFreeze, type Json } from './json.js';

/** Teams own namespaces (`<team>-<environment>`) and apps (`<team>-<component>`). */
export const TEAMS = (
  'payments checkout search identity billing catalog inventory shipping analytics ' +
  'platform observability data ml notifications growth fraud ledger media ' +
  'recommendations support auth orders pricing risk marketing partners mobile storefront ' +
  'logistics messaging'
).split(' ');
export const ENVIRONMENTS = ['prod', 'staging', 'dev', 'qa'];
export const COMPONENTS = (
  'api worker frontend consumer scheduler gateway sync indexer cache proxy ingest ' +
  'exporter processor notifier web admin graphql webhook reconciler grpc'
).split(' ');

/** How a team-built service runs: its ports, env, command and probes. */
export interface Runtime {
  ports: readonly Json[];
  env: readonly Json[];
  command?: readonly string[];
  args?: readonly string[];
  liveness?: Json;
  readiness?: Json;
  startup?: Json;
}

/** Shapes of the team-built services that make up most of a cluster's pods. */
export const RUNTIMES: readonly Runtime[] = deepFreeze([
  {
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
    ],
    env: [
      { name: 'LOG_LEVEL', value: 'info' },
      { name: 'GOMAXPROCS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } } },
      ENV_POD_NAME,
    ],
    liveness: httpProbe('/healthz', 'http'),
    readiness: httpProbe('/readyz', 'http', { periodSeconds: 5 }),
  },
  {
    ports: [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'management', containerPort: 8081, protocol: 'TCP' },
    ],
    env: [
      {
        name: 'JAVA_TOOL_OPTIONS',
        value: '-XX:MaxRAMPercentage=75.0 -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError',
      },
      { name: 'MANAGEMENT_SERVER_PORT', value: '8081' },
    ],
    liveness: httpProbe('/actuator/health/liveness', 'management', { timeoutSeconds: 3 }),
    readiness: httpProbe('/actuator/health/readiness', 'management', { timeoutSeconds: 3 }),
    startup: httpProbe('/actuator/health/liveness', 'management', { periodSeconds: 5, failureThreshold: 30 }),
  },
  {
    ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }],
    env: [
      { name: 'NODE_ENV', value: 'production' },
      { name: 'NODE_OPTIONS', value: '--max-old-space-size=768 --enable-source-maps' },
      { name: 'PORT', value: '3000' },
    ],
    liveness: httpProbe('/health', 'http', { initialDelaySeconds: 10 }),
    readiness: httpProbe('/health', 'http'),
  },
  {
    ports: [],
    env: [
      { name: 'PYTHONUNBUFFERED', value: '1' },
      { name: 'CELERY_BROKER_URL', valueFrom: { secretKeyRef: { name: 'broker-credentials', key: 'url' } } },
      ENV_POD_NAME,
      ENV_NODE_NAME,
    ],
    command: ['celery'],
    args: ['-A', 'app', 'worker', '--loglevel=INFO', '--concurrency=4'],
    liveness: execProbe(['celery', '-A', 'app', 'inspect', 'ping', '-d', 'celery@$HOSTNAME'], {
      periodSeconds: 30,
      timeoutSeconds: 10,
    }),
  },
  {
    ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
    env: [{ name: 'NGINX_ENTRYPOINT_QUIET_LOGS', value: '1' }, ENV_POD_IP],
    liveness: httpProbe('/', 'http'),
    readiness: httpProbe('/', 'http', { periodSeconds: 5 }),
  },
]);

/** A stateful backend: image, port, data directory, env and the probe for both liveness and readiness. */
export interface StatefulKind {
  name: string;
  image: string;
  port: number;
  mountPath: string;
  env: readonly Json[];
  probe: Json;
}

export const STATEFUL_KINDS: readonly StatefulKind[] = deepFreeze([
  {
    name: 'postgres',
    image: 'docker.io/library/postgres:16.6',
    port: 5432,
    mountPath: '/var/lib/postgresql/data',
    env: [
      {
        name: 'POSTGRES_PASSWORD',
        valueFrom: { secretKeyRef: { name: 'postgres-credentials', key: 'password' } },
      },
      { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
    ],
    probe: execProbe(['pg_isready', '-U', 'postgres']),
  },
  {
    name: 'redis',
    image: 'docker.io/library/redis:7.4.1',
    port: 6379,
    mountPath: '/data',
    env: [{ name: 'REDIS_REPLICATION_MODE', value: 'master' }],
    probe: execProbe(['redis-cli', 'ping'], { timeoutSeconds: 2 }),
  },
  {
    name: 'kafka',
    image: 'docker.io/bitnami/kafka:3.8.1',
    port: 9092,
    mountPath: '/bitnami/kafka',
    env: [
      { name: 'KAFKA_CFG_PROCESS_ROLES', value: 'controller,broker' },
      { name: 'KAFKA_HEAP_OPTS', value: '-Xmx1024m -Xms1024m' },
      ENV_POD_NAME,
    ],
    probe: tcpProbe(9092),
  },
  {
    name: 'elasticsearch',
    image: 'docker.elastic.co/elasticsearch/elasticsearch:8.15.3',
    port: 9200,
    mountPath: '/usr/share/elasticsearch/data',
    env: [
      { name: 'discovery.type', value: 'single-node' },
      { name: 'ES_JAVA_OPTS', value: '-Xms1g -Xmx1g' },
      { name: 'xpack.security.enabled', value: 'false' },
    ],
    probe: httpProbe('/_cluster/health?local=true', 9200, { timeoutSeconds: 5 }),
  },
  {
    name: 'rabbitmq',
    image: 'docker.io/library/rabbitmq:3.13-management',
    port: 5672,
    mountPath: '/var/lib/rabbitmq',
    env: [
      {
        name: 'RABBITMQ_ERLANG_COOKIE',
        valueFrom: { secretKeyRef: { name: 'rabbitmq-cookie', key: 'cookie' } },
      },
    ],
    probe: execProbe(['rabbitmq-diagnostics', '-q', 'ping'], { timeoutSeconds: 10, periodSeconds: 30 }),
  },
]);

/** What batch jobs run: backups, reports, syncs, clean-ups, imports, migrations. */
export const JOB_KINDS = deepFreeze([
  {
    name: 'db-backup',
    image: 'docker.io/library/postgres:16.6',
    command: ['sh', '-c', 'pg_dump "$DATABASE_URL" | gzip > /backup/dump.sql.gz'],
  },
  {
    name: 'report-generator',
    image: 'registry.acme.io/analytics/reports:2.4.1',
    command: ['python', '-m', 'reports.generate', '--period=daily'],
  },
  {
    name: 'data-sync',
    image: 'docker.io/amazon/aws-cli:2.18.0',
    command: ['aws', 's3', 'sync', 's3://acme-exports', '/data'],
  },
  {
    name: 'cleanup',
    image: 'docker.io/library/busybox:1.36.1',
    command: ['sh', '-c', 'find /cache -mtime +7 -delete'],
  },
  {
    name: 'etl-import',
    image: 'registry.acme.io/data/etl:0.19.3',
    command: ['/etl', 'import', '--source=warehouse'],
  },
  { name: 'migrate', image: 'registry.acme.io/platform/migrations:5.1.0', command: ['/migrate', 'up'] },
  { name: 'cert-rotation', image: 'registry.acme.io/platform/certs:1.2.0', command: ['/rotate', '--all'] },
]);
