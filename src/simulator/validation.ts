/**
 * What kube-apiserver checks on the served kinds' objects, with its messages (apimachinery's
 * validation and pkg/apis/{core,batch}/validation), for writes through the API:
 *
 * - `decodeChecks`: what fails while the body is decoded, before any validation: a quantity
 *   that does not parse is a 400 BadRequest ("Pod in version "v1" cannot be handled as a
 *   Pod: quantities must match the regular expression ..."), as on a real server.
 * - `validateObject`: 422 Invalid with one cause per field error (field, message, reason) and
 *   the message `Pod "x" is invalid: <errors>`. On create: names (a DNS-1123 subdomain, a
 *   label for namespaces; `generateName` as a prefix), labels and annotation keys, and the
 *   spec (a pod's containers: required, named as labels and uniquely, with an image; resource
 *   quantities not negative and requests within limits; restartPolicy; a job's counts not
 *   negative, its template's restartPolicy OnFailure or Never). On update, what may change
 *   then: labels, annotation keys, a job's counts.
 *
 * The RBAC kinds have their own strategies (rbac/validation.ts).
 */

import { duplicate, type FieldError, invalid, notSupported, required } from './field-errors.js';
import { aggregate, goQuote } from './rbac/go-format.js';
import { quantityValue } from './resources.js';
import { StoreError } from './store.js';
import { type KubeObject, RESOURCES, type ResourceName } from './types.js';

type Json = Record<string, unknown>;

// k8s.io/apimachinery/pkg/util/validation, word for word.
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_MSG =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const maxLength = (n: number) => `must be no more than ${n} characters`;

/** IsDNS1123Label's messages. */
export function dns1123LabelErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 63) out.push(maxLength(63));
  if (!DNS1123_LABEL.test(value)) out.push(DNS1123_LABEL_MSG);
  return out;
}

/** IsDNS1123Subdomain's messages. */
export function dns1123SubdomainErrors(value: string): string[] {
  const out: string[] = [];
  if (value.length > 253) out.push(maxLength(253));
  if (!DNS1123_SUBDOMAIN.test(value)) out.push(DNS1123_SUBDOMAIN_MSG);
  return out;
}

/** IsQualifiedName (label and annotation keys). */
function qualifiedNameErrors(value: string): string[] {
  const parts = value.split('/');
  let name = value;
  const out: string[] = [];
  if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) out.push('prefix part must be non-empty');
    else for (const msg of dns1123SubdomainErrors(prefix)) out.push(`prefix part ${msg}`);
  } else if (parts.length > 2) {
    return [
      "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ];
  }
  if (name.length === 0) out.push('name part must be non-empty');
  else if (name.length > 63) out.push(`name part ${maxLength(63)}`);
  if (name.length > 0 && !QUALIFIED_NAME.test(name)) out.push(QUALIFIED_NAME_MSG);
  return out;
}

/** The name rule of each kind: ValidatePodName and the others (subdomain), ValidateNamespaceName (label). */
function nameRule(resource: ResourceName): (value: string) => string[] {
  return resource === 'namespaces' ? dns1123LabelErrors : dns1123SubdomainErrors;
}

const asObject = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};

function metadataErrors(resource: ResourceName, obj: KubeObject, creating: boolean): FieldError[] {
  const errors: FieldError[] = [];
  const meta = obj.metadata;
  if (creating) {
    const rule = nameRule(resource);
    if (meta.generateName) {
      // A prefix: maskTrailingDash replaces a trailing dash and the character before it with 'a'.
      const masked =
        meta.generateName.length > 1 && meta.generateName.endsWith('-')
          ? `${meta.generateName.slice(0, -2)}a`
          : meta.generateName;
      for (const msg of rule(masked))
        errors.push(invalid('metadata.generateName', goQuote(meta.generateName), msg));
    }
    for (const msg of rule(meta.name)) errors.push(invalid('metadata.name', goQuote(meta.name), msg));
    // A job's name is also the value of its pods' job-name label.
    if (resource === 'jobs' && meta.name.length > 63 && meta.name.length <= 253)
      errors.push(invalid('metadata.name', goQuote(meta.name), maxLength(63)));
  }
  for (const [key, value] of Object.entries(asObject(meta.labels))) {
    for (const msg of qualifiedNameErrors(key)) errors.push(invalid('metadata.labels', goQuote(key), msg));
    const text = String(value);
    if (text.length > 63) errors.push(invalid('metadata.labels', goQuote(text), maxLength(63)));
    if (!LABEL_VALUE.test(text)) errors.push(invalid('metadata.labels', goQuote(text), LABEL_VALUE_MSG));
  }
  for (const key of Object.keys(asObject(meta.annotations))) {
    for (const msg of qualifiedNameErrors(key.toLowerCase()))
      errors.push(invalid('metadata.annotations', goQuote(key), msg));
  }
  return errors;
}

