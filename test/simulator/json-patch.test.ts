import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyJsonPatch,
  decodeJsonPatch,
  JSON_PATCH_INVALID_MESSAGE,
  type JsonPatchOperation,
} from '../../src/simulator/json-patch.js';
import type { Simulator } from '../../src/simulator/server.js';
import { eachKubectl, Kubectl, startKubectlSimulator } from './kubectl-runner.js';
import { type AnyJson, simFetch } from './sim-kit.js';

const apply = (doc: unknown, ops: JsonPatchOperation[]) => applyJsonPatch(doc, decodeJsonPatch(ops));
const fails = (doc: unknown, ops: JsonPatchOperation[]) => {
  try {
    apply(doc, ops);
  } catch (err) {
    return { code: (err as { code: number }).code, message: (err as Error).message };
  }
  throw new Error('the patch applied');
};

describe('applyJsonPatch', () => {
  it('adds, removes, replaces, moves, copies and tests (RFC 6902 appendix A)', () => {
    expect(apply({ foo: 'bar' }, [{ op: 'add', path: '/baz', value: 'qux' }])).toEqual({
      foo: 'bar',
      baz: 'qux',
    });
    expect(apply({ foo: ['bar', 'baz'] }, [{ op: 'add', path: '/foo/1', value: 'qux' }])).toEqual({
      foo: ['bar', 'qux', 'baz'],
    });
    expect(apply({ foo: [1] }, [{ op: 'add', path: '/foo/-', value: 2 }])).toEqual({ foo: [1, 2] });
    expect(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'remove', path: '/baz' }])).toEqual({ foo: 'bar' });
    expect(apply({ foo: ['bar', 'qux', 'baz'] }, [{ op: 'remove', path: '/foo/1' }])).toEqual({
      foo: ['bar', 'baz'],
    });
    expect(apply({ baz: 'qux', foo: 'bar' }, [{ op: 'replace', path: '/baz', value: 'boo' }])).toEqual({
      baz: 'boo',
      foo: 'bar',
    });
    expect(
      apply({ foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } }, [
        { op: 'move', from: '/foo/waldo', path: '/qux/thud' },
      ]),
    ).toEqual({ foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } });
    expect(
      apply({ foo: ['all', 'grass', 'cows', 'eat'] }, [{ op: 'move', from: '/foo/1', path: '/foo/3' }]),
    ).toEqual({
      foo: ['all', 'cows', 'eat', 'grass'],
    });
    const copied = apply({ a: { b: [1] } }, [{ op: 'copy', from: '/a', path: '/c' }]) as AnyJson;
    expect(copied).toEqual({ a: { b: [1] }, c: { b: [1] } });
    expect(copied.c).not.toBe(copied.a);
    expect(
      apply({ baz: 'qux', foo: ['a', 2, 'c'] }, [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
        { op: 'test', path: '/foo', value: ['a', 2, 'c'] },
      ]),
    ).toEqual({ baz: 'qux', foo: ['a', 2, 'c'] });
    expect(apply({ a: { x: 1, y: 2 } }, [{ op: 'test', path: '/a', value: { y: 2, x: 1 } }])).toBeTruthy();
  });

  it('reads ~1 as / and ~0 as ~ in a pointer, in that order', () => {
    const doc = { metadata: { labels: { 'app.kubernetes.io/name': 'x', 'a~b': 'y', '~1': 'z' } } };
    expect(
      apply(doc, [
        { op: 'replace', path: '/metadata/labels/app.kubernetes.io~1name', value: 'w' },
        { op: 'remove', path: '/metadata/labels/a~0b' },
        { op: 'test', path: '/metadata/labels/~01', value: 'z' },
      ]),
    ).toEqual({ metadata: { labels: { 'app.kubernetes.io/name': 'w', '~1': 'z' } } });
  });

  it('keeps the evanphx v4 quirks kube-apiserver shows: negative indices, replace of a missing member adds it', () => {
    expect(apply({ a: [1, 2, 3] }, [{ op: 'remove', path: '/a/-1' }])).toEqual({ a: [1, 2] });
    expect(apply({ a: {} }, [{ op: 'replace', path: '/a/b', value: 1 }])).toEqual({ a: { b: 1 } });
    expect(apply({ a: {} }, [{ op: 'test', path: '/a/b', value: null }])).toEqual({ a: {} });
  });

  it('fails the whole patch on the first operation that does not apply, with evanphx wording', () => {
    const doc = { a: { b: 1 }, l: [0] };
    expect(
      fails(doc, [
        { op: 'add', path: '/a/c', value: 2 },
        { op: 'test', path: '/a/b', value: 2 },
      ]),
    ).toEqual({ code: 422, message: 'testing value /a/b failed: test failed' });
    expect(doc).toEqual({ a: { b: 1 }, l: [0] });
    expect(fails(doc, [{ op: 'add', path: '/x/y', value: 1 }])).toEqual({
      code: 422,
      message: 'add operation does not apply: doc is missing path: "/x/y": missing value',
    });
    expect(fails(doc, [{ op: 'remove', path: '/a/zz' }]).message).toBe(
      "error in remove for path: '/a/zz': Unable to remove nonexistent key: zz: missing value",
    );
    expect(fails(doc, [{ op: 'replace', path: '/l/5', value: 1 }]).message).toBe(
      'replace operation does not apply: doc is missing key: /l/5: missing value',
    );
    expect(fails(doc, [{ op: 'add', path: '/l/3', value: 1 }]).code).toBe(422);
    expect(fails(doc, [{ op: 'move', from: '/nope/x', path: '/a/x' }]).code).toBe(422);
    expect(fails(doc, [{ op: 'frobnicate', path: '/a' }]).message).toBe('Unexpected kind: frobnicate');
    expect(fails(doc, { op: 'add' } as unknown as JsonPatchOperation[])).toEqual({
      code: 400,
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
  });
});

