/**
 * Listed pages and raw watch events are parsed with their managedFields cut from the text
 * first (kube/managed-fields.ts). The cut must give exactly JSON.parse of the text less the
 * managedFields arrays, on any JSON: generated documents where the name also appears as an
 * object, a string, null, inside strings (escaped quotes and backslashes, brackets), first,
 * last and alone in its object; and, against the simulator, what listRaw and a raw watch
 * hand the trims is the served object less its managedFields, nothing else.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import { parseWithoutManagedFields, withoutManagedFields } from '../../src/kube/managed-fields.js';
import { mulberry32 } from '../../src/simulator/scenario/index.js';
import type { Simulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { barePod, type StillCluster, stillCluster } from './sim-helpers.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** What the cut must give: the document without any member "managedFields" whose value is an array. */
function expected(value: Json): Json {
  if (Array.isArray(value)) return value.map(expected);
  if (value === null || typeof value !== 'object') return value;
  const out: { [key: string]: Json } = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'managedFields' && Array.isArray(v)) continue;
    out[k] = expected(v);
  }
  return out;
}

const TRICKY = [
  'plain',
  'quote " inside',
  'backslash \\',
  'ends with backslash \\\\',
  '"managedFields":[',
  '"managedFields":[{"a":"]"}]',
  '] } [ {',
  '\\"',
  'ünïcødé ✓',
  '',
];

function generate(random: () => number, depth: number): Json {
  const r = random();
  if (depth <= 0 || r < 0.3) {
    const p = random();
    if (p < 0.4) return TRICKY[Math.floor(random() * TRICKY.length)];
    if (p < 0.6) return Math.floor(random() * 1000) - 500;
    if (p < 0.7) return null;
    if (p < 0.8) return random() < 0.5;
    return `s${Math.floor(random() * 100)}`;
  }
  if (r < 0.5) {
    return Array.from({ length: Math.floor(random() * 4) }, () => generate(random, depth - 1));
  }
  const obj: { [key: string]: Json } = {};
  const n = Math.floor(random() * 5);
  const names = ['metadata', 'spec', 'a', '"quoted"', 'managedFields', 'b\\', 'status'];
  for (let i = 0; i < n; i++) {
    const name = names[Math.floor(random() * names.length)];
    obj[name] =
      name === 'managedFields' && random() < 0.7
        ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => generate(random, depth - 1))
        : generate(random, depth - 1);
  }
  return obj;
}

describe('managedFields cut from JSON text', () => {
  it.each([1, 2, 3])('gives JSON.parse less the managedFields arrays, 3,000 documents (seed %i)', (seed) => {
    const random = mulberry32(seed);
    let cut = 0;
    for (let i = 0; i < 3000; i++) {
      const doc = generate(random, 6);
      const text = JSON.stringify(doc);
      expect(parseWithoutManagedFields(text)).toStrictEqual(expected(doc));
      const without = withoutManagedFields(text);
      if (without !== text) {
        cut += 1;
        // Compact JSON is cut into compact JSON: the fallback (parse the whole text) is never needed.
        expect(JSON.parse(without)).toStrictEqual(expected(doc));
      }
    }
    expect(cut).toBeGreaterThan(300);
  });

  it('cuts the member alone, first, in the middle and last in its object', () => {
    const mf = '"managedFields":[{"manager":"kubelet","fieldsV1":{"f:status":{".":{}}}}]';
    expect(withoutManagedFields(`{${mf}}`)).toBe('{}');
    expect(withoutManagedFields(`{${mf},"b":1}`)).toBe('{"b":1}');
    expect(withoutManagedFields(`{"a":1,${mf},"b":2}`)).toBe('{"a":1,"b":2}');
    expect(withoutManagedFields(`{"a":1,${mf}}`)).toBe('{"a":1}');
    expect(withoutManagedFields(`[{"a":1,${mf}},{${mf},"c":[1]}]`)).toBe('[{"a":1},{"c":[1]}]');
  });

  it('leaves what it cannot read as it was, and rejects what JSON.parse rejects', () => {
    for (const text of [
      '{"a":1,"managedFields":[{"x":"unterminated}]}',
      '{"a":1,"managedFields":[[[}',
      '{"managedFields":"a string","b":2}',
    ]) {
      expect(withoutManagedFields(text).length).toBeGreaterThanOrEqual(text.length - 20);
      let expectedError: unknown;
      let expectedValue: unknown;
      try {
        expectedValue = expected(JSON.parse(text));
      } catch (err) {
        expectedError = err;
      }
      if (expectedError) expect(() => parseWithoutManagedFields(text)).toThrow(SyntaxError);
      else expect(parseWithoutManagedFields(text)).toStrictEqual(expectedValue);
    }
    // JSON that is not compact around the member is not cut, but still parses whole (the
    // trims drop the field after parsing).
    for (const loose of [
      JSON.stringify({ metadata: { name: 'p', managedFields: [{ manager: 'm' }] } }, null, 2),
      '{"a":1, "managedFields": [1], "b":2}',
      '{"a":1 ,"managedFields":[1] ,"b":2}',
    ]) {
      expect(withoutManagedFields(loose)).toBe(loose);
      expect(parseWithoutManagedFields(loose)).toStrictEqual(JSON.parse(loose));
    }
  });
});

