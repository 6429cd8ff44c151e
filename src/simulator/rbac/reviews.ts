/**
 * The review APIs, create-only and never stored, as kube-apiserver serves them
 * (pkg/registry/authentication and pkg/registry/authorization):
 *
 * - authentication.k8s.io/v1 TokenReview: who a bearer token is (the static tokens are
 *   audience-agnostic: they authenticate for the API server's own audience only);
 * - authentication.k8s.io/{v1,v1beta1,v1alpha1} SelfSubjectReview: who the caller is
 *   (`kubectl auth whoami`; 1.27 asks v1beta1 then v1alpha1, 1.28+ v1 first);
 * - authorization.k8s.io/v1 SubjectAccessReview (any user and groups, exactly as given),
 *   LocalSubjectAccessReview (the same in one namespace), SelfSubjectAccessReview (the
 *   caller; `kubectl auth can-i`) and SelfSubjectRulesReview (the caller's rules in a
 *   namespace; `kubectl auth can-i --list`).
 *
 * Creating one is a request like any other: the verb `create` on it must be allowed first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBodyBytes, sendJson, sendStatus } from '../http.js';
import { StoreError } from '../store.js';
import { bearerToken, type TokenAuthenticator } from './authentication.js';
import type { Authorizer, RbacAuthorizer } from './authorizer.js';
import { aggregate, goQuote } from './go-format.js';
import { decodeReviewProtobuf } from './protobuf.js';
import { type Attributes, nonResourceAttributes, resourceAttributes, type UserInfo } from './types.js';

export const AUTHENTICATION_GROUP = 'authentication.k8s.io';
export const AUTHORIZATION_GROUP = 'authorization.k8s.io';

/** --api-audiences defaults to the service account issuer, which kubeadm sets to this. */
export const API_AUDIENCES = ['https://kubernetes.default.svc.cluster.local'];

export type ReviewResource =
  | 'tokenreviews'
  | 'selfsubjectreviews'
  | 'subjectaccessreviews'
  | 'localsubjectaccessreviews'
  | 'selfsubjectaccessreviews'
  | 'selfsubjectrulesreviews';

export interface ReviewInfo {
  resource: ReviewResource;
  kind: string;
  group: string;
  versions: string[];
  namespaced: boolean;
}

/** In discovery order (by name), per group. */
export const REVIEWS: ReviewInfo[] = [
  {
    resource: 'selfsubjectreviews',
    kind: 'SelfSubjectReview',
    group: AUTHENTICATION_GROUP,
    versions: ['v1', 'v1beta1', 'v1alpha1'],
    namespaced: false,
  },
  {
    resource: 'tokenreviews',
    kind: 'TokenReview',
    group: AUTHENTICATION_GROUP,
    versions: ['v1'],
    namespaced: false,
  },
  {
    resource: 'localsubjectaccessreviews',
    kind: 'LocalSubjectAccessReview',
    group: AUTHORIZATION_GROUP,
    versions: ['v1'],
    namespaced: true,
  },
  {
    resource: 'selfsubjectaccessreviews',
    kind: 'SelfSubjectAccessReview',
    group: AUTHORIZATION_GROUP,
    versions: ['v1'],
    namespaced: false,
  },
  {
    resource: 'selfsubjectrulesreviews',
    kind: 'SelfSubjectRulesReview',
    group: AUTHORIZATION_GROUP,
    versions: ['v1'],
    namespaced: false,
  },
  {
    resource: 'subjectaccessreviews',
    kind: 'SubjectAccessReview',
    group: AUTHORIZATION_GROUP,
    versions: ['v1'],
    namespaced: false,
  },
];

export interface ReviewTarget {
  review: ReviewInfo;
  version: string;
  namespace?: string;
}

