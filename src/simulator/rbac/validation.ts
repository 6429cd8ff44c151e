/**
 * The RBAC kinds' registry strategies, as kube-apiserver has them: v1 defaulting (a
 * binding's roleRef.apiGroup and its User/Group subjects' apiGroup default to
 * rbac.authorization.k8s.io) and pkg/apis/rbac/validation, with its messages: rules need
 * verbs, and either nonResourceURLs (ClusterRoles only, alone) or apiGroups and resources;
 * an aggregationRule needs selectors that parse; a binding's roleRef is Role or ClusterRole
 * (ClusterRole only for a ClusterRoleBinding) of this group and may never change; subjects
 * are User, Group or ServiceAccount.
 */

import { type FieldError, invalid, notSupported as notSupportedPrinted, required } from '../field-errors.js';
import { fromLabelSelector, type LabelSelector, SelectorParseError } from '../label-selector.js';
import { type ResourceStrategy, StoreError } from '../store.js';
import { type KubeObject, RBAC_GROUP, type RbacResource, RESOURCES } from '../types.js';
import { aggregate, goQuote, goStringSlice } from './go-format.js';
import { isServiceAccountName } from './service-accounts.js';
import type { PolicyRule, RoleRef, Subject } from './types.js';

/** An unsupported value as RBAC validation reports it: the value quoted as Go's %q. */
const notSupported = (field: string, value: string, supported: string[]): FieldError =>
  notSupportedPrinted(field, goQuote(value), supported);

/** errors.NewInvalid for a kind of rbac.authorization.k8s.io: 422 with one cause per field error. */
export function invalidObject(kind: string, name: string, errors: FieldError[]): StoreError {
  const messages = errors.map((e) => `${e.field}: ${e.body}`);
  return new StoreError(
    422,
    'Invalid',
    `${kind}.${RBAC_GROUP} ${goQuote(name)} is invalid: ${aggregate(messages)}`,
    {
      name,
      group: RBAC_GROUP,
      kind,
      causes: errors.map((e) => ({ reason: e.reason, message: e.body, field: e.field })),
    },
  );
}

/** ValidateRBACName (path.IsValidPathSegmentName) with its messages. */
function nameErrors(field: string, name: string): FieldError[] {
  if (name === '.' || name === '..') return [invalid(field, goQuote(name), `may not be '${name}'`)];
  const errors: FieldError[] = [];
  for (const bad of ['/', '%']) {
    if (name.includes(bad)) errors.push(invalid(field, goQuote(name), `may not contain '${bad}'`));
  }
  return errors;
}

const list = (value: unknown): string[] => (Array.isArray(value) ? (value as string[]) : []);