const QUANTITY = /^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$/;
const SUFFIXES = new Set([
  '',
  'n',
  'u',
  'm',
  'k',
  'M',
  'G',
  'T',
  'P',
  'E',
  'Ki',
  'Mi',
  'Gi',
  'Ti',
  'Pi',
  'Ei',
]);
const QUANTITY_REGEX_MSG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/** resource.ParseQuantity: undefined when it parses, else its error. */
export function quantityError(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : QUANTITY_REGEX_MSG;
  if (typeof value !== 'string') return QUANTITY_REGEX_MSG;
  const m = QUANTITY.exec(value);
  if (!m) return QUANTITY_REGEX_MSG;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(m[1])) return 'unable to parse numeric part of quantity';
  if (!SUFFIXES.has(m[2]) && !/^[eE][-+]?\d+$/.test(m[2])) return "unable to parse quantity's suffix";
  return undefined;
}

function podSpecOf(resource: ResourceName, obj: KubeObject): { spec: Json; path: string } | undefined {
  if (resource === 'pods') return { spec: asObject(obj.spec), path: 'spec' };
  if (resource === 'jobs') {
    return { spec: asObject(asObject(asObject(obj.spec).template).spec), path: 'spec.template.spec' };
  }
  return undefined;
}

const containerLists = ['initContainers', 'containers'] as const;

/**
 * What the decoder refuses (400 BadRequest, before validation): a resource quantity of a
 * container that does not parse.
 */
export function decodeChecks(resource: ResourceName, obj: KubeObject): void {
  const pod = podSpecOf(resource, obj);
  if (!pod) return;
  for (const list of containerLists) {
    const containers = pod.spec[list];
    if (!Array.isArray(containers)) continue;
    for (const c of containers) {
      const resources = asObject(asObject(c).resources);
      for (const part of ['limits', 'requests']) {
        for (const value of Object.values(asObject(resources[part]))) {
          const error = quantityError(value);
          if (error) {
            const { kind, apiVersion } = RESOURCES[resource];
            throw new StoreError(
              400,
              'BadRequest',
              `${kind} in version ${goQuote(apiVersion.split('/').pop()!)} cannot be handled as a ${kind}: ${error}`,
            );
          }
        }
      }
    }
  }
}

const RESTART_POLICIES = ['Always', 'OnFailure', 'Never'];

function containerErrors(spec: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const containers = spec.containers;
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push(required(`${path}.containers`));
  }
  const names = new Set<string>();
  for (const list of containerLists) {
    const items = spec[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item, i) => {
      const c = asObject(item);
      const at = `${path}.${list}[${i}]`;
      const name = typeof c.name === 'string' ? c.name : '';
      if (!name) errors.push(required(`${at}.name`));
      else {
        for (const msg of dns1123LabelErrors(name)) errors.push(invalid(`${at}.name`, goQuote(name), msg));
        if (names.has(name)) errors.push(duplicate(`${at}.name`, goQuote(name)));
        names.add(name);
      }
      if (typeof c.image !== 'string' || c.image.trim() === '') errors.push(required(`${at}.image`));
      const resources = asObject(c.resources);
      const limits = asObject(resources.limits);
      for (const part of ['requests', 'limits'] as const) {
        for (const [key, value] of Object.entries(asObject(resources[part]))) {
          if (quantityError(value)) continue; // the decoder's 400 has said so
          if (quantityValue(value) < 0)
            errors.push(
              invalid(
                `${at}.resources.${part}[${key}]`,
                goQuote(String(value)),
                'must be greater than or equal to 0',
              ),
            );
        }
      }
      for (const [key, value] of Object.entries(asObject(resources.requests))) {
        const limit = limits[key];
        if (limit === undefined || quantityError(value) || quantityError(limit)) continue;
        if (quantityValue(value) > quantityValue(limit))
          errors.push(
            invalid(
              `${at}.resources.requests`,
              goQuote(String(value)),
              `must be less than or equal to ${key} limit of ${String(limit)}`,
            ),
          );
      }
    });
  }
  return errors;
}