let sim: Simulator;

beforeAll(async () => {
  sim = await startKubectlSimulator({ seed: 9, nodes: 2, pods: 4, jobs: 0, namespaces: 1 });
});

afterAll(async () => {
  await sim?.close();
});

function pod(name: string) {
  return sim.store.create('pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { a: 'x', 'app.kubernetes.io/name': name } },
    spec: { containers: [{ name: 'app', image: 'app:1' }] },
  });
}

const stored = (name: string) => sim.store.get('pods', 'default', name) as AnyJson;

async function jsonPatch(name: string, ops: unknown, query = '') {
  return simFetch(sim, `/api/v1/namespaces/default/pods/${name}${query}`, {
    method: 'PATCH',
    body: JSON.stringify(ops),
    headers: { 'content-type': 'application/json-patch+json' },
  });
}

describe('PATCH application/json-patch+json over HTTP', () => {
  it('stores the patched object and answers with it', async () => {
    const p = pod('jp-http');
    const res = await jsonPatch(p.metadata.name, [
      { op: 'test', path: '/metadata/labels/a', value: 'x' },
      { op: 'replace', path: '/metadata/labels/a', value: 'b' },
      { op: 'remove', path: '/metadata/labels/app.kubernetes.io~1name' },
      { op: 'add', path: '/spec/containers/-', value: { name: 'side', image: 'side:1' } },
      // The container's name, not its image: "app:1" is no valid label value (a real server's 422).
      { op: 'copy', from: '/spec/containers/0/name', path: '/metadata/labels/img' },
    ]);
    expect(res.status).toBe(200);
    const body = (await res.json()) as AnyJson;
    expect(body.metadata.labels).toEqual({ a: 'b', img: 'app' });
    expect(stored(p.metadata.name).metadata.labels).toEqual({ a: 'b', img: 'app' });
    expect(stored(p.metadata.name).spec.containers.map((c: AnyJson) => c.name)).toEqual(['app', 'side']);
    expect(Number(body.metadata.resourceVersion)).toBeGreaterThan(Number(p.metadata.resourceVersion));
  });

  it('answers a failed test or a missing path with 422 Invalid and the generic message, storing nothing', async () => {
    const p = pod('jp-fail');
    for (const ops of [
      [
        { op: 'replace', path: '/metadata/labels/a', value: 'changed' },
        { op: 'test', path: '/metadata/labels/a', value: 'x' },
      ],
      [{ op: 'add', path: '/metadata/nothing/here', value: 1 }],
      [{ op: 'remove', path: '/metadata/labels/absent' }],
    ]) {
      const res = await jsonPatch(p.metadata.name, ops);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: JSON_PATCH_INVALID_MESSAGE,
        reason: 'Invalid',
        details: {},
        code: 422,
      });
      expect(stored(p.metadata.name)).toEqual(p);
    }
  });

  it('answers a body that is not a patch with 400, and a stale resourceVersion with 409', async () => {
    const p = pod('jp-bad');
    const res = await jsonPatch(p.metadata.name, { op: 'add' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      reason: 'BadRequest',
      message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch',
    });
    const stale = await jsonPatch(p.metadata.name, [
      { op: 'replace', path: '/metadata/resourceVersion', value: '1' },
    ]);
    expect(stale.status).toBe(409);
    expect(stored(p.metadata.name)).toEqual(p);
  });

  it('honours dryRun=All', async () => {
    const p = pod('jp-dry');
    const res = await jsonPatch(
      p.metadata.name,
      [{ op: 'add', path: '/metadata/labels/d', value: '1' }],
      '?dryRun=All',
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as AnyJson).metadata.labels.d).toBe('1');
    expect(stored(p.metadata.name)).toEqual(p);
  });
});

for (const { label, binary, suite, skipped } of eachKubectl()) {
  suite(`kubectl ${label} patch --type json${skipped}`, () => {
    let kubectl: Kubectl;
    const tag = `jp${label.replace('.', '')}`.toLowerCase();

    beforeAll(() => {
      kubectl = new Kubectl(sim.kubeconfig(), binary);
    });
    afterAll(() => kubectl?.cleanup());

    it('replaces a label, and a failed test is refused as a real server refuses it', async () => {
      const name = pod(`${tag}-ok`).metadata.name;
      await kubectl.ok([
        'patch',
        'pod',
        name,
        '--type',
        'json',
        '-p',
        '[{"op":"replace","path":"/metadata/labels/a","value":"b"}]',
      ]);
      expect(stored(name).metadata.labels).toEqual({ a: 'b', 'app.kubernetes.io/name': name });
      const before = stored(name);
      const failed = await kubectl.run([
        'patch',
        'pod',
        name,
        '--type=json',
        '-p',
        '[{"op":"test","path":"/metadata/labels/a","value":"nope"},{"op":"remove","path":"/metadata/labels/a"}]',
      ]);
      expect(failed.code).not.toBe(0);
      expect(failed.stderr).toContain(JSON_PATCH_INVALID_MESSAGE);
      expect(stored(name)).toEqual(before);
    });
  });
}
