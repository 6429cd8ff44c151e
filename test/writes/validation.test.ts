/**
 * Inputs are checked before anything is sent: BAD_USER_INPUT naming the argument or input
 * field (`extensions.field`), and the simulator's request counts show no write reached it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWriteKit, type WriteKit } from './kit.js';

const NS = 'writes-validation';
let k: WriteKit;

beforeAll(async () => {
  k = await startWriteKit();
  await k.namespace(NS);
  await k.pod(NS, 'p');
}, 60_000);

afterAll(() => k?.close(), 30_000);

const job = (fields: Record<string, unknown>) => ({
  query: 'mutation($input: CreateJobInput!) { createJob(input: $input) { visible } }',
  variables: { input: { cluster: 'sim', namespace: NS, name: 'ok', image: 'busybox', ...fields } },
});

const CASES: [string, { query: string; variables?: Record<string, unknown> }, string][] = [
  [
    'a pod name that is not a name',
    { query: `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "Bad_Name") { visible } }` },
    'name',
  ],
  [
    'a namespace that is not a namespace',
    { query: 'mutation { deletePod(cluster: "sim", namespace: "UPPER", name: "p") { visible } }' },
    'namespace',
  ],
  [
    'a negative grace period',
    {
      query: `mutation { deletePod(cluster: "sim", namespace: "${NS}", name: "p", gracePeriodSeconds: -1) { visible } }`,
    },
    'gracePeriodSeconds',
  ],
  ['an empty image', job({ image: '' }), 'input.image'],
  ['an image with a space', job({ image: 'busy box' }), 'input.image'],
  ['a CPU request that is not a quantity', job({ requests: { cpu: 'lots' } }), 'input.requests.cpu'],
  ['a negative memory limit', job({ limits: { memory: '-1Gi' } }), 'input.limits.memory'],
  ['both name and generateName', job({ generateName: 'x-' }), 'input.name'],
  ['neither name nor generateName', job({ name: null }), 'input.name'],
  ['a job name of 64 characters', job({ name: 'a'.repeat(64) }), 'input.name'],
  ['a generateName that cannot start a name', job({ name: null, generateName: '-x' }), 'input.generateName'],
  ['a label key with a space', job({ labels: [{ key: 'bad key', value: 'v' }] }), 'input.labels[0].key'],
  [
    'a label value of 64 characters',
    job({ labels: [{ key: 'k', value: 'v'.repeat(64) }] }),
    'input.labels[0].value',
  ],
  [
    'a label given twice',
    job({
      labels: [
        { key: 'k', value: 'a' },
        { key: 'k', value: 'b' },
      ],
    }),
    'input.labels[1].key',
  ],
  [
    'an environment variable starting with a digit',
    job({ env: [{ name: '1X', value: 'v' }] }),
    'input.env[0].name',
  ],
  ['a negative parallelism', job({ parallelism: -1 }), 'input.parallelism'],
  ['an activeDeadlineSeconds of 0', job({ activeDeadlineSeconds: 0 }), 'input.activeDeadlineSeconds'],
  [
    'a node name that is not a name',
    { query: 'mutation { drainNode(cluster: "sim", name: "a b") { visible } }' },
    'name',
  ],
  [
    'an id that is not one of ours',
    { query: 'mutation { setLabels(id: "bm9wZQ", set: [{ key: "a", value: "b" }]) { visible } }' },
    'id',
  ],
];

describe('bad input', () => {
  for (const [what, { query, variables }, field] of CASES) {
    it(`${what}: BAD_USER_INPUT naming ${field}, nothing sent`, async () => {
      const before = await Promise.all(['CREATE', 'DELETE', 'PATCH'].map((v) => k.sent(v, '')));
      const r = await k.gql(query, variables);
      expect(r.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      if (field !== 'id') expect(r.errors?.[0].extensions?.field).toBe(field);
      expect(r.errors?.[0].message).toContain(field === 'id' ? 'global ID' : `"${field}`);
      expect(await Promise.all(['CREATE', 'DELETE', 'PATCH'].map((v) => k.sent(v, '')))).toEqual(before);
    });
  }

  it('setLabels: a key both set and removed, or nothing to do', async () => {
    const { data } = await k.gql(`{ cluster(name: "sim") { pod(namespace: "${NS}", name: "p") { id } } }`);
    const id = data.cluster.pod.id;
    const both = await k.gql(
      'mutation($id: ID!) { setLabels(id: $id, set: [{ key: "a", value: "b" }], remove: ["a"]) { visible } }',
      { id },
    );
    expect(both.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'remove[0]' });
    const none = await k.gql('mutation($id: ID!) { setLabels(id: $id) { visible } }', { id });
    expect(none.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'set' });
  });

  it('a cluster that does not exist answers NOT_FOUND, naming the ones there are', async () => {
    const r = await k.gql(
      `mutation { deletePod(cluster: "nowhere", namespace: "${NS}", name: "p") { visible } }`,
    );
    expect(r.errors?.[0].extensions).toMatchObject({ code: 'NOT_FOUND', cluster: 'nowhere' });
    expect(r.errors?.[0].message).toContain('["sim"]');
  });
});
