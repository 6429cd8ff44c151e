/**
 * The RBAC kinds in Kubernetes' protobuf encoding (k8s.io/api/rbac/v1/generated.proto), read
 * into their JSON shape: kubectl's typed clients send `kubectl create rolebinding` (and, in
 * some versions, the other `create` commands) as `application/vnd.kubernetes.protobuf`.
 */
import { fields, type ProtoField, protobufRaw } from '../options.js';
import type { KubeObject, RbacResource } from '../types.js';

const text = (f: ProtoField) => f.bytes?.toString('utf8') ?? '';
const all = (list: ProtoField[], no: number) => list.filter((f) => f.no === no && f.bytes);
const one = (list: ProtoField[], no: number) => list.find((f) => f.no === no && f.bytes);

/** A proto map<string,string>: repeated entries of key (1) and value (2). */
function map(entries: ProtoField[]): Record<string, string> | undefined {
  if (!entries.length) return undefined;
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const parts = fields(entry.bytes!);
    const key = one(parts, 1);
    const value = one(parts, 2);
    out[key ? text(key) : ''] = value ? text(value) : '';
  }
  return out;
}

function strings(list: ProtoField[], no: number): string[] | undefined {
  const values = all(list, no).map(text);
  return values.length ? values : undefined;
}

function compact<T extends Record<string, unknown>>(obj: T): T {
  for (const key of Object.keys(obj)) if (obj[key] === undefined || obj[key] === '') delete obj[key];
  return obj;
}

/** meta/v1 ObjectMeta: the fields a client sets on create. */
function objectMeta(buf: Buffer): KubeObject['metadata'] {
  const f = fields(buf);
  const get = (no: number) => {
    const field = one(f, no);
    return field ? text(field) : undefined;
  };
  const owners = all(f, 13).map((o) => {
    const p = fields(o.bytes!);
    const flag = (no: number) => {
      const v = p.find((x) => x.no === no)?.varint;
      return v === undefined ? undefined : v !== 0n;
    };
    return compact({
      apiVersion: text(one(p, 5) ?? { no: 5 }),
      kind: text(one(p, 1) ?? { no: 1 }),
      name: text(one(p, 3) ?? { no: 3 }),
      uid: text(one(p, 4) ?? { no: 4 }),
      controller: flag(6),
      blockOwnerDeletion: flag(7),
    });
  });
  return compact({
    name: get(1) ?? '',
    generateName: get(2),
    namespace: get(3),
    uid: get(5),
    resourceVersion: get(6),
    labels: map(all(f, 11)),
    annotations: map(all(f, 12)),
    ownerReferences: owners.length ? owners : undefined,
    finalizers: strings(f, 14),
  }) as KubeObject['metadata'];
}

function policyRule(buf: Buffer) {
  const f = fields(buf);
  return compact({
    verbs: strings(f, 1) ?? [],
    apiGroups: strings(f, 2),
    resources: strings(f, 3),
    resourceNames: strings(f, 4),
    nonResourceURLs: strings(f, 5),
  });
}

function labelSelector(buf: Buffer) {
  const f = fields(buf);
  const expressions = all(f, 2).map((e) => {
    const p = fields(e.bytes!);
    return compact({
      key: text(one(p, 1) ?? { no: 1 }),
      operator: text(one(p, 2) ?? { no: 2 }),
      values: strings(p, 3),
    });
  });
  return compact({
    matchLabels: map(all(f, 1)),
    matchExpressions: expressions.length ? expressions : undefined,
  });
}

function subject(buf: Buffer) {
  const f = fields(buf);
  const get = (no: number) => text(one(f, no) ?? { no });
  return compact({ kind: get(1), apiGroup: get(2), name: get(3), namespace: get(4) });
}

function roleRef(buf: Buffer) {
  const f = fields(buf);
  const get = (no: number) => text(one(f, no) ?? { no });
  return { apiGroup: get(1), kind: get(2), name: get(3) };
}

