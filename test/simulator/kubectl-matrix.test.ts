/**
 * The kubectl matrix: every kubectl on this machine (the one on PATH and kubectl.1.27 … 1.33)
 * through the commands a user runs, each row with what a real cluster prints or does. One
 * still simulator per version, the commands in sequence.
 *
 * Rows covered in other files (not repeated here):
 * | row | file |
 * |---|---|
 * | get (columns, -A, -l, --field-selector, --chunk-size, -o json), describe, get -w | kubectl.test.ts, kubectl-versions.test.ts |
 * | create job / namespace, run, label, cordon/uncordon, drain, delete --wait, delete --cascade=foreground/background/orphan | kubectl-writes.test.ts |
 * | delete pod / label / annotate --dry-run=server | kubectl-versions.test.ts, kubectl-writes.test.ts |
 * | patch --type strategic / merge, label/annotate add and remove | kubectl-patch.test.ts |
 * | apply --server-side: "error: Server-side apply not available on the server: (the body of the request was in an unknown format - accepted media types include: …)" | kubectl-patch.test.ts |
 * | auth can-i, impersonation, RBAC | kubectl-auth.test.ts |
 *
 * Rows here (they need the OpenAPI documents, /openapi/v2 and /openapi/v3):
 * | command | a real cluster |
 * |---|---|
 * | create -f pod.yaml (validation on, the default) | `pod/NAME created` |
 * | create -f with a misspelt field | `Error from server (BadRequest): error when creating "FILE": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"`, nothing created |
 * | create -f job.yaml | `job.batch/NAME created` |
 * | apply -f ds.yaml (absent) | `daemonset.apps/NAME created`, with the last-applied-configuration annotation |
 * | apply -f ds.yaml (the same file again) | `daemonset.apps/NAME unchanged` |
 * | apply -f ds.yaml (one container's env changed: A changed, B dropped, C added) | `daemonset.apps/NAME configured`; env merged by name (B deleted by its key), the other container, a label and an env var set meanwhile by others kept (three-way strategic merge) |
 *
 * The apply rows use a DaemonSet: a real cluster refuses a changed env on a Pod (`pod updates
 * may not change fields other than spec.containers[*].image, ...`), which the simulator does not
 * check; a DaemonSet's pod template may change.
 * | patch --type json | the op applied |
 * | explain pods.spec.containers | `FIELD: containers <[]Container>`, the description, `name <string> -required-` |
 * | explain jobs.spec --recursive | `template <PodTemplateSpec> -required-` and the pod spec's fields under it |
 * | explain … --output=plaintext-openapiv2 | the v2 (protobuf) rendering: `RESOURCE: containers <[]Object>` |
 * | delete pod --grace-period=0 --force | `Warning: Immediate deletion does not wait …`, `pod "NAME" force deleted`, gone at once |
 * | delete job --dry-run=server | `job.batch "NAME" deleted (server dry run)`, the job still there |
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/server.js';
import { eachKubectl, Kubectl, startKubectlSimulator } from './kubectl-runner.js';
import type { AnyJson } from './sim-kit.js';

const podYaml = (name: string, env: Record<string, string>, field = 'image') => `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  namespace: default
spec:
  containers:
  - name: app
    ${field}: nginx
    env:
${Object.entries(env)
  .map(([k, v]) => `    - name: ${k}\n      value: "${v}"`)
  .join('\n')}
  - name: sidecar
    image: busybox
`;

const daemonSetYaml = (name: string, env: Record<string, string>) => `apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: ${name}
  namespace: default
spec:
  selector:
    matchLabels: { app: ${name} }
  template:
    metadata:
      labels: { app: ${name} }
    spec:
      containers:
      - name: app
        image: nginx
        env:
${Object.entries(env)
  .map(([k, v]) => `        - name: ${k}\n          value: "${v}"`)
  .join('\n')}
      - name: sidecar
        image: busybox
`;

const jobYaml = (name: string) => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  namespace: default
spec:
  suspend: true
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: main
        image: busybox
        command: ["echo", "hi"]
`;

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let sim: Simulator;
    let kubectl: Kubectl;

    beforeAll(async () => {
      sim = await startKubectlSimulator({ seed: 12, nodes: 1, pods: 2, jobs: 0, namespaces: 1 });
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(async () => {
      kubectl?.cleanup();
      await sim?.close();
    });

    const stored = (resource: 'pods' | 'jobs' | 'daemonsets', name: string) =>
      sim.store.get(resource, 'default', name) as AnyJson | undefined;
    const file = (name: string, text: string) => {
      const path = join(kubectl.dir, name);
      writeFileSync(path, text);
      return path;
    };

    it('create -f validates through the OpenAPI documents: a pod and a job are created, a misspelt field is refused', async () => {
      const pod = file('pod.yaml', podYaml('from-file', { A: '1' }));
      expect((await kubectl.ok(['create', '-f', pod])).trim()).toBe('pod/from-file created');
      expect(stored('pods', 'from-file')?.spec.containers.map((c: AnyJson) => c.name)).toEqual([
        'app',
        'sidecar',
      ]);

      const typo = file('typo.yaml', podYaml('typo', { A: '1' }, 'imagee'));
      const refused = await kubectl.run(['create', '-f', typo]);
      expect(refused.code).toBe(1);
      expect(refused.stderr.trim()).toBe(
        `Error from server (BadRequest): error when creating "${typo}": Pod in version "v1" cannot be handled as a Pod: strict decoding error: unknown field "spec.containers[0].imagee"`,
      );
      expect(stored('pods', 'typo')).toBeUndefined();

      const job = file('job.yaml', jobYaml('from-file'));
      expect((await kubectl.ok(['create', '-f', job])).trim()).toBe('job.batch/from-file created');
      expect(stored('jobs', 'from-file')?.spec.template.spec.containers[0].command).toEqual(['echo', 'hi']);
    });

    it('apply -f creates a DaemonSet, is unchanged when applied again, then merges a changed env by name and keeps what others set', async () => {
      const path = join(kubectl.dir, 'applied.yaml');
      writeFileSync(path, daemonSetYaml('applied', { A: '1', B: '2' }));
      expect((await kubectl.ok(['apply', '-f', path])).trim()).toBe('daemonset.apps/applied created');
      const created = stored('daemonsets', 'applied')!;
      expect(
        JSON.parse(created.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).spec
          .template.spec.containers[0].env,
      ).toEqual([
        { name: 'A', value: '1' },
        { name: 'B', value: '2' },
      ]);
      expect((await kubectl.ok(['apply', '-f', path])).trim()).toBe('daemonset.apps/applied unchanged');

      // Someone else labels it and adds an env var: the three-way merge keeps what apply never set.
      await kubectl.ok(['label', 'daemonset', 'applied', 'team=web']);
      await kubectl.ok([
        'patch',
        'daemonset',
        'applied',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"D","value":"4"}]}]}}}}',
      ]);
      // A changed, B removed, C added: kubectl sends B's deletion by its merge key (name), which
      // it knows only from the OpenAPI document's x-kubernetes-patch-merge-key.
      writeFileSync(path, daemonSetYaml('applied', { A: 'one', C: '3' }));
      expect((await kubectl.ok(['apply', '-f', path])).trim()).toBe('daemonset.apps/applied configured');
      const patched = stored('daemonsets', 'applied')!;
      const byName = (env: AnyJson[]) => [...env].sort((a, b) => a.name.localeCompare(b.name));
      expect(byName(patched.spec.template.spec.containers[0].env)).toEqual([
        { name: 'A', value: 'one' },
        { name: 'C', value: '3' },
        { name: 'D', value: '4' },
      ]);
      expect(patched.spec.template.spec.containers[1]).toEqual(created.spec.template.spec.containers[1]);
      expect(patched.metadata.labels).toEqual({ team: 'web' });
      expect(patched.metadata.uid).toBe(created.metadata.uid);
    });

    it('patch --type json applies the operations', async () => {
      await kubectl.ok([
        'patch',
        'pod',
        'from-file',
        '--type',
        'json',
        '-p',
        '[{"op":"replace","path":"/spec/containers/0/image","value":"nginx:2"}]',
      ]);
      expect(stored('pods', 'from-file')?.spec.containers[0].image).toBe('nginx:2');
    });

    it('explain reads the documents: a field, a recursive spec, and the v2 rendering', async () => {
      const containers = await kubectl.ok(['explain', 'pods.spec.containers']);
      expect(containers).toMatch(/FIELD: +containers <\[\]Container>/);
      expect(containers).toContain('List of containers belonging to the pod.');
      expect(containers).toMatch(/\n {2}name\s+<string> -required-\n/);
      expect(containers).toMatch(/\n {2}env\s+<\[\]EnvVar>\n/);

      const spec = await kubectl.ok(['explain', 'jobs.spec', '--recursive']);
      expect(spec).toMatch(/GROUP: +batch/);
      expect(spec).toMatch(/\n {2}template\s+<PodTemplateSpec> -required-\n/);
      expect(spec).toMatch(/\n {6}containers\s+<\[\]Container> -required-\n/);

      // The v2 document as kubectl reads it: gnostic protobuf.
      const v2 = await kubectl.ok(['explain', 'pods.spec.containers.env', '--output=plaintext-openapiv2']);
      expect(v2).toMatch(/RESOURCE: +env <\[\]Object>/);
      expect(v2).toMatch(/name\t<string> -required-/);
    });

    it('delete --grace-period=0 --force removes at once; delete --dry-run=server removes nothing', async () => {
      const forced = await kubectl.run(['delete', 'pod', 'from-file', '--grace-period=0', '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stderr).toContain(
        'Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated.',
      );
      expect(forced.stdout.trim()).toBe('pod "from-file" force deleted');
      expect(stored('pods', 'from-file')).toBeUndefined();

      const before = stored('jobs', 'from-file');
      expect((await kubectl.ok(['delete', 'job', 'from-file', '--dry-run=server'])).trim()).toBe(
        'job.batch "from-file" deleted (server dry run)',
      );
      expect(stored('jobs', 'from-file')).toEqual(before);
    });
  });
}