/** The review a path names, or undefined. */
export function parseReviewPath(path: string): ReviewTarget | undefined {
  const parts = path.split('/').filter(Boolean);
  if (parts[0] !== 'apis' || (parts[1] !== AUTHENTICATION_GROUP && parts[1] !== AUTHORIZATION_GROUP))
    return undefined;
  const [, group, version, ...rest] = parts;
  let namespace: string | undefined;
  let resource: string | undefined;
  if (rest.length === 1) resource = rest[0];
  else if (rest.length === 3 && rest[0] === 'namespaces') [, namespace, resource] = rest;
  const review = REVIEWS.find(
    (r) => r.group === group && r.resource === resource && r.versions.includes(version),
  );
  if (!review || review.namespaced !== (namespace !== undefined)) return undefined;
  return { review, version, namespace };
}

export interface ReviewContext {
  authenticator: TokenAuthenticator;
  authorizer: Authorizer;
  rbac: RbacAuthorizer;
  now: () => Date;
}

// biome-ignore lint/suspicious/noExplicitAny: review bodies are open-ended JSON
type Json = any;

class BadRequest extends Error {}

const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : undefined;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** An object as the JSON encoder writes the Go struct back: only the fields it has, empty ones left out. */
function compact(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
      continue;
    out[key] = value;
  }
  return out;
}

function userInfoJson(user: UserInfo): Record<string, unknown> {
  return compact({ username: user.name, uid: user.uid, groups: user.groups, extra: user.extra });
}

function resourceAttributesOf(spec: Json): Record<string, string> | undefined {
  const a = spec?.resourceAttributes;
  if (!a || typeof a !== 'object') return undefined;
  return compact({
    namespace: str(a.namespace),
    verb: str(a.verb),
    group: str(a.group),
    version: str(a.version),
    resource: str(a.resource),
    subresource: str(a.subresource),
    name: str(a.name),
    fieldSelector: a.fieldSelector && typeof a.fieldSelector === 'object' ? a.fieldSelector : undefined,
    labelSelector: a.labelSelector && typeof a.labelSelector === 'object' ? a.labelSelector : undefined,
  }) as Record<string, string>;
}

function nonResourceAttributesOf(spec: Json): Record<string, string> | undefined {
  const a = spec?.nonResourceAttributes;
  if (!a || typeof a !== 'object') return undefined;
  return compact({ path: str(a.path), verb: str(a.verb) }) as Record<string, string>;
}

interface FieldError {
  field: string;
  value: string;
  detail: string;
}

/** ValidateSubjectAccessReviewSpec (and the self and local variants, which need no user). */
function specErrors(
  resource: Record<string, string> | undefined,
  nonResource: Record<string, string> | undefined,
  needsSubject: { user: string; groups: string[] } | undefined,
): FieldError[] {
  const errors: FieldError[] = [];
  if (resource && nonResource) {
    errors.push({
      field: 'spec.nonResourceAttributes',
      value: `authorization.NonResourceAttributes{Path:${goQuote(nonResource.path ?? '')}, Verb:${goQuote(nonResource.verb ?? '')}}`,
      detail: 'cannot be specified in combination with resourceAttributes',
    });
  }
  if (!resource && !nonResource) {
    errors.push({
      field: 'spec.resourceAttributes',
      value: '"null"',
      detail: 'exactly one of nonResourceAttributes or resourceAttributes must be specified',
    });
  }
  if (needsSubject && !needsSubject.user && needsSubject.groups.length === 0) {
    errors.push({
      field: 'spec.user',
      value: '""',
      detail: 'at least one of user or group must be specified',
    });
  }
  return errors;
}