/** Decodes a protobuf body of an RBAC kind into its JSON shape (kind and apiVersion from the envelope). */
export function decodeRbacProtobuf(
  body: Buffer,
  resource: RbacResource,
  kind: string,
  apiVersion: string,
): KubeObject {
  const raw = protobufRaw(body) ?? Buffer.alloc(0);
  const f = fields(raw);
  const metadata = one(f, 1) ? objectMeta(one(f, 1)!.bytes!) : ({ name: '' } as KubeObject['metadata']);
  const obj: KubeObject = { apiVersion, kind, metadata };
  if (resource === 'roles' || resource === 'clusterroles') {
    const rules = all(f, 2).map((r) => policyRule(r.bytes!));
    obj.rules = rules;
    const aggregation = one(f, 3);
    if (resource === 'clusterroles' && aggregation) {
      obj.aggregationRule = {
        clusterRoleSelectors: all(fields(aggregation.bytes!), 1).map((s) => labelSelector(s.bytes!)),
      };
    }
  } else {
    const subjects = all(f, 2).map((s) => subject(s.bytes!));
    if (subjects.length) obj.subjects = subjects;
    const ref = one(f, 3);
    obj.roleRef = ref ? roleRef(ref.bytes!) : { apiGroup: '', kind: '', name: '' };
  }
  return obj;
}

function resourceAttributes(buf: Buffer) {
  const f = fields(buf);
  const get = (no: number) => text(one(f, no) ?? { no });
  const selector = (no: number) => {
    const s = one(f, no);
    if (!s) return undefined;
    const raw = one(fields(s.bytes!), 1);
    return raw ? { rawSelector: text(raw) } : {};
  };
  return compact({
    namespace: get(1),
    verb: get(2),
    group: get(3),
    version: get(4),
    resource: get(5),
    subresource: get(6),
    name: get(7),
    fieldSelector: selector(8),
    labelSelector: selector(9),
  });
}

/**
 * The spec of a review sent as protobuf (k8s.io/api/authorization/v1 and authentication/v1
 * generated.proto), in its JSON shape; kubectl 1.32 and later send `auth can-i` and
 * `auth whoami` this way.
 */
export function decodeReviewProtobuf(body: Buffer, kind: string): Record<string, unknown> {
  const raw = protobufRaw(body) ?? Buffer.alloc(0);
  const top = fields(raw);
  const specField = kind === 'SelfSubjectReview' ? undefined : one(top, 2);
  const spec = specField ? fields(specField.bytes!) : [];
  const get = (no: number) => text(one(spec, no) ?? { no });
  switch (kind) {
    case 'TokenReview':
      return { spec: compact({ token: get(1), audiences: strings(spec, 2) }) };
    case 'SelfSubjectRulesReview':
      return { spec: compact({ namespace: get(1) }) };
    case 'SelfSubjectReview':
      return {};
    default: {
      const resource = one(spec, 1);
      const nonResource = one(spec, 2);
      const nonResourceFields = nonResource ? fields(nonResource.bytes!) : [];
      const extra: Record<string, string[]> = {};
      for (const entry of all(spec, 5)) {
        const parts = fields(entry.bytes!);
        const value = one(parts, 2);
        extra[text(one(parts, 1) ?? { no: 1 })] = value ? (strings(fields(value.bytes!), 1) ?? []) : [];
      }
      return {
        spec: compact({
          resourceAttributes: resource ? resourceAttributes(resource.bytes!) : undefined,
          nonResourceAttributes: nonResource
            ? compact({
                path: text(one(nonResourceFields, 1) ?? { no: 1 }),
                verb: text(one(nonResourceFields, 2) ?? { no: 2 }),
              })
            : undefined,
          user: get(3),
          groups: strings(spec, 4),
          extra: Object.keys(extra).length ? extra : undefined,
          uid: get(6),
        }),
      };
    }
  }
}
