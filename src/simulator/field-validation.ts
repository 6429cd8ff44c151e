/**
 * Server-side field validation (`fieldValidation=Strict|Warn|Ignore`), which the OpenAPI
 * documents now advertise: kubectl 1.27+ finds the parameter there and, instead of checking
 * a manifest itself, sends `fieldValidation=Strict` and leaves unknown fields to the server.
 * So the server must refuse them, or a typo (`imagee:`) would pass silently where a cluster
 * says `strict decoding error: unknown field "spec.containers[0].imagee"`.
 *
 * Unknown means: not a property of the field's definition in the served OpenAPI document.
 * As kube-apiserver: Strict refuses (400 BadRequest), Warn (the default when the parameter is
 * absent) answers with one `Warning: 299` header per field, Ignore does nothing. Duplicate
 * fields, which Strict also refuses upstream, are not detected (JSON.parse keeps the last).
 */

import { definitionsOf, type Schema } from './openapi.js';
import { StoreError } from './store.js';
import type { KubeObject, ResourceInfo } from './types.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export function fieldValidationOf(query: URLSearchParams): FieldValidation {
  const given = query.get('fieldValidation');
  if (given === null || given === '') return 'Warn';
  if (given === 'Strict' || given === 'Warn' || given === 'Ignore') return given;
  throw new StoreError(
    400,
    'BadRequest',
    `fieldValidation parameter unsupported: ${given}; expected one of Ignore, Warn, Strict`,
  );
}

/** The unknown fields of `value` against `schema`, as paths (`spec.containers[0].imagee`). */
function collect(
  definitions: Record<string, Schema>,
  schema: Schema | undefined,
  value: unknown,
  path: string,
  out: string[],
): void {
  let s = schema;
  while (s?.$ref) s = definitions[(s.$ref as string).replace('#/definitions/', '')];
  if (!s || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    const items = s.items as Schema | undefined;
    if (items)
      for (const [i, item] of value.entries()) collect(definitions, items, item, `${path}[${i}]`, out);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    // A strategic patch's directives ($patch, $setElementOrder/..., $retainKeys...) are no fields.
    if (key.startsWith('$')) continue;
    if (s.properties) {
      const field = path ? `${path}.${key}` : key;
      if (!(key in s.properties)) out.push(field);
      else collect(definitions, s.properties[key], v, field, out);
    } else if (s.additionalProperties) {
      collect(definitions, s.additionalProperties, v, `${path}[${key}]`, out);
    }
  }
}

export function unknownFields(info: Pick<ResourceInfo, 'group' | 'kind'>, obj: unknown): string[] {
  const { definitions, nameOf } = definitionsOf();
  const out: string[] = [];
  collect(definitions, definitions[nameOf(info.group, info.kind)], obj, '', out);
  return out;
}

/**
 * Applies the request's field validation to a body: throws the 400 of Strict, or returns the
 * Warning header values of Warn (empty when nothing is unknown or for Ignore).
 * `decodeError` is how kube-apiserver introduces a strict decoding error of a create or an
 * update (`Pod in version "v1" cannot be handled as a Pod: `); patches have none.
 */
export function validateFields(
  directive: FieldValidation,
  info: Pick<ResourceInfo, 'group' | 'kind' | 'apiVersion'>,
  obj: KubeObject | unknown,
  decodeError: boolean,
): string[] {
  if (directive === 'Ignore') return [];
  const unknown = unknownFields(info, obj);
  if (!unknown.length) return [];
  if (directive === 'Warn')
    return unknown.map((f) => `299 - ${JSON.stringify(`unknown field ${JSON.stringify(f)}`)}`);
  const version = info.apiVersion.split('/').pop();
  const prefix = decodeError
    ? `${info.kind} in version ${JSON.stringify(version)} cannot be handled as a ${info.kind}: `
    : '';
  throw new StoreError(
    400,
    'BadRequest',
    `${prefix}strict decoding error: ${unknown.map((f) => `unknown field ${JSON.stringify(f)}`).join(', ')}`,
  );
}
