/**
 * Field selectors, parsed and matched the way kube-apiserver does it
 * (k8s.io/apimachinery/pkg/fields plus each resource's field label conversion and selectable fields).
 *
 *   selector := '' | term (',' term)*      term := field ('=' | '==' | '!=') value
 *
 * Values may carry `\,` `\=` `\\` escapes; an unescaped `,` or `=` in a value is an error. Nothing is
 * trimmed: the real server does not trim either, so `a = b` asks for the field "a ".
 */
import type { KubeObject, ResourceName } from './types.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** A selector the real server answers with 400 BadRequest; the message is the real server's. */
export class FieldSelectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldSelectorError';
  }
}

const META = ['metadata.name', 'metadata.namespace'];

/** The field labels each resource's conversion function accepts in kube-apiserver. */
const SUPPORTED: Record<ResourceName, ReadonlySet<string>> = {
  namespaces: new Set([...META, 'status.phase']),
  daemonsets: new Set(META),
  nodes: new Set([...META, 'spec.unschedulable']),
  pods: new Set([
    ...META,
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ]),
  events: new Set([
    ...META,
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ]),
  jobs: new Set([...META, 'status.successful']),
  leases: new Set(META),
  clusterrolebindings: new Set(META),
  clusterroles: new Set(META),
  rolebindings: new Set(META),
  roles: new Set(META),
};

/** Old v1 clients send `spec.host`; the pod conversion function renames it, so do we. */
const ALIASES: Record<string, string> = { 'spec.host': 'spec.nodeName' };

/**
 * fields.ParseSelector: the terms of a selector, whatever the fields (a request's
 * authorisation attributes read `metadata.name` from it before any resource's field
 * labels are checked). Throws FieldSelectorError.
 */
export function parseFieldTerms(text: string): FieldRequirement[] {
  const requirements: FieldRequirement[] = [];
  for (const term of splitTerms(text)) {
    if (term === '') continue; // `a=b,` is accepted by k8s
    const [lhs, operator, rhs] = splitTerm(term) ?? [];
    if (lhs === undefined || operator === undefined || rhs === undefined) {
      throw new FieldSelectorError(`invalid selector: '${text}'; can't understand '${term}'`);
    }
    requirements.push({ field: lhs, operator: operator === '!=' ? '!=' : '=', value: unescapeValue(rhs) });
  }
  return requirements;
}

/** Parses a field selector for one resource; '' selects everything. Throws FieldSelectorError. */
export function parseFieldSelector(text: string, resource: ResourceName): FieldRequirement[] {
  const requirements = parseFieldTerms(text);
  // The server checks field labels after the whole selector parsed.
  return requirements.map((r) => {
    const field = resource === 'pods' ? (ALIASES[r.field] ?? r.field) : r.field;
    if (!SUPPORTED[resource].has(field))
      throw new FieldSelectorError(`field label not supported: ${r.field}`);
    return { ...r, field };
  });
}

/** Splits on commas that are not escaped by a backslash. */
function splitTerms(text: string): string[] {
  if (text === '') return [];
  const terms: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

/** The first operator from the left wins, `!=` and `==` before `=` at the same place. */
function splitTerm(term: string): [string, string, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

function unescapeValue(raw: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch === '\\') {
      const escaped = raw[i + 1];
      if (escaped !== '\\' && escaped !== ',' && escaped !== '=') {
        throw new FieldSelectorError(`invalid field selector: invalid escape sequence: \\${escaped ?? ''}`);
      }
      out += escaped;
      i++;
    } else if (ch === ',' || ch === '=') {
      throw new FieldSelectorError(`invalid field selector: unescaped character in value: '${ch}'`);
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * The value a field selector compares against, as the server's selectable fields render it: absent
 * strings are "", booleans "true"/"false" and counts decimal, absent ones at their Go zero value
 * ("false", "0"), because the server reads them from typed structs.
 */
export function fieldValue(obj: KubeObject, field: string): string {
  switch (ALIASES[field] ?? field) {
    case 'spec.hostNetwork':
      return String(obj.spec?.hostNetwork === true);
    case 'spec.unschedulable':
      return String(obj.spec?.unschedulable === true);
    case 'status.successful':
      // The label says "successful"; the Job field it reads is status.succeeded.
      return String(obj.status?.succeeded ?? 0);
    case 'status.podIP':
      // The server reads the first of status.podIPs; status.podIP is the same address on the wire.
      return asString(obj.status?.podIPs?.[0]?.ip ?? obj.status?.podIP);
    case 'source': {
      // Events written through events.k8s.io/v1 have no source.component, only reportingComponent.
      const source = obj.source as { component?: string } | undefined;
      return asString(source?.component || obj.reportingComponent);
    }
    default:
      return asString(lookup(obj, ALIASES[field] ?? field));
  }
}

function lookup(obj: unknown, path: string): unknown {
  let at: unknown = obj;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

function asString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** Whether obj satisfies every requirement. */
export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.field) === r.value) === (r.operator === '='));
}
