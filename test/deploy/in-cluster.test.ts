/**
 * The deployment as a cluster would run it, against the simulator (a real RBAC authoriser):
 * the image's files (src/ and package.json beside the production node_modules only, as the
 * Dockerfile's last stage has them), the rendered ConfigMap's kubegate.yaml, and the
 * rendered ClusterRoles and bindings created with kubectl for the rendered ServiceAccount,
 * whose token is the gateway's only credential. The simulator stands in for the API server:
 * the config's in-cluster entry becomes a kubeconfig to it with the service account's token
 * (one cluster per authorisation mode), nothing else changes.
 *
 * It proves the role is enough (caches synced, TokenReview and SubjectAccessReview answered,
 * the API server refused nothing), that the read-only role cannot write, and that
 * deploy/writes lets a caller's write through as the caller.
 */
import { cpSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { CALLER_WRITES } from '../../src/kube/upstream-calls.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { type CliProcess, printed, startCli } from '../helpers/cli-process.js';
import { scanText } from '../helpers/log-scan.js';
import { recordedSecrets, recordSecret } from '../helpers/test-log.js';
import { Kubectl } from '../simulator/kubectl-runner.js';
import { scrape } from '../simulator/sim-kit.js';
import {
  type Manifest,
  only,
  productionTree,
  ROOT,
  readLockfile,
  render,
  setDiff,
  triple,
  tripleOf,
} from './deploy-kit.js';

const RBAC_KINDS = new Set(['ClusterRole', 'ClusterRoleBinding']);
const key = (m: Manifest) => `${m.kind}/${m.metadata.name}`;

let base: Manifest[];
let writes: Manifest[];
let image: string;
let sim: Simulator;
let kubectl: Kubectl;
let cli: CliProcess;
let url: string;
let serviceAccountUser: string;

// With a uid and a group, so a write sends Impersonate-User, -Group and -Uid.
const alice = {
  token: 'deploy-test-alice-token-5f0c2a',
  user: 'alice',
  uid: 'alice-uid-1',
  groups: ['dashboard-users'],
};

/**
 * The image's /app: src/ (what dist/ is compiled from; run through tsx, loaded from the
 * repository, which resolves nothing of it here), package.json, and the packages
 * `npm ci --omit=dev` installs, copied from this checkout's node_modules.
 */
function imageFiles(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubegate-image-'));
  const tree = productionTree(readLockfile());
  const modules = realpathSync(join(ROOT, 'node_modules'));
  // The lockfile path of the package a file belongs to: up to its last node_modules/<name>.
  const packageOf = (rel: string) => rel.match(/^(?:.*\/)?node_modules\/(?:@[^/]+\/)?[^/]+/)?.[0] ?? rel;
  for (const path of tree) {
    if (path.indexOf('node_modules/', 1) > 0) continue; // nested: copied with its parent
    cpSync(join(modules, path.slice('node_modules/'.length)), join(dir, path), {
      recursive: true,
      filter: (source) => {
        const rel = `node_modules/${relative(modules, source)}`;
        // node_modules folders and scope folders hold packages; a package goes if it is in the tree.
        return /\/node_modules(\/@[^/]+)?$/.test(rel) || tree.has(packageOf(rel));
      },
    });
  }
  cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json']) cpSync(join(ROOT, file), join(dir, file));
  return dir;
}

/** Creates the rendered objects of these kinds in the simulator, with the real kubectl. */
async function create(manifests: Manifest[], name: string): Promise<void> {
  const file = join(kubectl.dir, `${name}.yaml`);
  writeFileSync(file, manifests.map((m) => `---\n${stringify(m)}`).join(''));
  await kubectl.ok(['create', '-f', file]);
}

async function graphql(query: string) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
    body: JSON.stringify({ query }),
  });
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: GraphQL answers are open-ended JSON
  return (await res.json()) as any;
}

