/**
 * Listed pages and raw watch events are parsed with their managedFields cut from the text
 * first (kube/managed-fields.ts), and with what else the kind's trim drops (`dropped` of a
 * kind's definition, `memberCut`). The cut must give exactly JSON.parse of the text less
 * those members, on any JSON: generated documents where the name also appears as a string,
 * null, inside strings (escaped quotes and backslashes, brackets), first, last and alone in
 * its object. Against the simulator, what listRaw and a raw watch hand the trims is the
 * served object less those members, nothing else; and every kind's trim of it is the trim
 * of the whole object, which holds no member of a dropped name at any depth.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterClient } from '../../src/kube/client.js';
import { KIND_INFO, type KindName, kindOf } from '../../src/kube/kinds.js';
import { memberCut, parseWithoutManagedFields, withoutManagedFields } from '../../src/kube/managed-fields.js';
import { transformObject } from '../../src/kube/transform.js';
import { mulberry32 } from '../../src/simulator/scenario/index.js';
import type { Simulator } from '../../src/simulator/server.js';
import type { KubeObject } from '../../src/simulator/types.js';
import { barePod, expectedCut, type StillCluster, servedAsCut, stillCluster } from './sim-helpers.js';

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

/** The name of every member in `value` whose value is an array or an object, at any depth. */
function memberNames(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) memberNames(v, into);
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      if (v !== null && typeof v === 'object') into.add(k);
      memberNames(v, into);
    }
  }
  return into;
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