describe('against the simulator: what the trims are handed', () => {
  let cluster: StillCluster;
  let sim: Simulator;
  let client: ClusterClient;

  beforeAll(async () => {
    cluster = await stillCluster({ nodes: 4, pods: 120, jobs: 6, namespaces: 3, seed: 5 }, 'mf');
    ({ sim, client } = cluster);
  });

  afterAll(() => cluster?.close());

  /** The object as the simulator serves it, less its managedFields. */
  function served(obj: KubeObject): unknown {
    const json = JSON.parse(JSON.stringify(obj)) as KubeObject;
    expect(json.metadata.managedFields?.length ?? 0).toBeGreaterThan(0);
    delete json.metadata.managedFields;
    return json;
  }

  it('listRaw: every pod and node is the served object less its managedFields', async () => {
    for (const [kind, resource] of [
      ['Pod', 'pods'],
      ['Node', 'nodes'],
    ] as const) {
      const page = await client.listRaw(kind, {});
      const stored = new Map([...sim.store.scan(resource)].map((o) => [o.metadata.name, o] as const));
      expect(page.items.length).toBe(stored.size);
      for (const item of page.items) {
        const name = (item.metadata as { name: string }).name;
        expect(item).toStrictEqual(served(stored.get(name)!));
      }
    }
  });

  it('a raw watch: the created pod comes less its managedFields; a model watch still has them', async () => {
    const namespace = [...sim.store.scan('namespaces')][0].metadata.name;
    const resourceVersion = String(sim.store.resourceVersion);
    const raw: Record<string, unknown>[] = [];
    const models: { metadata?: { managedFields?: unknown[] } }[] = [];
    const watches = await Promise.all([
      client.watch(
        'Pod',
        { resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 30, raw: true },
        (type, obj) => {
          if (type === 'ADDED') raw.push(obj as Record<string, unknown>);
        },
      ),
      client.watch(
        'Pod',
        { resourceVersion, allowWatchBookmarks: false, timeoutSeconds: 30 },
        (type, obj) => {
          if (type === 'ADDED') models.push(obj as { metadata?: { managedFields?: unknown[] } });
        },
      ),
    ]);
    try {
      // Created through the API, so the server records its field manager; its answer is
      // the object as served (the scheduler may change it afterwards).
      const created = (await client.request({
        method: 'POST',
        path: `/api/v1/namespaces/${namespace}/pods`,
        body: barePod(namespace, 'mf-watched'),
      })) as KubeObject;
      await expect.poll(() => raw.length + models.length).toBe(2);
      expect(raw[0]).toStrictEqual(served(created));
      expect(models[0].metadata?.managedFields?.length).toBeGreaterThan(0);
    } finally {
      for (const w of watches) w.stop();
    }
  });
});