beforeAll(async () => {
  [base, writes] = await Promise.all([render('deploy'), render('deploy/writes')]);
  image = imageFiles();
  const sa = only(base, 'ServiceAccount').metadata;
  serviceAccountUser = `system:serviceaccount:${sa.namespace}:${sa.name}`;
  const gateway = {
    token: 'deploy-test-service-account-token-9b3e71',
    user: serviceAccountUser,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${sa.namespace}`],
  };
  recordSecret(gateway.token, "the gateway's service account token");
  recordSecret(alice.token, "alice's token");
  sim = await startSimulator({
    churnPerSecond: 0,
    scenario: { nodes: 2, pods: 10, jobs: 1, namespaces: 2 },
    users: [gateway, alice],
  });
  recordSecret(sim.adminToken, 'simulator admin token');
  kubectl = new Kubectl(sim.kubeconfig());
  await create(
    base.filter((m) => RBAC_KINDS.has(m.kind)),
    'base-rbac',
  );
  // What alice may do in the cluster (the gateway asks on her behalf).
  await create(
    [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'dashboard' },
        rules: [
          {
            apiGroups: [''],
            resources: ['namespaces', 'nodes', 'pods', 'events'],
            verbs: ['get', 'list', 'watch'],
          },
          { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list', 'watch'] },
          { apiGroups: [''], resources: ['nodes'], verbs: ['patch'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'dashboard-users' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'dashboard' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'dashboard-users' }],
      },
    ],
    'dashboard',
  );

  // The rendered configuration; its in-cluster entry, per authorisation mode, reaches the
  // simulator with the service account's token. Loopback and free ports for the test.
  const config = parseYaml(only(base, 'ConfigMap').data['kubegate.yaml']);
  const [inCluster] = config.clusters;
  const kubeconfig = (context: string) => {
    const file = join(kubectl.dir, `${context}.kubeconfig`);
    writeFileSync(file, sim.kubeconfig({ token: gateway.token, context }), { mode: 0o600 });
    return file;
  };
  const { inCluster: _, name, ...options } = inCluster;
  config.clusters = [
    { kubeconfig: kubeconfig(name), contexts: [name], ...options },
    {
      kubeconfig: kubeconfig(`${name}-sar`),
      contexts: [`${name}-sar`],
      ...options,
      authorization: 'subjectAccessReview',
    },
  ];
  config.server.host = '127.0.0.1';
  config.metrics.host = '127.0.0.1';
  config.metrics.port = 0;
  // The test sends every mutation in a row: the write limits are a policy, not under test here.
  config.writes = { ...config.writes, qps: 1000, burst: 1000, perPrincipal: { perMinute: 10_000 } };
  const file = join(kubectl.dir, 'kubegate.yaml');
  writeFileSync(file, stringify(config));

  const tsx = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
  expect(existsSync(tsx), tsx).toBe(true);
  cli = startCli(['--config', file, '--port', '0', '--shutdown-delay-ms', '0'], {
    entry: ['--import', tsx, 'src/main.ts'],
    cwd: image,
    env: { PATH: process.env.PATH },
  });
  [, url] = await printed(cli.output, /kubegate listening on (http:\/\/\S+\/graphql)/, 60_000);
}, 180_000);

afterAll(async () => {
  cli?.child.kill('SIGKILL');
  await sim?.close();
  kubectl?.cleanup();
  if (image) rmSync(image, { recursive: true, force: true });
  if (cli) expect(scanText(cli.output(), recordedSecrets()), 'credentials in the CLI output').toEqual([]);
  // Removing the image's copy of the production node_modules (~145 MB, thousands of files)
  // takes more than the default 30 s on a machine busy with the rest of the suite.
}, 120_000);

describe('deploy/ against a cluster, as its service account', () => {
  it('runs from the production dependencies alone', () => {
    for (const dev of ['tsx', 'typescript', 'vitest', 'esbuild', '@biomejs/biome']) {
      expect(existsSync(join(image, 'node_modules', dev)), dev).toBe(false);
    }
    expect(existsSync(join(image, 'node_modules/graphql-yoga/package.json'))).toBe(true);
  });

  it('syncs every cache, the RBAC objects included, with the rendered ClusterRole alone', async () => {
    await printed(cli.output, /ready: caches synced/, 60_000);
    const ready = await fetch(url.replace(/\/graphql$/, '/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('in-cluster: synced\nin-cluster-sar: synced\n');
  }, 90_000);

  it('answers a caller checked by TokenReview, authorised by mirrored RBAC and by SubjectAccessReview', async () => {
    const answer = await graphql(
      '{ viewer { name source } clusters { name pods { totalCount } nodes { totalCount } } }',
    );
    expect(answer.errors).toBeUndefined();
    const counts = { pods: { totalCount: sim.store.count('pods') }, nodes: { totalCount: 2 } };
    expect(answer.data).toEqual({
      viewer: { name: 'alice', source: 'KUBERNETES' },
      clusters: [
        { name: 'in-cluster', ...counts },
        { name: 'in-cluster-sar', ...counts },
      ],
    });
  });

  it('was refused nothing by the API server', async () => {
    // Every request the gateway made (reads, watches) counted by verb, resource and code.
    const requests = [...(await scrape(sim)).keys()].filter((k) => k.startsWith('apiserver_request_total'));
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((k) => k.includes('code="403"'))).toEqual([]);
    // A refusal says "forbidden" (kube-apiserver's Status reason and message) and carries 403 as
    // a status or code. Not any 403: a port, a request id or a duration ("caches synced in
    // 403 ms") may hold those digits, and one did.
    const output = cli.output();
    expect(output).not.toMatch(/\bforbidden\b/i);
    expect(output).not.toMatch(/"(?:status|statusCode|code)":\s*"?403\b|\b403 Forbidden\b/i);
  });

  it('cannot write without deploy/writes: the API server refuses the impersonation', async () => {
    const node = [...sim.store.scan('nodes')][0].metadata.name;
    const answer = await graphql(
      `mutation { cordonNode(cluster: "in-cluster", name: "${node}", dryRun: true) { dryRun } }`,
    );
    expect(answer.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(answer.errors[0].message).toContain(`"${serviceAccountUser}" cannot impersonate resource "users"`);
  });

  it('with deploy/writes, writes as the caller: impersonated, never with its own rights', async () => {
    const added = writes.filter((m) => RBAC_KINDS.has(m.kind) && !base.some((b) => key(b) === key(m)));
    expect(added.map(key)).toEqual([
      'ClusterRole/kubegate-impersonate',
      'ClusterRoleBinding/kubegate-impersonate',
    ]);
    await create(added, 'writes-rbac');
    const node = [...sim.store.scan('nodes')][0].metadata.name;
    const answer = await graphql(
      `mutation { cordonNode(cluster: "in-cluster", name: "${node}") { node { name unschedulable } visible } }`,
    );
    expect(answer).toEqual({
      data: { cordonNode: { node: { name: node, unschedulable: true }, visible: true } },
    });
    const patches = sim.audit.filter((r) => r.resource === 'nodes' && r.verb === 'patch');
    expect(patches).toHaveLength(1);
    expect(patches[0]).toMatchObject({
      user: 'alice',
      groups: expect.arrayContaining(['dashboard-users']),
      impersonatedBy: { user: serviceAccountUser },
      code: 200,
    });
  });

  it('sends as the caller exactly the writes upstream-calls.ts lists (every mutation, dry run)', async () => {
    // Alice may do anything for this test: what is sent is decided by the gateway, not by her rights.
    await create(
      [
        {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'alice-admin' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
        },
      ],
      'alice-admin',
    );
    const since = sim.audit.at(-1)?.seq ?? 0;
    const { data } = await graphql(`{ cluster(name: "in-cluster") {
      pods(first: 1) { edges { node { id name namespace } } }
      jobs(first: 1) { edges { node { id name namespace } } }
      nodes(first: 1) { edges { node { id name } } }
      namespaces(first: 1) { edges { node { id name } } }
    } }`);
    const first = (connection: string) => data.cluster[connection].edges[0].node;
    const pod = first('pods');
    const job = first('jobs');
    const node = first('nodes');
    const at = 'cluster: "in-cluster"';
    const mutations = [
      `deletePod(${at}, namespace: "${pod.namespace}", name: "${pod.name}", dryRun: true) { dryRun }`,
      `evictPod(${at}, namespace: "${pod.namespace}", name: "${pod.name}", dryRun: true) { dryRun }`,
      `createJob(input: { ${at}, namespace: "${job.namespace}", generateName: "x-", image: "busybox", dryRun: true }) { dryRun }`,
      `deleteJob(${at}, namespace: "${job.namespace}", name: "${job.name}", dryRun: true) { dryRun }`,
      `suspendJob(${at}, namespace: "${job.namespace}", name: "${job.name}", suspend: true, dryRun: true) { dryRun }`,
      `uncordonNode(${at}, name: "${node.name}", dryRun: true) { dryRun }`,
      `drainNode(${at}, name: "${node.name}", dryRun: true) { pods { outcome } }`,
      ...[pod, job, node, first('namespaces')].map(
        (o) => `setLabels(id: "${o.id}", set: [{ key: "k", value: "v" }], dryRun: true) { dryRun }`,
      ),
    ];
    for (const m of mutations) {
      const answer = await graphql(`mutation { ${m} }`);
      expect(answer.errors, m).toBeUndefined();
    }
    const sent = sim.audit
      .filter((r) => r.seq > since)
      .map((r) => {
        expect(r).toMatchObject({ user: 'alice', impersonatedBy: { user: serviceAccountUser } });
        return triple(r.apiGroup, r.subresource ? `${r.resource}/${r.subresource}` : r.resource, r.verb);
      });
    // The audit records writes; the drain's list of the node's pods is a read.
    const listed = CALLER_WRITES.filter((c) => c.verb !== 'list').map(tripleOf);
    expect(setDiff(listed, sent)).toEqual([]);
  });
});
