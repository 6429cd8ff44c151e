/**
 * Who may do what on the simulator, in one place: authentication (static tokens, anonymous),
 * impersonation, the authoriser chain (system:masters, then RBAC), the RBAC kinds'
 * validation and escalation checks, the default policy and the aggregation controller.
 * server.ts asks it, per request, who the caller is and whether the request is allowed, and
 * answers the refusals exactly as kube-apiserver words them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendStatus } from '../http.js';
import type { SimStore } from '../store.js';
import type { KubeObject, RbacResource } from '../types.js';
import { AggregationController } from './aggregation.js';
import { type SimUser, TokenAuthenticator } from './authentication.js';
import { Authorizer, RbacAuthorizer } from './authorizer.js';
import { installDefaultPolicy } from './defaults.js';
import { EscalationCheck } from './escalation.js';
import { impersonate } from './impersonation.js';
import type { RequestInfo } from './request-info.js';
import type { ReviewContext } from './reviews.js';
import { type Attributes, nonResourceAttributes, resourceAttributes, type UserInfo } from './types.js';
import { RBAC_STRATEGIES } from './validation.js';

export interface AccessOptions {
  users?: SimUser[];
  /** kube-apiserver's --anonymous-auth: requests without a bearer token are system:anonymous. Default true. */
  anonymous?: boolean;
  now?: () => Date;
}

/**
 * The caller of a request (and, when it impersonates someone, who authenticated: the
 * `impersonatedUser`'s requester in kube-apiserver's audit events), or the refusal already written.
 */
export type Identity = { user: UserInfo; impersonator?: UserInfo } | { refused: number };

/** responsewriters.forbiddenMessage. */
function forbiddenMessage(attrs: Attributes): string {
  const user = attrs.user.name;
  if (!attrs.resourceRequest)
    return `User ${JSON.stringify(user)} cannot ${attrs.verb} path ${JSON.stringify(attrs.path)}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : attrs.resource;
  const scope = attrs.namespace
    ? `in the namespace ${JSON.stringify(attrs.namespace)}`
    : 'at the cluster scope';
  return `User ${JSON.stringify(user)} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup)} ${scope}`;
}

/** responsewriters.Forbidden: apierrors.NewForbidden of the request's group/resource and name, with the authoriser's reason. */
export function sendForbidden(res: ServerResponse, attrs: Attributes, reason: string): number {
  const sanitized = forbiddenMessage(attrs)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
  const error = reason ? `${sanitized}: ${reason}` : sanitized;
  const qualified = attrs.resource
    ? attrs.apiGroup
      ? `${attrs.resource}.${attrs.apiGroup}`
      : attrs.resource
    : '';
  const message = !qualified
    ? `forbidden: ${error}`
    : attrs.name
      ? `${qualified} ${JSON.stringify(attrs.name)} is forbidden: ${error}`
      : `${qualified} is forbidden: ${error}`;
  const details = {
    ...(attrs.name ? { name: attrs.name } : {}),
    ...(attrs.apiGroup ? { group: attrs.apiGroup } : {}),
    ...(attrs.resource ? { kind: attrs.resource } : {}),
  };
  res.setHeader('X-Content-Type-Options', 'nosniff');
  return sendStatus(res, 403, message, 'Forbidden', details);
}

export function attributesOf(user: UserInfo, info: RequestInfo): Attributes {
  if (!info.resourceRequest) return nonResourceAttributes(user, info.verb, info.path);
  return resourceAttributes(user, {
    verb: info.verb,
    apiGroup: info.apiGroup,
    apiVersion: info.apiVersion,
    namespace: info.namespace,
    resource: info.resource,
    subresource: info.subresource,
    name: info.name,
  });
}

export class AccessControl {
  readonly authenticator: TokenAuthenticator;
  readonly rbac: RbacAuthorizer;
  readonly authorizer: Authorizer;
  readonly aggregation: AggregationController;
  private readonly escalation: EscalationCheck;
  private readonly now: () => Date;

  constructor(store: SimStore, options: AccessOptions = {}) {
    this.now = options.now ?? (() => new Date());
    for (const [resource, strategy] of Object.entries(RBAC_STRATEGIES)) {
      store.setStrategy(resource as RbacResource, strategy);
    }
    this.authenticator = new TokenAuthenticator(options.users, options.anonymous ?? true);
    this.rbac = new RbacAuthorizer(store);
    this.authorizer = new Authorizer(this.rbac);
    this.escalation = new EscalationCheck(this.authorizer);
    this.aggregation = new AggregationController(store);
    installDefaultPolicy(store);
    this.aggregation.start();
  }

  get reviews(): ReviewContext {
    return { authenticator: this.authenticator, authorizer: this.authorizer, rbac: this.rbac, now: this.now };
  }

  /** Authentication, then impersonation; a refusal (401, 403, 500) is written to `res`. */
  identify(req: IncomingMessage, res: ServerResponse): Identity {
    const authn = this.authenticator.authenticate(req.headers.authorization);
    if (authn.kind === 'unauthorized')
      return { refused: sendStatus(res, 401, 'Unauthorized', 'Unauthorized') };
    const result = impersonate(authn.user, req.headersDistinct, this.authorizer);
    switch (result.kind) {
      case 'none':
        return { user: authn.user };
      case 'user':
        return { user: result.user, impersonator: authn.user };
      case 'forbidden':
        return { refused: sendForbidden(res, result.attributes, result.reason) };
      case 'error': {
        // responsewriters.InternalError: plain text, not a Status.
        const text = `Internal Server Error: ${JSON.stringify(req.url ?? '')}: ${result.message}\n`;
        res.writeHead(500, {
          'Content-Type': 'text/plain; charset=utf-8',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(text);
        return { refused: Buffer.byteLength(text) };
      }
    }
  }

  authorize(user: UserInfo, info: RequestInfo): { allowed: boolean; attributes: Attributes; reason: string } {
    const attributes = attributesOf(user, info);
    const decision = this.authorizer.authorize(attributes);
    return { allowed: decision.allowed, attributes, reason: decision.reason };
  }

  /** The admission of a write to an RBAC kind: the escalation check, for the store to run before validation. */
  admission(user: UserInfo, info: RequestInfo, resource: RbacResource) {
    return (obj: KubeObject, old: KubeObject | undefined) =>
      this.escalation.admit(user, info, resource, obj, old);
  }
}
