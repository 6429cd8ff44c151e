/** StatefulSets: the databases, caches and queues the teams run in their namespaces. */
import { STATEFUL_KINDS } from './catalog.js';
import { container, ENV_POD_NAME, randomResources } from './containers.js';
import { deepFreeze, type Json } from './json.js';
import { apiAccess, podSpecOf } from './pod-spec.js';
import {
  addWorkloadPods,
  type BuildContext,
  ownerRef,
  rolloutTime,
  type Workload,
  workloadTimes,
} from './pods.js';
import { DAY, pick, randomSuffix, randomUid } from './random.js';

/**
 * A StatefulSet of one of the catalog's backends: ordinal pod names, a data volume claim
 * per pod, a headless-service subdomain.
 */
export function statefulSet(
  ctx: BuildContext,
  namespace: string,
  team: string,
  name: string,
  replicas: number,
): void {
  const { random } = ctx;
  const kind = pick(random, STATEFUL_KINDS);
  const access = apiAccess(random);
  const revision = `${name}-${randomSuffix(random, 10)}`;
  const spec = podSpecOf({
    volumes: [access.volume],
    containers: [
      container({
        name: kind.name,
        image: kind.image,
        ports: [{ name: 'tcp', containerPort: kind.port, protocol: 'TCP' }],
        env: [...kind.env, ENV_POD_NAME],
        resources: randomResources(random, 1),
        volumeMounts: [{ name: 'data', mountPath: kind.mountPath }, access.mount],
        livenessProbe: kind.probe,
        readinessProbe: kind.probe,
      }),
    ],
    terminationGracePeriodSeconds: 60,
    serviceAccountName: 'default',
    securityContext: { fsGroup: 999, runAsUser: 999 },
  });
  const base = deepFreeze({
    'app.kubernetes.io/name': kind.name,
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/part-of': team,
    'controller-revision-hash': revision,
  });
  const w: Workload = {
    ownerKind: 'StatefulSet',
    namespace,
    labels: base,
    ownerReferences: deepFreeze([ownerRef('apps/v1', 'StatefulSet', name, randomUid(random))]),
    spec,
    manager: 'kube-controller-manager',
    ...workloadTimes(ctx, rolloutTime(ctx, 120 * DAY)),
    hostNetwork: false,
  };
  const volumes = spec.volumes as Json[];
  addWorkloadPods(
    ctx,
    w,
    replicas,
    (i) => `${name}-${i}`,
    (i, podName) => ({
      labels: {
        ...base,
        'apps.kubernetes.io/pod-index': String(i),
        'statefulset.kubernetes.io/pod-name': podName,
      },
      spec: {
        ...spec,
        volumes: [{ name: 'data', persistentVolumeClaim: { claimName: `data-${podName}` } }, ...volumes],
        hostname: podName,
        subdomain: `${name}-headless`,
      },
    }),
  );
}