function invalid(kind: string, errors: FieldError[]): StoreError {
  const messages = errors.map((e) => `${e.field}: Invalid value: ${e.value}: ${e.detail}`);
  return new StoreError(
    422,
    'Invalid',
    `${kind}.${AUTHORIZATION_GROUP} "" is invalid: ${aggregate(messages)}`,
    {
      group: AUTHORIZATION_GROUP,
      kind,
      causes: errors.map((e) => ({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${e.value}: ${e.detail}`,
        field: e.field,
      })),
    },
  );
}

/** authorizationutil.ResourceAttributesFrom / NonResourceAttributesFrom. */
function attributesOf(
  user: UserInfo,
  resource: Record<string, string> | undefined,
  nonResource: Record<string, string> | undefined,
): Attributes {
  if (resource) {
    return resourceAttributes(user, {
      verb: resource.verb ?? '',
      namespace: resource.namespace ?? '',
      apiGroup: resource.group ?? '',
      apiVersion: resource.version || '*',
      resource: resource.resource ?? '',
      subresource: resource.subresource ?? '',
      name: resource.name ?? '',
    });
  }
  return nonResourceAttributes(user, nonResource?.verb ?? '', nonResource?.path ?? '');
}

function accessStatus(decision: { allowed: boolean; reason: string; evaluationError?: string }) {
  return {
    allowed: decision.allowed,
    ...(decision.reason ? { reason: decision.reason } : {}),
    ...(decision.evaluationError ? { evaluationError: decision.evaluationError } : {}),
  };
}

function tokenReview(ctx: ReviewContext, body: Json): Json {
  const spec = body.spec && typeof body.spec === 'object' ? body.spec : {};
  const token = str(spec.token);
  if (!token) throw new BadRequest('token is required for TokenReview in authentication');
  const requested = strings(spec.audiences) ?? [];
  const audiences = requested.length ? requested : API_AUDIENCES;
  // The static tokens are audience-agnostic: they answer only for the API server's own audiences.
  const implicit = API_AUDIENCES.filter((a) => audiences.includes(a));
  const bearer = bearerToken(`Bearer ${token}`);
  const user = implicit.length && bearer ? ctx.authenticator.lookup(bearer) : undefined;
  return {
    kind: 'TokenReview',
    apiVersion: `${AUTHENTICATION_GROUP}/v1`,
    metadata: { creationTimestamp: null },
    spec: compact({ token, audiences: requested }),
    status: user
      ? { authenticated: true, user: userInfoJson(user), audiences: implicit }
      : { user: {}, error: 'invalid bearer token' },
  };
}

function selfSubjectReview(ctx: ReviewContext, version: string, user: UserInfo): Json {
  return {
    kind: 'SelfSubjectReview',
    apiVersion: `${AUTHENTICATION_GROUP}/${version}`,
    metadata: {
      creationTimestamp: ctx
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z'),
    },
    status: { userInfo: userInfoJson(user) },
  };
}

function subjectAccessReview(
  ctx: ReviewContext,
  body: Json,
  kind: string,
  requester: UserInfo,
  namespace?: string,
): Json {
  const spec = body.spec && typeof body.spec === 'object' ? body.spec : {};
  const resource = resourceAttributesOf(spec);
  const nonResource = nonResourceAttributesOf(spec);
  let user = requester;
  let subject: Record<string, unknown> = {};
  if (kind === 'SubjectAccessReview' || kind === 'LocalSubjectAccessReview') {
    const extra =
      spec.extra && typeof spec.extra === 'object' ? (spec.extra as Record<string, string[]>) : undefined;
    user = {
      name: str(spec.user),
      ...(str(spec.uid) ? { uid: str(spec.uid) } : {}),
      groups: strings(spec.groups) ?? [],
      ...(extra ? { extra } : {}),
    };
    subject = compact({ user: user.name, groups: user.groups, extra, uid: user.uid });
    const errors = specErrors(resource, nonResource, { user: user.name, groups: user.groups });
    if (kind === 'LocalSubjectAccessReview' && nonResource) {
      errors.push({
        field: 'spec.nonResourceAttributes',
        value: `authorization.NonResourceAttributes{Path:${goQuote(nonResource.path ?? '')}, Verb:${goQuote(nonResource.verb ?? '')}}`,
        detail: 'disallowed on this kind of request',
      });
    }
    if (errors.length) throw invalid(kind, errors);
    if (kind === 'LocalSubjectAccessReview' && (resource?.namespace ?? '') !== namespace) {
      throw new BadRequest(`spec.resourceAttributes.namespace must match namespace: ${namespace}`);
    }
  } else {
    const errors = specErrors(resource, nonResource, undefined);
    if (errors.length) throw invalid(kind, errors);
  }
  const decision = ctx.authorizer.authorize(attributesOf(user, resource, nonResource));
  return {
    kind,
    apiVersion: `${AUTHORIZATION_GROUP}/v1`,
    metadata: { ...(namespace ? { namespace } : {}), creationTimestamp: null },
    spec: { ...compact({ resourceAttributes: resource, nonResourceAttributes: nonResource }), ...subject },
    status: accessStatus(decision),
  };
}

function selfSubjectRulesReview(ctx: ReviewContext, body: Json, user: UserInfo): Json {
  const namespace = str(body.spec?.namespace);
  if (!namespace) throw new BadRequest('no namespace on request');
  const { rules, errors } = ctx.rbac.rulesFor(user, namespace);
  return {
    kind: 'SelfSubjectRulesReview',
    apiVersion: `${AUTHORIZATION_GROUP}/v1`,
    metadata: { creationTimestamp: null },
    spec: {},
    status: {
      resourceRules: rules
        .filter((r) => (r.resources ?? []).length > 0)
        .map((r) => ({
          verbs: r.verbs ?? [],
          ...compact({ apiGroups: r.apiGroups, resources: r.resources, resourceNames: r.resourceNames }),
        })),
      nonResourceRules: rules
        .filter((r) => (r.nonResourceURLs ?? []).length > 0)
        .map((r) => ({ verbs: r.verbs ?? [], nonResourceURLs: r.nonResourceURLs })),
      incomplete: false,
      ...(errors.length ? { evaluationError: aggregate(errors) } : {}),
    },
  };
}

/** Answers a review request (already authorised); returns the bytes written. */
export async function serveReview(
  ctx: ReviewContext,
  req: IncomingMessage,
  res: ServerResponse,
  target: ReviewTarget,
  user: UserInfo,
): Promise<number> {
  if (req.method !== 'POST') {
    return sendStatus(
      res,
      405,
      'the server does not allow this method on the requested resource',
      'MethodNotAllowed',
    );
  }
  try {
    let body: Json;
    const bytes = await readBodyBytes(req, 1024 * 1024);
    if ((req.headers['content-type'] ?? '').startsWith('application/vnd.kubernetes.protobuf')) {
      try {
        body = decodeReviewProtobuf(bytes, target.review.kind);
      } catch (err) {
        throw new BadRequest((err as Error).message);
      }
    } else {
      try {
        body = JSON.parse(bytes.toString('utf8') || '{}');
      } catch (err) {
        throw new BadRequest(`the request body is not valid JSON: ${(err as Error).message}`);
      }
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      throw new BadRequest(
        `expected a ${target.review.kind} object, received ${JSON.stringify(body)?.slice(0, 100)}`,
      );
    }
    const bodyNamespace = body.metadata?.namespace;
    if (target.namespace && bodyNamespace && bodyNamespace !== target.namespace) {
      throw new BadRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    const kind = target.review.kind;
    const answer =
      kind === 'TokenReview'
        ? tokenReview(ctx, body)
        : kind === 'SelfSubjectReview'
          ? selfSubjectReview(ctx, target.version, user)
          : kind === 'SelfSubjectRulesReview'
            ? selfSubjectRulesReview(ctx, body, user)
            : subjectAccessReview(ctx, body, kind, user, target.namespace);
    return sendJson(res, 201, answer);
  } catch (err) {
    if (err instanceof StoreError) return sendStatus(res, err.code, err.message, err.reason, err.details);
    if (err instanceof BadRequest) return sendStatus(res, 400, err.message, 'BadRequest');
    if (err instanceof Error && err.name === 'BodyTooLargeError') return sendStatus(res, 413, err.message);
    throw err;
  }
}
