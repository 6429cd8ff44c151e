/** Deployments: most of a cluster's pods, each the replica of a team-built service. */
import { RUNTIMES } from './catalog.js';
import {
  CONTAINER_SECURITY,
  container,
  ENV_NODE_NAME,
  ENV_OTEL,
  ENV_POD_NAME,
  httpProbe,
  randomResources,
  resources,
} from './containers.js';
import { deepFreeze, EMPTY_OBJECT, type Json } from './json.js';
import { apiAccess, POD_SECURITY, podSpecOf } from './pod-spec.js';
import {
  addWorkloadPods,
  type BuildContext,
  ownerRef,
  rolloutTime,
  uniqueName,
  type Workload,
  workloadTimes,
} from './pods.js';
import { DAY, isoTime, pick, randomInt, randomSuffix, randomUid, SECOND } from './random.js';

/**
 * A team's Deployment, as the pods of its current ReplicaSet: one of the catalog's
 * runtimes with config and tmp volumes, env, probes and now and then a sidecar, a native
 * sidecar or an init container; hardened or not; spread or not.
 */
export function deployment(
  ctx: BuildContext,
  namespace: string,
  team: string,
  app: string,
  replicas: number,
): void {
  const { random } = ctx;
  const runtime = pick(random, RUNTIMES);
  const version = `${1 + randomInt(random, 3)}.${randomInt(random, 40)}.${randomInt(random, 10)}`;
  const image = `registry.acme.io/${team}/${app}:${version}`;
  const hash = randomSuffix(random, 10);
  const rsName = `${app}-${hash}`;
  const access = apiAccess(random);
  const volumes: Json[] = [];
  const mounts: Json[] = [];
  if (random() < 0.6) {
    volumes.push({ name: 'config', configMap: { name: `${app}-config`, defaultMode: 420 } });
    mounts.push({ name: 'config', readOnly: true, mountPath: `/etc/${app}` });
  }
  if (random() < 0.3) {
    volumes.push({ name: 'tmp', emptyDir: EMPTY_OBJECT });
    mounts.push({ name: 'tmp', mountPath: '/tmp' });
  }
  volumes.push(access.volume);
  mounts.push(access.mount);
  const env: Json[] = [...runtime.env, { name: 'SERVICE_NAME', value: app }];
  if (random() < 0.5) env.push(ENV_OTEL);
  const dbEnv = { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `${app}-db`, key: 'url' } } };
  if (random() < 0.3) env.push(dbEnv);
  const hardened = random() < 0.5;
  const containers: Json[] = [
    container({
      name: app,
      image,
      command: runtime.command,
      args: runtime.args,
      ports: runtime.ports,
      env,
      resources: randomResources(random),
      volumeMounts: mounts,
      livenessProbe: runtime.liveness,
      readinessProbe: runtime.readiness,
      startupProbe: runtime.startup,
      securityContext: hardened ? CONTAINER_SECURITY : undefined,
    }),
  ];
  const inits: Json[] = [];
  const extraRoll = random();
  if (extraRoll < 0.1) {
    containers.push(
      container({
        name: 'log-forwarder',
        image: 'cr.fluentbit.io/fluent/fluent-bit:3.1.9',
        env: [ENV_POD_NAME, ENV_NODE_NAME],
        resources: resources(['50m', '64Mi'], [undefined, '128Mi']),
        volumeMounts: [access.mount],
      }),
    );
  } else if (extraRoll < 0.15) {
    containers.push(
      container({
        name: 'cloud-sql-proxy',
        image: 'gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.14.1',
        args: ['--port=5432', '--structured-logs', `acme-prod:europe-west1:${team}`],
        resources: resources(['100m', '128Mi'], [undefined, '256Mi']),
        securityContext: CONTAINER_SECURITY,
      }),
    );
  }
  if (random() < 0.05) {
    inits.push(
      container({
        name: 'envoy',
        image: 'docker.io/envoyproxy/envoy:v1.32.2',
        args: ['-c', '/etc/envoy/envoy.yaml', '--log-level', 'warn'],
        ports: [{ name: 'envoy-admin', containerPort: 9901, protocol: 'TCP' }],
        resources: resources(['100m', '128Mi'], [undefined, '256Mi']),
        restartPolicy: 'Always',
        readinessProbe: httpProbe('/ready', 9901),
      }),
    );
  }
  if (random() < 0.08) {
    inits.push(
      container({
        name: 'wait-for-deps',
        image: 'docker.io/library/busybox:1.36.1',
        command: ['sh', '-c', 'until nc -z postgres 5432; do echo waiting for postgres; sleep 2; done'],
      }),
    );
  }
  if (random() < 0.05) {
    inits.push(
      container({
        name: 'migrate',
        image,
        args: ['migrate', 'up'],
        env: [dbEnv],
        volumeMounts: [access.mount],
      }),
    );
  }
  const selector = { 'app.kubernetes.io/name': app, 'app.kubernetes.io/instance': app };
  const spec = podSpecOf({
    volumes,
    initContainers: inits,
    containers,
    serviceAccountName: random() < 0.5 ? app : 'default',
    securityContext: hardened ? POD_SECURITY : undefined,
    imagePullSecrets: random() < 0.3 ? [{ name: 'regcred' }] : undefined,
    nodeSelector: random() < 0.2 ? { 'kubernetes.io/os': 'linux' } : undefined,
    affinity:
      replicas > 1 && random() < 0.3
        ? {
            podAntiAffinity: {
              preferredDuringSchedulingIgnoredDuringExecution: [
                {
                  weight: 100,
                  podAffinityTerm: {
                    labelSelector: { matchLabels: selector },
                    topologyKey: 'kubernetes.io/hostname',
                  },
                },
              ],
            },
          }
        : undefined,
    topologySpreadConstraints:
      replicas > 2 && random() < 0.3
        ? [
            {
              maxSkew: 1,
              topologyKey: 'topology.kubernetes.io/zone',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ]
        : undefined,
  });
  const labels: Record<string, string> = { ...selector };
  if (random() < 0.5) labels['app.kubernetes.io/part-of'] = team;
  if (random() < 0.5) labels['app.kubernetes.io/version'] = version;
  labels['pod-template-hash'] = hash;
  if (random() < 0.3) labels.app = app;
  let annotations: Record<string, string> | undefined;
  if (random() < 0.4) annotations = { 'prometheus.io/port': '9090', 'prometheus.io/scrape': 'true' };
  const created = rolloutTime(ctx, 90 * DAY);
  if (random() < 0.15)
    annotations = { ...annotations, 'kubectl.kubernetes.io/restartedAt': isoTime(created - SECOND) };
  const w: Workload = {
    ownerKind: 'ReplicaSet',
    namespace,
    generateName: `${rsName}-`,
    labels: deepFreeze(labels),
    annotations: annotations && deepFreeze(annotations),
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'ReplicaSet', rsName, randomUid(random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, created),
    hostNetwork: false,
  };
  addWorkloadPods(ctx, w, replicas, () =>
    uniqueName(ctx, namespace, () => `${rsName}-${randomSuffix(random)}`),
  );
}
