/**
 * kubectl 1.27-1.33 (and the one on PATH) with the simulator's RBAC, one combined test per
 * version: `create role|rolebinding|clusterrole|clusterrolebinding` (1.32 and 1.33 send
 * some as protobuf), `get roles,rolebindings -A`, `auth can-i` (yes/no and the exit code,
 * -n, --as, --as-group, --list), `auth whoami` (1.27 asks v1beta1), and a user's own token
 * allowed and refused as a real cluster answers it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Simulator } from '../../src/simulator/server.js';
import { eachKubectl, Kubectl, rows, startKubectlSimulator } from './kubectl-runner.js';
import { RbacKit } from './rbac-kit.js';

let sim: Simulator;

beforeAll(async () => {
  sim = await startKubectlSimulator(
    { seed: 13, nodes: 2, pods: 4, jobs: 0, namespaces: 1 },
    {
      nodeLeaseRenewMs: 0,
    },
  );
  const kit = new RbacKit(sim);
  await kit.namespace('team');
  await kit.pod('team', 'web');
});

afterAll(async () => {
  await sim?.close();
});

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label}${skipped}`, () => {
    let kubectl: Kubectl;
    const tag = `k${label.replace('.', '')}`.toLowerCase();
    const user = `user-${tag}`;
    const token = `${tag}-token`;

    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
      sim.addUser({ token, user });
    });
    afterAll(() => kubectl?.cleanup());

    it('creates RBAC objects, and auth can-i, whoami and a user token answer as on a real cluster', async () => {
      expect(
        await kubectl.ok([
          'create',
          'role',
          `reader-${tag}`,
          '--verb=get,list,watch',
          '--resource=pods',
          '-n',
          'team',
        ]),
      ).toBe(`role.rbac.authorization.k8s.io/reader-${tag} created\n`);
      expect(
        await kubectl.ok([
          'create',
          'rolebinding',
          `reader-${tag}`,
          `--role=reader-${tag}`,
          `--user=${user}`,
          '-n',
          'team',
        ]),
      ).toBe(`rolebinding.rbac.authorization.k8s.io/reader-${tag} created\n`);
      await kubectl.ok(['create', 'clusterrole', `nodes-${tag}`, '--verb=get,list', '--resource=nodes']);
      await kubectl.ok([
        'create',
        'clusterrolebinding',
        `nodes-${tag}`,
        `--clusterrole=nodes-${tag}`,
        `--group=group-${tag}`,
      ]);
      expect(sim.store.get('rolebindings', 'team', `reader-${tag}`)).toMatchObject({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: `reader-${tag}` },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      });
      expect(sim.store.get('clusterrolebindings', undefined, `nodes-${tag}`)).toMatchObject({
        subjects: [{ kind: 'Group', name: `group-${tag}` }],
      });

      const listed = rows(await kubectl.ok(['get', 'roles,rolebindings', '-A']));
      expect(listed).toContainEqual(['NAMESPACE', 'NAME', 'CREATED AT']);
      expect(listed).toContainEqual(['NAMESPACE', 'NAME', 'ROLE', 'AGE']);
      expect(listed).toContainEqual([
        'team',
        `role.rbac.authorization.k8s.io/reader-${tag}`,
        expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      ]);
      expect(listed).toContainEqual([
        'team',
        `rolebinding.rbac.authorization.k8s.io/reader-${tag}`,
        `Role/reader-${tag}`,
        expect.stringMatching(/^\d+s$/),
      ]);

      const yes = await kubectl.run(['auth', 'can-i', 'list', 'pods', '-n', 'team', '--as', user]);
      expect([yes.code, yes.stdout]).toEqual([0, 'yes\n']);
      const no = await kubectl.run(['auth', 'can-i', 'list', 'nodes', '--as', user]);
      expect([no.code, no.stdout]).toEqual([1, 'no\n']);
      const asGroup = await kubectl.run([
        'auth',
        'can-i',
        'list',
        'nodes',
        '--as',
        user,
        '--as-group',
        `group-${tag}`,
      ]);
      expect([asGroup.code, asGroup.stdout]).toEqual([0, 'yes\n']);
      const list = rows(await kubectl.ok(['auth', 'can-i', '--list', '-n', 'team', '--as', user]));
      expect(list[0]).toEqual(['Resources', 'Non-Resource URLs', 'Resource Names', 'Verbs']);
      expect(list).toContainEqual(['pods', '[]', '[]', '[get list watch]']);
      expect(list).toContainEqual(['selfsubjectaccessreviews.authorization.k8s.io', '[]', '[]', '[create]']);

      const whoami = rows(await kubectl.ok(['--token', token, 'auth', 'whoami']));
      expect(whoami).toEqual([
        ['ATTRIBUTE', 'VALUE'],
        ['Username', user],
        ['Groups', '[system:authenticated]'],
      ]);
      const own = await kubectl.run(['--token', token, 'get', 'pods', '-n', 'team', '-o', 'name']);
      expect([own.code, own.stdout]).toEqual([0, 'pod/web\n']);
      const refused = await kubectl.run(['--token', token, 'get', 'pods', '-n', 'kube-system']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        `Error from server (Forbidden): pods is forbidden: User "${user}" cannot list resource "pods" in API group "" in the namespace "kube-system"`,
      );
    });
  });
}
