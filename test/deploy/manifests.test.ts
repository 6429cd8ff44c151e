/**
 * deploy/ and the Dockerfile, checked as they are used: the kustomizations rendered by the
 * real kubectl, the ClusterRoles compared both ways with the calls the code makes
 * (src/kube/upstream-calls.ts, built from the kind registry), the ConfigMap's kubegate.yaml
 * through the CLI's own config loader, the Dockerfile's stages, and the production
 * dependency tree from the lockfile. (in-cluster.test.ts runs the result against a simulator.)
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { parseCli, plan, validateConfigFile } from '../../src/config.js';
import { gatewayCalls, UPSTREAM_CALLS } from '../../src/kube/upstream-calls.js';
import {
  dockerfileStages,
  grantedTo,
  type Manifest,
  only,
  packageName,
  productionTree,
  ROOT,
  readLockfile,
  render,
  setDiff,
  tripleOf,
} from './deploy-kit.js';

let base: Manifest[];
let writes: Manifest[];

beforeAll(async () => {
  [base, writes] = await Promise.all([render('deploy'), render('deploy/writes')]);
}, 120_000);

const serviceAccount = () => {
  const sa = only(base, 'ServiceAccount');
  return { namespace: sa.metadata.namespace, name: sa.metadata.name };
};

describe('RBAC: the ClusterRoles grant exactly the calls the gateway makes as itself', () => {
  it('deploy/ (read-only) grants every read and review, and nothing more', () => {
    const expected = gatewayCalls({ writes: false }).map(tripleOf);
    const diff = setDiff(expected, grantedTo(base, serviceAccount()));
    expect(diff, `deploy/ ClusterRole vs src/kube/upstream-calls.ts:\n${diff.join('\n')}`).toEqual([]);
  });

  it('deploy/writes adds impersonation (users, groups, service accounts, uids), and nothing more', () => {
    const expected = gatewayCalls({ writes: true }).map(tripleOf);
    const diff = setDiff(expected, grantedTo(writes, serviceAccount()));
    expect(diff, `deploy/writes ClusterRoles vs src/kube/upstream-calls.ts:\n${diff.join('\n')}`).toEqual([]);
    const added = setDiff(grantedTo(base, serviceAccount()), grantedTo(writes, serviceAccount()));
    expect(added).toEqual([
      '+ extra:   /groups impersonate',
      '+ extra:   /serviceaccounts impersonate',
      '+ extra:   /users impersonate',
      '+ extra:   authentication.k8s.io/uids impersonate',
    ]);
  });

  it('the table holds every kind of the registry, the fixed extras, and no write verb for the gateway', () => {
    const gateway = gatewayCalls({ writes: true }).map(tripleOf);
    for (const t of [
      '/pods list',
      '/pods watch',
      '/pods get',
      'batch/jobs watch',
      '/events watch',
      'rbac.authorization.k8s.io/clusterrolebindings watch',
      'authentication.k8s.io/tokenreviews create',
      'authorization.k8s.io/subjectaccessreviews create',
      'metrics.k8s.io/nodes list',
      'metrics.k8s.io/pods get',
      '/pods/log get',
    ]) {
      expect(gateway).toContain(t);
    }
    // Writes are made as the caller: listed, but never granted to the gateway itself.
    const writeVerbs = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
    const reviews = new Set(['tokenreviews', 'subjectaccessreviews']);
    expect(
      gatewayCalls({ writes: true }).filter((c) => writeVerbs.has(c.verb) && !reviews.has(c.resource)),
    ).toEqual([]);
    expect(UPSTREAM_CALLS.filter((c) => c.as === 'caller').map(tripleOf)).toContain('/pods/eviction create');
  });

  it('binds the role to the rendered ServiceAccount, in the namespace it is rendered in', () => {
    expect(serviceAccount()).toEqual({ namespace: 'kubegate', name: 'kubegate' });
    for (const manifests of [base, writes]) {
      for (const binding of manifests.filter((m: Manifest) => m.kind === 'ClusterRoleBinding')) {
        expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', ...serviceAccount() }]);
      }
    }
    expect(only(base, 'Deployment').spec.template.spec.serviceAccountName).toBe('kubegate');
  });
});

describe('the Deployment, Service and PodDisruptionBudget', () => {
  const deployment = () => only(base, 'Deployment');
  const pod = () => deployment().spec.template.spec;
  const container = () => {
    expect(pod().containers).toHaveLength(1);
    return pod().containers[0];
  };
  const config = () => {
    const map = only(base, 'ConfigMap');
    return validateConfigFile(parseYaml(map.data['kubegate.yaml']), 'the rendered ConfigMap');
  };

  it('runs two replicas, each probed on /readyz and /livez of its http port', () => {
    expect(deployment().spec.replicas).toBe(2);
    expect(deployment().spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    const c = container();
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(c.startupProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    const ports = Object.fromEntries(c.ports.map((p: Manifest) => [p.name, p.containerPort]));
    expect(ports).toEqual({ http: config().server?.port, metrics: config().metrics?.port });
  });

  it('runs as non-root on a read-only root filesystem, without privileges or capabilities', () => {
    expect(pod().securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container().securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it('has requests and limits, memory above the RSS measured at small scale (258 MB)', () => {
    const { requests, limits } = container().resources;
    expect(requests.cpu).toBeDefined();
    expect(limits.cpu).toBeDefined();
    const bytes = (q: string) => {
      const [, n, unit] = q.match(/^(\d+)(Mi|Gi)$/) ?? [];
      expect(n, `a memory quantity in Mi or Gi, received ${q}`).toBeDefined();
      return Number(n) * 1024 ** (unit === 'Gi' ? 3 : 2);
    };
    expect(bytes(requests.memory)).toBeGreaterThan(258e6);
    expect(bytes(limits.memory)).toBeGreaterThan(bytes(requests.memory));
  });

  it('gives SIGTERM longer than the configured drain delay and timeout', () => {
    const { server } = config();
    const drainSeconds = ((server?.shutdownDelayMs ?? 5000) + (server?.shutdownTimeoutMs ?? 10000)) / 1000;
    expect(pod().terminationGracePeriodSeconds).toBeGreaterThan(drainSeconds);
  });

  it('spreads replicas over zones and nodes, and a budget keeps one during a drain', () => {
    const labels = deployment().spec.template.metadata.labels;
    expect(pod().topologySpreadConstraints.map((t: Manifest) => t.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    for (const t of pod().topologySpreadConstraints)
      expect(labels).toMatchObject(t.labelSelector.matchLabels);
    const pdb = only(base, 'PodDisruptionBudget');
    expect(pdb.spec.minAvailable).toBe(1);
    expect(labels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(labels).toMatchObject(deployment().spec.selector.matchLabels);
  });

  it('has a Service whose http port reaches the pods', () => {
    const service = only(base, 'Service');
    expect(deployment().spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  });

  it("passes --config the ConfigMap's kubegate.yaml, mounted from the generated ConfigMap", () => {
    const c = container();
    const [flag, path] = c.args;
    expect(flag).toBe('--config');
    const mount = c.volumeMounts.find((m: Manifest) => path.startsWith(`${m.mountPath}/`));
    expect(mount?.readOnly).toBe(true);
    const volume = pod().volumes.find((v: Manifest) => v.name === mount.name);
    const map = only(base, 'ConfigMap');
    // The generated name (with the content's hash), so a new configuration rolls the pods.
    expect(volume.configMap.name).toBe(map.metadata.name);
    expect(map.metadata.name).toMatch(/^kubegate-config-[a-z0-9]{10}$/);
    expect(path.slice(mount.mountPath.length + 1)).toBe('kubegate.yaml');
  });

  it('the CLI accepts the configuration: the cluster it runs in, TokenReview auth, every interface', () => {
    const what = plan(parseCli(container().args, {}), config(), {});
    expect(what.sources).toEqual([{ type: 'in-cluster', name: 'in-cluster', authorization: 'rbac' }]);
    expect(what.simulators).toEqual([]);
    expect(what.kubernetes).toEqual({ cluster: 'in-cluster' });
    expect(what.identities).toBe(true);
    expect(what.open).toBe(false);
    expect(what.host).toBe('0.0.0.0');
    expect(what.shutdown).toEqual({ delayMs: 5000, timeoutMs: 10000 });
    expect(what.metricsListener).toEqual({ host: '0.0.0.0', port: 9090 });
  });
});

describe('the image', () => {
  const stages = dockerfileStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  const final = stages.at(-1)!;
  const byName = (name: string) => stages.find((s) => s.name === name);
  const runs = (stage: { instructions: { keyword: string; args: string }[] }) =>
    stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);

  it('is node:24-slim at every stage, and has no HEALTHCHECK (Kubernetes probes)', () => {
    expect(stages.map((s) => s.image)).toEqual(['node:24-slim', 'node:24-slim', 'node:24-slim']);
    for (const s of stages) expect(s.instructions.map((i) => i.keyword)).not.toContain('HEALTHCHECK');
  });

  it('copies node_modules only from a stage that installed the production dependencies', () => {
    const copies = final.instructions.filter((i) => i.keyword === 'COPY');
    const modules = copies.filter((i) => /node_modules/.test(i.args));
    expect(modules).toHaveLength(1);
    const from = byName(modules[0].flags.from);
    expect(from, `COPY --from=${modules[0].flags.from}: no such stage`).toBeDefined();
    expect(runs(from!)).toContainEqual(expect.stringMatching(/^npm ci .*--omit=dev/));
    // dist/ comes from the stage that built it; nothing else of another stage is copied.
    const dist = copies.find((i) => /\bdist\b/.test(i.args));
    expect(runs(byName(dist!.flags.from)!)).toContain('npm run build');
    expect(copies.map((i) => i.args)).toEqual([
      '/app/node_modules ./node_modules',
      '/app/dist ./dist',
      'package.json ./',
    ]);
  });

  it('runs dist/main.js as uid 1000 with NODE_ENV=production, on the ports the configuration names', () => {
    const last = (keyword: string) => final.instructions.filter((i) => i.keyword === keyword).at(-1)?.args;
    expect(last('USER')).toBe('1000:1000');
    expect(last('ENV')).toBe('NODE_ENV=production');
    // The heap sized from the container's memory limit, not Node's default (560 MB under
    // 1 GiB, ~4.2 GB at most): bench/results/heap-limit.md.
    const entrypoint = JSON.parse(last('ENTRYPOINT')!) as string[];
    expect(entrypoint).toEqual([
      'node',
      '--enable-source-maps',
      '--max-old-space-size-percentage=75',
      '--no-allocation-site-pretenuring',
      'dist/main.js',
    ]);
    // Node 24 (the image's and ours) takes those flags and sizes the heap from them: 75 % of
    // this machine's memory is far above the 4.2 GB default.
    const limit = execFileSync(
      process.execPath,
      [...entrypoint.slice(1, -1), '-p', "require('node:v8').getHeapStatistics().heap_size_limit"],
      { encoding: 'utf8' },
    );
    const constrained = process.constrainedMemory();
    const available = constrained > 0 ? Math.min(constrained, totalmem()) : totalmem();
    expect(Number(limit)).toBeGreaterThan(0.7 * available);
    // Without arguments: the cluster it runs in (not the embedded simulator).
    expect(JSON.parse(last('CMD')!)).toEqual(['--in-cluster']);
    expect(plan(parseCli(['--in-cluster'], {}), {}, {}).sources).toEqual([{ type: 'in-cluster' }]);
    expect(last('EXPOSE')).toBe('4000 9090');
  });

  it('sends only the sources and the manifests of the build to the build context', () => {
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore).toEqual([
      '*',
      '!package.json',
      '!package-lock.json',
      '!tsconfig.json',
      '!tsconfig.build.json',
      '!src/',
    ]);
  });

  it('the production dependency tree holds no development dependency', () => {
    const lock = readLockfile();
    const tree = productionTree(lock);
    const names = new Set([...tree].map(packageName));
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const dev = Object.keys(pkg.devDependencies);
    expect(dev).toEqual(
      expect.arrayContaining(['vitest', 'tsx', 'typescript', '@biomejs/biome', 'playwright-core']),
    );
    // Type declarations only, and there because client-node lists them as a dependency of
    // its own (npm installs them with --omit=dev): no code of a development tool.
    expect(dev.filter((d) => names.has(d))).toEqual(['@types/node']);
    expect(lock.packages['node_modules/@kubernetes/client-node'].dependencies).toHaveProperty('@types/node');
    for (const tool of ['vite', 'esbuild', '@graphql-codegen/cli', 'autocannon', 'graphql-http']) {
      expect(names.has(tool), tool).toBe(false);
    }
    for (const dep of Object.keys(pkg.dependencies)) expect(names.has(dep), dep).toBe(true);
    // npm agrees: what it marks dev is exactly what the tree leaves out.
    const notDev = Object.keys(lock.packages).filter((p) => p && !lock.packages[p].dev);
    expect(setDiff(notDev, tree)).toEqual([]);
  });
});
