/**
 * OIDC ID tokens (issue #11) against a local issuer over HTTPS with its own CA: a valid
 * token is the user and groups kube-apiserver would make of it, over every transport; every
 * kind of bad token is 401 (4401 over WebSocket) and costs the issuer nothing; the key set
 * follows a rotation, yet a flood of unknown key ids fetches it at most once per cooldown;
 * an issuer that cannot be reached or trusted is 503 (1013), not 401. Time is the
 * authenticator's own FakeClock: tokens are minted on it, and it is moved, never waited for.
 */
import { exportSPKI, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthenticatorOptions } from '../../src/server/auth.js';
import { KEYS_MAX_AGE_MS, KEYS_REFRESH_COOLDOWN_MS } from '../../src/server/oidc.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { AUTH_TRANSPORTS, askEverywhere, askViewer } from '../helpers/auth-transports.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { type IssuerKey, issuerKey, startIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

const AUDIENCE = 'kubegate';

let sim: Simulator;
let issuer: TestIssuer;
let keyA: IssuerKey;
let keyB: IssuerKey;
let clock: FakeClock;
let h: Harness;
const others: Harness[] = [];

const seconds = () => Math.floor(clock.now() / 1000);
const claims = (changes: Record<string, unknown> = {}) => ({
  iss: issuer.url,
  aud: AUDIENCE,
  sub: 'alice',
  groups: ['dev', 'ops'],
  iat: seconds(),
  exp: seconds() + 300,
  ...changes,
});
const keyFetches = () => issuer.hits.get('/realms/test/keys') ?? 0;
const discoveries = () => issuer.hits.get('/realms/test/.well-known/openid-configuration') ?? 0;

/** Another gateway on the same simulator and issuer, with other OIDC options. */
async function gatewayWith(oidc: Partial<NonNullable<AuthenticatorOptions['oidc']>>): Promise<Harness> {
  const other = await startHarness({
    existingSimulator: sim,
    cache: false,
    auth: { oidc: { issuer: issuer.url, audience: AUDIENCE, ca: issuer.caPem, ...oidc }, clock },
  });
  others.push(other);
  return other;
}

beforeAll(async () => {
  sim = await startSimulator({ churnPerSecond: 0, scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 } });
  [keyA, keyB] = await Promise.all([issuerKey('key-a', 'RS256'), issuerKey('key-b', 'ES256')]);
  issuer = await startIssuer([keyA]);
  clock = new FakeClock(Date.now());
  h = await startHarness({
    existingSimulator: sim,
    cache: false,
    auth: {
      oidc: {
        issuer: issuer.url,
        audience: ['other-client', AUDIENCE],
        groupsPrefix: 'idp:',
        ca: issuer.caPem,
      },
      clock,
    },
  });
}, 60_000);

afterAll(async () => {
  for (const other of others) await other.close();
  await h?.close();
  await issuer?.close();
  await sim?.close();
});

describe('a valid ID token', () => {
  it('is the issuer-prefixed user with prefixed groups, over every transport, with one key fetch', async () => {
    const token = await issuer.sign(claims());
    const answers = await askEverywhere(h.url, `Bearer ${token}`);
    for (const t of AUTH_TRANSPORTS) {
      expect(answers[t], t).toEqual({
        kind: 'answer',
        viewer: {
          name: `${issuer.url}#alice`,
          username: `${issuer.url}#alice`,
          groups: ['idp:dev', 'idp:ops', 'system:authenticated'],
          source: 'OIDC',
        },
        errors: undefined,
      });
    }
    // Five concurrent first requests: one discovery, one key set.
    expect({ discoveries: discoveries(), keyFetches: keyFetches() }).toEqual({
      discoveries: 1,
      keyFetches: 1,
    });
  });

  it('is accepted with up to 60 s of clock skew on exp and nbf', async () => {
    for (const changes of [{ exp: seconds() - 59 }, { nbf: seconds() + 59 }]) {
      const res = await askViewer(h.url, 'post', `Bearer ${await issuer.sign(claims(changes))}`);
      expect(res.kind, JSON.stringify(changes)).toBe('answer');
    }
  });
});

