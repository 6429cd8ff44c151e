/**
 * A local OpenID Connect issuer for tests: HTTPS with a CA of its own (what `auth.oidc.ca`
 * must trust), a discovery document and a JWKS endpoint, keys it can rotate, and a count of
 * the requests it served per path, so tests see how often the gateway fetched its keys.
 * Every token it signs is handed to `onSign`, by default recorded for the run's log scan
 * (test-log.ts): an ID token must never reach a log.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { createServingCertificate } from '../../src/simulator/tls.js';
import { recordSecret } from './test-log.js';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface IssuerKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: Key;
  publicKey: Key;
  jwk: JWK;
}

export async function issuerKey(kid: string, alg: IssuerKey['alg'] = 'RS256'): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicKey, jwk };
}

export interface TestIssuer {
  /** The issuer URL, exactly as tokens carry it in `iss`. */
  url: string;
  caPem: string;
  /** The keys the JWKS endpoint publishes now (replace to rotate). */
  published: IssuerKey[];
  /** Requests served, by path. */
  hits: Map<string, number>;
  /** What the endpoints answer: 'ok', or an HTTP status to fail with. */
  failWith?: number;
  /** The `issuer` the discovery document names (default: url). */
  discoveryIssuer?: string;
  /** A signed token with these claims; `undefined` values are left out. */
  sign(claims: Record<string, unknown>, key?: IssuerKey, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export interface IssuerOptions {
  /** Called with every token signed (default: recorded as a secret for the run's log scan). */
  onSign?: (token: string) => void;
}

/** Starts an issuer at https://127.0.0.1:PORT/realms/test (a path, as Keycloak's have). */
export async function startIssuer(keys: IssuerKey[], options: IssuerOptions = {}): Promise<TestIssuer> {
  const onSign =
    options.onSign ?? ((token: string) => recordSecret(token, 'an ID token the test issuer signed'));
  const cert = await createServingCertificate();
  const hits = new Map<string, number>();
  let issuer!: TestIssuer;
  const server: Server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    hits.set(path, (hits.get(path) ?? 0) + 1);
    if (issuer.failWith) {
      res.writeHead(issuer.failWith, { 'content-type': 'text/plain' }).end('failing on purpose');
      return;
    }
    const base = new URL(issuer.url).pathname;
    if (path === `${base}/.well-known/openid-configuration`) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          issuer: issuer.discoveryIssuer ?? issuer.url,
          jwks_uri: `${issuer.url}/keys`,
          id_token_signing_alg_values_supported: ['RS256', 'ES256'],
        }),
      );
    } else if (path === `${base}/keys`) {
      res
        .writeHead(200, { 'content-type': 'application/jwk-set+json' })
        .end(JSON.stringify({ keys: issuer.published.map((k) => k.jwk) }));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/realms/test`;
  issuer = {
    url,
    caPem: cert.caPem,
    published: [...keys],
    hits,
    async sign(claims, key = issuer.published[0], header = {}) {
      const payload = Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
      const token = await new SignJWT(payload)
        .setProtectedHeader({ alg: key.alg, kid: key.kid, ...header })
        .sign(key.privateKey);
      onSign(token);
      return token;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return issuer;
}
