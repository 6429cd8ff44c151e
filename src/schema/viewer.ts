/**
 * Viewer: who is signed in, as the gateway authenticated them. Frontends show it (Headlamp
 * does), and it says what the gateway will ask each cluster's RBAC about: the user name
 * (with the OIDC prefix applied) and groups.
 */
import { type Principal, writeIdentity } from '../loaders/principal.js';
import { builder } from './builder.js';

const SOURCES = ['STATIC', 'OPEN', 'TOKEN', 'OIDC', 'KUBERNETES'] as const;
type Source = (typeof SOURCES)[number];

const AuthSource = builder.enumType('AuthSource', {
  description: 'How the caller was authenticated.',
  values: {
    STATIC: { description: 'A configured token with lists of clusters and namespaces.' },
    OPEN: { description: 'No authentication is configured: everyone is the open principal.' },
    TOKEN: { description: 'A configured token standing for a Kubernetes user (`user:`).' },
    OIDC: { description: 'An OpenID Connect ID token of the configured issuer.' },
    KUBERNETES: { description: "A token the configured cluster's TokenReview API authenticated." },
  } satisfies Record<Source, { description: string }>,
});

function sourceOf(principal: Principal): Source {
  if (principal.user) return principal.source.toUpperCase() as Source;
  return principal.open ? 'OPEN' : 'STATIC';
}

const Viewer = builder.objectRef<Principal>('Viewer').implement({
  description: 'The caller.',
  fields: (t) => ({
    name: t.string({
      description:
        'The user name of an identity, the configured name of a static token, "anonymous" when open.',
      resolve: (p) => p.name,
    }),
    username: t.string({
      nullable: true,
      description: "The Kubernetes user name each cluster's RBAC is asked about; null for a static token.",
      resolve: (p) => p.user?.username ?? null,
    }),
    groups: t.stringList({
      description:
        'The Kubernetes groups of an identity (system:authenticated among them); empty for a static token.',
      resolve: (p) => [...(p.user?.groups ?? [])],
    }),
    source: t.field({ type: AuthSource, resolve: (p) => sourceOf(p) }),
    writesAs: t.string({
      nullable: true,
      description:
        'The Kubernetes user this caller’s mutations are made as (impersonated): an identity’s own user name, a static token’s configured writeAs; null when it may not write at all.',
      resolve: (p) => writeIdentity(p)?.username ?? null,
    }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: Viewer,
    description: 'Who is asking: answered from the request’s credentials, without any cluster.',
    resolve: (_root, _args, ctx) => ctx.principal,
  }),
);