/** ValidatePolicyRule. */
function ruleErrors(rule: PolicyRule, namespaced: boolean, path: string): FieldError[] {
  const errors: FieldError[] = [];
  if (list(rule?.verbs).length === 0)
    errors.push(required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = list(rule?.nonResourceURLs);
  if (urls.length > 0) {
    if (namespaced) {
      errors.push(
        invalid(
          `${path}.nonResourceURLs`,
          goStringSlice(urls),
          'namespaced rules cannot apply to non-resource URLs',
        ),
      );
    }
    if (list(rule.apiGroups).length || list(rule.resources).length || list(rule.resourceNames).length) {
      errors.push(
        invalid(
          `${path}.nonResourceURLs`,
          goStringSlice(urls),
          'rules cannot apply to both regular resources and non-resource URLs',
        ),
      );
    }
    return errors;
  }
  if (list(rule?.apiGroups).length === 0) {
    errors.push(required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  }
  if (list(rule?.resources).length === 0) {
    errors.push(required(`${path}.resources`, 'resource rules must supply at least one resource'));
  }
  return errors;
}

function roleErrors(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errors = nameErrors('metadata.name', obj.metadata.name);
  (Array.isArray(obj.rules) ? (obj.rules as PolicyRule[]) : []).forEach((rule, i) => {
    errors.push(...ruleErrors(rule, namespaced, `rules[${i}]`));
  });
  const aggregation = obj.aggregationRule as { clusterRoleSelectors?: LabelSelector[] } | undefined | null;
  if (!namespaced && aggregation) {
    const selectors = Array.isArray(aggregation.clusterRoleSelectors) ? aggregation.clusterRoleSelectors : [];
    if (selectors.length === 0) {
      errors.push(
        required(
          'aggregationRule.clusterRoleSelectors',
          'at least one clusterRoleSelector required if aggregationRule is non-nil',
        ),
      );
    }
    selectors.forEach((selector, i) => {
      try {
        fromLabelSelector(selector ?? {});
      } catch (err) {
        if (!(err instanceof SelectorParseError)) throw err;
        errors.push(
          invalid(
            `aggregationRule.clusterRoleSelectors[${i}]`,
            goQuote(JSON.stringify(selector)),
            err.message,
          ),
        );
      }
    });
  }
  return errors;
}

/** %#v of the internal rbac.RoleRef, as the "cannot change roleRef" error prints it. */
function printRoleRef(ref: RoleRef): string {
  return `rbac.RoleRef{APIGroup:${goQuote(ref.apiGroup ?? '')}, Kind:${goQuote(ref.kind ?? '')}, Name:${goQuote(ref.name ?? '')}}`;
}

function subjectErrors(subject: Subject, namespaced: boolean, path: string): FieldError[] {
  const errors: FieldError[] = [];
  const name = subject?.name ?? '';
  if (!name) errors.push(required(`${path}.name`));
  switch (subject?.kind) {
    case 'ServiceAccount':
      if (name && !isServiceAccountName(name)) {
        errors.push(
          invalid(
            `${path}.name`,
            goQuote(name),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
          ),
        );
      }
      if (subject.apiGroup) errors.push(notSupported(`${path}.apiGroup`, subject.apiGroup, ['']));
      if (!namespaced && !subject.namespace) errors.push(required(`${path}.namespace`));
      break;
    case 'User':
    case 'Group':
      if (subject.apiGroup !== RBAC_GROUP) {
        errors.push(notSupported(`${path}.apiGroup`, subject.apiGroup ?? '', [RBAC_GROUP]));
      }
      break;
    default:
      errors.push(notSupported(`${path}.kind`, subject?.kind ?? '', ['ServiceAccount', 'User', 'Group']));
  }
  return errors;
}

function bindingErrors(obj: KubeObject, namespaced: boolean): FieldError[] {
  const errors = nameErrors('metadata.name', obj.metadata.name);
  const ref = (obj.roleRef ?? {}) as RoleRef;
  if (ref.apiGroup !== RBAC_GROUP)
    errors.push(notSupported('roleRef.apiGroup', ref.apiGroup ?? '', [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errors.push(notSupported('roleRef.kind', ref.kind ?? '', kinds));
  if (!ref.name) errors.push(required('roleRef.name'));
  else errors.push(...nameErrors('roleRef.name', ref.name));
  (Array.isArray(obj.subjects) ? (obj.subjects as Subject[]) : []).forEach((subject, i) => {
    errors.push(...subjectErrors(subject, namespaced, `subjects[${i}]`));
  });
  return errors;
}

/** SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject. */
function defaultBinding(obj: KubeObject): KubeObject {
  const ref = obj.roleRef && typeof obj.roleRef === 'object' ? (obj.roleRef as RoleRef) : undefined;
  const roleRef = { ...(ref ?? {}), apiGroup: ref?.apiGroup || RBAC_GROUP } as RoleRef;
  const out: KubeObject = { ...obj, roleRef };
  if (Array.isArray(obj.subjects)) {
    out.subjects = (obj.subjects as Subject[]).map((s) =>
      s && !s.apiGroup && (s.kind === 'User' || s.kind === 'Group') ? { ...s, apiGroup: RBAC_GROUP } : s,
    );
  }
  return out;
}

function check(kind: string, obj: KubeObject, errors: FieldError[]): void {
  if (errors.length) throw invalidObject(kind, obj.metadata.name, errors);
}

function roleStrategy(resource: 'roles' | 'clusterroles'): ResourceStrategy {
  const { kind, namespaced } = RESOURCES[resource];
  return {
    validateCreate: (obj) => check(kind, obj, roleErrors(obj, namespaced)),
    validateUpdate: (obj) => check(kind, obj, roleErrors(obj, namespaced)),
  };
}

function bindingStrategy(resource: 'rolebindings' | 'clusterrolebindings'): ResourceStrategy {
  const { kind, namespaced } = RESOURCES[resource];
  return {
    default: defaultBinding,
    validateCreate: (obj) => check(kind, obj, bindingErrors(obj, namespaced)),
    validateUpdate: (obj, old) => {
      const errors = bindingErrors(obj, namespaced);
      const ref = (obj.roleRef ?? {}) as RoleRef;
      const was = (old.roleRef ?? {}) as RoleRef;
      if (ref.apiGroup !== was.apiGroup || ref.kind !== was.kind || ref.name !== was.name) {
        errors.push(invalid('roleRef', printRoleRef(ref), 'cannot change roleRef'));
      }
      check(kind, obj, errors);
    },
  };
}

export const RBAC_STRATEGIES: Record<RbacResource, ResourceStrategy> = {
  roles: roleStrategy('roles'),
  clusterroles: roleStrategy('clusterroles'),
  rolebindings: bindingStrategy('rolebindings'),
  clusterrolebindings: bindingStrategy('clusterrolebindings'),
};