describe('a bad token', () => {
  it('is 401 UNAUTHENTICATED over HTTP and SSE, 4401 over WebSocket, and fetches nothing', async () => {
    const impostor = await issuerKey('key-a'); // same kid, another key
    const publicPem = await exportSPKI(keyA.publicKey);
    const cases: Record<string, string | undefined> = {
      'no Authorization header': undefined,
      'not a bearer token': `Basic ${Buffer.from('alice:secret').toString('base64')}`,
      'not a JWT': 'Bearer not-a-jwt',
      'expired beyond the skew': `Bearer ${await issuer.sign(claims({ exp: seconds() - 61 }))}`,
      'not yet valid beyond the skew': `Bearer ${await issuer.sign(claims({ nbf: seconds() + 61 }))}`,
      'another audience': `Bearer ${await issuer.sign(claims({ aud: 'someone-else' }))}`,
      'another issuer': `Bearer ${await issuer.sign(claims({ iss: 'https://evil.example/realms/test' }))}`,
      'signed by another key under a known kid': `Bearer ${await issuer.sign(claims(), impostor)}`,
      'alg none': `Bearer ${new UnsecuredJWT(claims()).encode()}`,
      'HS256 keyed by the public key': `Bearer ${await new SignJWT(claims())
        .setProtectedHeader({ alg: 'HS256', kid: 'key-a' })
        .sign(new TextEncoder().encode(publicPem))}`,
      'no exp': `Bearer ${await issuer.sign(claims({ exp: undefined }))}`,
      'no aud': `Bearer ${await issuer.sign(claims({ aud: undefined }))}`,
      'no iss': `Bearer ${await issuer.sign(claims({ iss: undefined }))}`,
      'no username claim (sub)': `Bearer ${await issuer.sign(claims({ sub: undefined }))}`,
      'groups neither string nor strings': `Bearer ${await issuer.sign(claims({ groups: [1, 2] }))}`,
    };
    const fetchesBefore = keyFetches();
    for (const [what, authorization] of Object.entries(cases)) {
      const answers = await askEverywhere(h.url, authorization);
      for (const t of AUTH_TRANSPORTS) {
        const outcome = answers[t];
        const label = `${what} over ${t}`;
        if (t === 'ws') {
          expect(outcome, label).toEqual({ kind: 'refused', status: 4401, body: 'Unauthorized' });
          continue;
        }
        expect(outcome.kind === 'refused' && outcome.status, label).toBe(401);
        const body =
          outcome.kind === 'refused' ? (outcome.body as { errors: { extensions: unknown }[] }) : undefined;
        expect(
          body?.errors.map((e) => e.extensions),
          label,
        ).toEqual([{ code: 'UNAUTHENTICATED' }]);
        const token = authorization?.split(' ')[1];
        if (token) expect(JSON.stringify(body), label).not.toContain(token);
      }
    }
    expect(keyFetches()).toBe(fetchesBefore);
  });
});

describe('key rotation', () => {
  it('takes a new key after the cooldown, and a flood of unknown key ids fetches at most once per cooldown', async () => {
    const flood = async (n: number) => {
      const tokens = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          issuer.sign(claims(), keyB, { kid: `made-up-${i}-${Math.random()}` }),
        ),
      );
      const outcomes = await Promise.all(tokens.map((t) => askViewer(h.url, 'post', `Bearer ${t}`)));
      expect(outcomes.every((o) => o.kind === 'refused' && o.status === 401)).toBe(true);
    };
    const start = keyFetches();
    issuer.published = [keyA, keyB];
    const withB = async () => askViewer(h.url, 'post', `Bearer ${await issuer.sign(claims(), keyB)}`);

    // Within the cooldown of the last fetch: the new key is not fetched for.
    expect(await withB()).toMatchObject({ kind: 'refused', status: 401 });
    await flood(40);
    expect(keyFetches()).toBe(start);

    clock.advance(KEYS_REFRESH_COOLDOWN_MS);
    expect(await withB()).toMatchObject({ kind: 'answer', viewer: { name: `${issuer.url}#alice` } });
    expect(keyFetches()).toBe(start + 1);
    await flood(40);
    expect(keyFetches()).toBe(start + 1);

    // After the cooldown, forty concurrent unknown kids share one fetch.
    clock.advance(KEYS_REFRESH_COOLDOWN_MS);
    await flood(40);
    expect(keyFetches()).toBe(start + 2);

    // A retired key stops working once the set is fetched again (it is at most 10 minutes old).
    issuer.published = [keyB];
    expect(await askViewer(h.url, 'post', `Bearer ${await issuer.sign(claims(), keyA)}`)).toMatchObject({
      kind: 'answer',
    });
    clock.advance(KEYS_MAX_AGE_MS);
    expect(await askViewer(h.url, 'post', `Bearer ${await issuer.sign(claims(), keyA)}`)).toMatchObject({
      kind: 'refused',
      status: 401,
    });
    expect(keyFetches()).toBe(start + 3);
    expect(discoveries()).toBe(1);
  });

  it('keeps the key set it has while the issuer fails', async () => {
    const before = keyFetches();
    issuer.failWith = 500;
    try {
      clock.advance(KEYS_MAX_AGE_MS);
      expect(await askViewer(h.url, 'post', `Bearer ${await issuer.sign(claims(), keyB)}`)).toMatchObject({
        kind: 'answer',
      });
      expect(keyFetches()).toBe(before + 1);
    } finally {
      issuer.failWith = undefined;
    }
  });
});