function generate(
  random: () => number,
  depth: number,
  names = ['metadata', 'spec', 'a', '"quoted"', 'managedFields', 'b\\', 'status'],
): Json {
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
    return Array.from({ length: Math.floor(random() * 4) }, () => generate(random, depth - 1, names));
  }
  const obj: { [key: string]: Json } = {};
  const n = Math.floor(random() * 5);
  for (let i = 0; i < n; i++) {
    const name = names[Math.floor(random() * names.length)];
    obj[name] =
      name === 'managedFields' && random() < 0.7
        ? Array.from({ length: 1 + Math.floor(random() * 3) }, () => generate(random, depth - 1, names))
        : generate(random, depth - 1, names);
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

describe("a kind's dropped members cut from JSON text", () => {
  const names = ['env', 'volumes', 'a', '"quoted"', 'managedFields', 'b\\', 'spec', 'envFrom'];
  const cutNames = new Set(['managedFields', 'env', 'volumes']);
  const parse = memberCut(['env', 'volumes']);

  it.each([1, 2, 3])(
    'gives JSON.parse less those members with array or object values, 3,000 documents (seed %i)',
    (seed) => {
      const random = mulberry32(seed);
      let cut = 0;
      for (let i = 0; i < 3000; i++) {
        const doc = generate(random, 6, names);
        const want = expectedCut(doc, cutNames);
        expect(parse(JSON.stringify(doc))).toStrictEqual(want);
        if (JSON.stringify(want) !== JSON.stringify(doc)) cut += 1;
      }
      expect(cut).toBeGreaterThan(300);
    },
  );

  it('cuts each member alone, first, in the middle and last, arrays and objects; leaves strings, names inside strings and loose JSON', () => {
    const env = '"env":[{"name":"A","value":"]}"}]';
    const vol = '"volumes":{"x":{"y":[1]}}';
    expect(parse(`{${env}}`)).toStrictEqual({});
    expect(parse(`{${env},${vol},"b":1}`)).toStrictEqual({ b: 1 });
    expect(parse(`{"a":1,${vol},"b":[{${env},"c":2}]}`)).toStrictEqual({ a: 1, b: [{ c: 2 }] });
    expect(parse(`{"a":1,${env}}`)).toStrictEqual({ a: 1 });
    expect(parse(`{"a":1,${env},${vol}}`)).toStrictEqual({ a: 1 });
    expect(parse(`{${env},${vol}}`)).toStrictEqual({});
    expect(parse(`[{"a":1,${env},${vol}},{"b":{${vol},${env}}}]`)).toStrictEqual([{ a: 1 }, { b: {} }]);
    expect(parse('{"env":"a string","volumes":null,"x":"\\"env\\":[1]"}')).toStrictEqual({
      env: 'a string',
      volumes: null,
      x: '"env":[1]',
    });
    // A member name ending in an escaped quote and "env" is a name of its own, kept.
    expect(parse('{"a\\"env":[1],"env":[2]}')).toStrictEqual({ 'a"env': [1] });
    expect(parse('{"a":1, "env": [1], "b":2}')).toStrictEqual({ a: 1, env: [1], b: 2 });
    expect(() => parse('{"env":[1],"b":}')).toThrow(SyntaxError);
    expect(() => memberCut(['a-b'])).toThrow(/expected a member name of letters and digits, got "a-b"/);
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

  it('listRaw: every object of every kind is the served one less managedFields and what its trim drops', async () => {
    let droppedSeen = 0;
    for (const kind of Object.keys(KIND_INFO) as KindName[]) {
      const def = kindOf(kind);
      const page = await client.listRaw(kind, {});
      const stored = new Map(
        [...sim.store.scan(def.plural as never)].map(
          (o) => [`${o.metadata.namespace}/${o.metadata.name}`, o] as const,
        ),
      );
      expect(page.items.length, kind).toBe(stored.size);
      for (const item of page.items) {
        const meta = item.metadata as { name: string; namespace?: string };
        const obj = stored.get(`${meta.namespace}/${meta.name}`)!;
        expect(item).toStrictEqual(servedAsCut(kind, obj));
        const whole = JSON.parse(JSON.stringify(obj));
        if (JSON.stringify(item) !== JSON.stringify(servedAsCut('Namespace', obj))) droppedSeen += 1;
        // The trim of what was parsed is the trim of the whole object.
        expect(transformObject(kind, item as never)).toStrictEqual(transformObject(kind, whole));
      }
    }
    // The simulator's pods, nodes and jobs carry what their trims drop (volumes, env,
    // probes, images, templates): the cut above had something to cut.
    expect(droppedSeen).toBeGreaterThan(100);
  });

  it('a pod with every member its trim drops trims as the whole pod does', () => {
    const probe = { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 10 };
    const container = {
      name: 'main',
      image: 'busybox:1.36',
      env: [{ name: 'A', value: '1' }],
      envFrom: [{ configMapRef: { name: 'cfg' } }],
      volumeMounts: [{ name: 'data', mountPath: '/data' }],
      volumeDevices: [{ name: 'blk', devicePath: '/dev/xvda' }],
      livenessProbe: probe,
      readinessProbe: probe,
      startupProbe: probe,
      lifecycle: { preStop: { exec: { command: ['sleep', '5'] } } },
      securityContext: { runAsUser: 1000 },
      resizePolicy: [{ resourceName: 'cpu', restartPolicy: 'NotRequired' }],
      resources: { requests: { cpu: '100m' }, limits: { memory: '64Mi' } },
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    };
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'every', namespace: 'ns', uid: 'u1', resourceVersion: '7', labels: { env: 'prod' } },
      spec: {
        volumes: [{ name: 'data', emptyDir: {} }],
        tolerations: [{ key: 'k', operator: 'Exists' }],
        affinity: { nodeAffinity: {} },
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule' }],
        dnsConfig: { nameservers: ['1.1.1.1'] },
        readinessGates: [{ conditionType: 'x' }],
        hostAliases: [{ ip: '10.0.0.1', hostnames: ['a'] }],
        imagePullSecrets: [{ name: 'pull' }],
        ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
        securityContext: { fsGroup: 2000 },
        initContainers: [{ ...container, name: 'init', restartPolicy: 'Always' }],
        containers: [container],
        nodeName: 'n1',
      },
      status: {
        phase: 'Running',
        containerStatuses: [
          {
            name: 'main',
            image: 'busybox:1.36',
            imageID: 'sha256:1',
            ready: true,
            restartCount: 0,
            state: { running: { startedAt: '2026-12-01T00:00:00Z' } },
            volumeMounts: [{ name: 'data', mountPath: '/data' }],
            user: { linux: { uid: 1000, gid: 1000 } },
            allocatedResourcesStatus: [{ name: 'cpu', resources: [] }],
          },
        ],
      },
    };
    const text = JSON.stringify({ type: 'MODIFIED', object: pod });
    const parsed = memberCut(kindOf('Pod').dropped ?? [])(text) as { object: Record<string, unknown> };
    const names = memberNames(parsed.object);
    for (const name of kindOf('Pod').dropped ?? []) expect(names.has(name), name).toBe(false);
    expect(transformObject('Pod', parsed.object as never)).toStrictEqual(
      transformObject('Pod', pod as never),
    );
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
      expect(created.metadata.managedFields?.length).toBeGreaterThan(0);
      expect(raw[0]).toStrictEqual(servedAsCut('Pod', created));
      expect(models[0].metadata?.managedFields?.length).toBeGreaterThan(0);
    } finally {
      for (const w of watches) w.stop();
    }
  });
});