function podSpecErrors(spec: Json, path: string, restartPolicies: string[]): FieldError[] {
  const errors = containerErrors(spec, path);
  const policy = spec.restartPolicy;
  if (policy === undefined || policy === '') {
    // The API defaults a pod's to Always, which a job's template may not have.
    if (!restartPolicies.includes('Always'))
      errors.push(notSupported(`${path}.restartPolicy`, goQuote('Always'), restartPolicies));
  } else if (!restartPolicies.includes(String(policy))) {
    errors.push(notSupported(`${path}.restartPolicy`, goQuote(String(policy)), restartPolicies));
  }
  const grace = spec.terminationGracePeriodSeconds;
  if (typeof grace === 'number' && grace < 0)
    errors.push(
      invalid(`${path}.terminationGracePeriodSeconds`, String(grace), 'must be greater than or equal to 0'),
    );
  const deadline = spec.activeDeadlineSeconds;
  if (typeof deadline === 'number' && (deadline < 1 || deadline > 2147483647))
    errors.push(
      invalid(
        `${path}.activeDeadlineSeconds`,
        String(deadline),
        'must be between 1 and 2147483647, inclusive',
      ),
    );
  return errors;
}

const JOB_COUNTS = [
  'parallelism',
  'completions',
  'activeDeadlineSeconds',
  'backoffLimit',
  'ttlSecondsAfterFinished',
];

function jobCountErrors(spec: Json): FieldError[] {
  const errors: FieldError[] = [];
  for (const field of JOB_COUNTS) {
    const value = spec[field];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      errors.push(invalid(`spec.${field}`, JSON.stringify(value), 'must be an integer'));
    } else if (value < 0) {
      errors.push(invalid(`spec.${field}`, String(value), 'must be greater than or equal to 0'));
    }
  }
  return errors;
}

function specErrors(resource: ResourceName, obj: KubeObject): FieldError[] {
  switch (resource) {
    case 'pods':
      return podSpecErrors(asObject(obj.spec), 'spec', RESTART_POLICIES);
    case 'jobs': {
      const spec = asObject(obj.spec);
      const template = asObject(spec.template);
      return [
        ...jobCountErrors(spec),
        ...podSpecErrors(asObject(template.spec), 'spec.template.spec', ['OnFailure', 'Never']),
      ];
    }
    default:
      return [];
  }
}

/** errors.NewInvalid: `Job.batch "x" is invalid: ...`, a cause per error. */
function invalidObject(resource: ResourceName, name: string, errors: FieldError[]): StoreError {
  const { kind, group } = RESOURCES[resource];
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  return new StoreError(
    422,
    'Invalid',
    `${qualifiedKind} ${goQuote(name)} is invalid: ${aggregate(errors.map((e) => `${e.field}: ${e.body}`))}`,
    {
      name,
      ...(group ? { group } : {}),
      kind,
      causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
    },
  );
}

const VALIDATED = new Set<ResourceName>(['pods', 'jobs', 'namespaces', 'nodes', 'leases', 'events']);

/** Validation of an object written through the API (`old`: the stored one, on update). */
export function validateObject(resource: ResourceName, obj: KubeObject, old?: KubeObject): void {
  if (!VALIDATED.has(resource)) return;
  const errors = metadataErrors(resource, obj, !old);
  if (!old) errors.push(...specErrors(resource, obj));
  else if (resource === 'jobs') errors.push(...jobCountErrors(asObject(obj.spec)));
  if (errors.length) throw invalidObject(resource, obj.metadata.name, errors);
}