describe("claims to a Kubernetes user, as kube-apiserver's --oidc-* flags map them", () => {
  it('takes email without a prefix, and refuses an email that is not verified', async () => {
    const g = await gatewayWith({ usernameClaim: 'email' });
    const ask = async (changes: Record<string, unknown>) =>
      askViewer(
        g.url,
        'post',
        `Bearer ${await issuer.sign(claims({ email: 'alice@example.com', ...changes }))}`,
      );
    for (const verified of [{ email_verified: true }, {}]) {
      expect(await ask(verified), JSON.stringify(verified)).toMatchObject({
        kind: 'answer',
        viewer: { name: 'alice@example.com', groups: ['dev', 'ops', 'system:authenticated'] },
      });
    }
    for (const unverified of [{ email_verified: false }, { email_verified: 'true' }, { email: undefined }]) {
      expect(await ask(unverified), JSON.stringify(unverified)).toMatchObject({
        kind: 'refused',
        status: 401,
      });
    }
  });

  it('prefixes other claims with the issuer unless told otherwise, "-" meaning none', async () => {
    const preferred = await gatewayWith({ usernameClaim: 'preferred_username' });
    const dash = await gatewayWith({ usernamePrefix: '-', groupsClaim: 'roles' });
    const own = await gatewayWith({ usernamePrefix: 'oidc:', groupsPrefix: 'oidc:' });
    const token = await issuer.sign(claims({ preferred_username: 'Alice A.', roles: 'admins' }));
    const name = async (g: Harness) => {
      const outcome = await askViewer(g.url, 'post', `Bearer ${token}`);
      return outcome.kind === 'answer' ? outcome.viewer : outcome;
    };
    expect(await name(preferred)).toMatchObject({
      name: `${issuer.url}#Alice A.`,
      groups: ['dev', 'ops', 'system:authenticated'],
    });
    // A groups claim may be one string.
    expect(await name(dash)).toMatchObject({ name: 'alice', groups: ['admins', 'system:authenticated'] });
    expect(await name(own)).toMatchObject({
      name: 'oidc:alice',
      groups: ['oidc:dev', 'oidc:ops', 'system:authenticated'],
    });
  });
});

describe('a token without a key id', () => {
  it('is checked against each published key of its algorithm', async () => {
    const published = issuer.published;
    const keyC = await issuerKey('key-c', 'RS256');
    issuer.published = [keyC, keyA];
    try {
      const g = await gatewayWith({});
      const noKid = async (key: IssuerKey) => issuer.sign(claims(), key, { kid: undefined });
      expect(await askViewer(g.url, 'post', `Bearer ${await noKid(keyA)}`)).toMatchObject({ kind: 'answer' });
      expect(await askViewer(g.url, 'post', `Bearer ${await noKid(keyC)}`)).toMatchObject({ kind: 'answer' });
      const stranger = await issuerKey('key-a');
      expect(await askViewer(g.url, 'post', `Bearer ${await noKid(stranger)}`)).toMatchObject({
        kind: 'refused',
        status: 401,
      });
    } finally {
      issuer.published = published;
    }
  });
});

describe('an issuer that cannot be used', () => {
  it('is 503 UNAVAILABLE with Retry-After (1013 over WebSocket), and is asked again only after the cooldown', async () => {
    issuer.discoveryIssuer = 'https://elsewhere.example/realms/test';
    try {
      const g = await gatewayWith({});
      const before = discoveries();
      const token = await issuer.sign(claims());
      const answers = await askEverywhere(g.url, `Bearer ${token}`);
      for (const t of AUTH_TRANSPORTS) {
        const outcome = answers[t];
        if (t === 'ws') {
          expect(outcome, t).toEqual({ kind: 'refused', status: 1013, body: 'Try Again Later' });
          continue;
        }
        expect(outcome.kind === 'refused' && outcome.status, t).toBe(503);
        if (outcome.kind !== 'refused') continue;
        expect(outcome.headers?.get('retry-after'), t).toMatch(/^\d+$/);
        expect((outcome.body as { errors: { extensions: unknown }[] }).errors[0].extensions, t).toEqual({
          code: 'UNAVAILABLE',
          retryAfterSeconds: expect.any(Number),
        });
      }
      expect(discoveries()).toBe(before + 1);
      // Once the issuer is right again, the next attempt after the cooldown succeeds.
      issuer.discoveryIssuer = undefined;
      expect(await askViewer(g.url, 'post', `Bearer ${token}`)).toMatchObject({
        kind: 'refused',
        status: 503,
      });
      clock.advance(KEYS_REFRESH_COOLDOWN_MS);
      expect(await askViewer(g.url, 'post', `Bearer ${token}`)).toMatchObject({ kind: 'answer' });
      expect(discoveries()).toBe(before + 2);
    } finally {
      issuer.discoveryIssuer = undefined;
    }
  });

  it('is not trusted without its CA: the TLS handshake fails, so 503', async () => {
    const g = await gatewayWith({ ca: undefined });
    const outcome = await askViewer(g.url, 'post', `Bearer ${await issuer.sign(claims())}`);
    expect(outcome).toMatchObject({ kind: 'refused', status: 503 });
  });
});
