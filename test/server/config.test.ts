import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCli, plan, settingsFromEnv, validateConfigFile } from '../../src/config.js';

describe('parseCli', () => {
  it('defaults to 127.0.0.1:4000 and KUBECONFIG', () => {
    const cli = parseCli([], { KUBECONFIG: '/tmp/a:/tmp/b' });
    expect(cli).toMatchObject({ port: 4000, host: '127.0.0.1', kubeconfig: '/tmp/a:/tmp/b', noCache: false });
  });

  it('takes repeated --context and --no-cache', () => {
    const cli = parseCli(['--kubeconfig', 'k', '--context', 'a', '--context', 'b', '--no-cache'], {});
    expect(cli.contexts).toEqual(['a', 'b']);
    expect(cli.noCache).toBe(true);
  });

  it('says what was expected for a bad port', () => {
    expect(() => parseCli(['--port', 'x'], {})).toThrow(
      /--port: expected an integer from 0 to 65535, received "x"/,
    );
  });
});

describe('settingsFromEnv', () => {
  it('reads the subscription bounds with their defaults, and names a bad value and what came', () => {
    expect(settingsFromEnv({})).toEqual({
      subscriberQueue: 1000,
      subscriptionsPerPrincipal: 5000,
      subscriptionsPerConnection: 200,
      snapshotSyncTimeoutMs: 30_000,
    });
    expect(settingsFromEnv({ KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS: '2000' }).snapshotSyncTimeoutMs).toBe(2000);
    for (const bad of ['0', '-5', '1.5', 'soon']) {
      expect(() => settingsFromEnv({ KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS: bad })).toThrow(
        `KUBEGATE_SNAPSHOT_SYNC_TIMEOUT_MS: expected a positive integer, received "${bad}"`,
      );
    }
  });
});

describe('plan', () => {
  it('uses the embedded simulator when nothing is configured', () => {
    const p = plan(parseCli([], {}), {}, {});
    expect(p.sources).toEqual([]);
    expect(p.simulators.map((s) => s.name)).toEqual(['simulator']);
    expect(p.cache).toBe(true);
  });

  it('splits KUBECONFIG into one source per file and keeps --context', () => {
    const p = plan(parseCli(['--context', 'x'], { KUBECONFIG: '/a:/b' }), {}, {});
    expect(p.sources).toEqual([
      { type: 'kubeconfig', path: '/a', contexts: ['x'] },
      { type: 'kubeconfig', path: '/b', contexts: ['x'] },
    ]);
    expect(p.simulators).toEqual([]);
  });

  it('refuses --context without a kubeconfig', () => {
    expect(() => plan(parseCli(['--context', 'x'], {}), {}, {})).toThrow(ConfigError);
  });

  it('reads tokens from the environment and fails clearly when unset', () => {
    const file = validateConfigFile(
      { auth: { tokens: [{ name: 'team', tokenEnv: 'TEAM_TOKEN', namespaces: ['a'] }] } },
      'f',
    );
    expect(plan(parseCli([], {}), file, { TEAM_TOKEN: 't'.repeat(20) }).tokens).toEqual([
      { name: 'team', token: 't'.repeat(20), clusters: '*', namespaces: ['a'] },
    ]);
    expect(() => plan(parseCli([], {}), file, {})).toThrow(/TEAM_TOKEN is not set/);
  });
});

describe('validateConfigFile', () => {
  it('accepts every cluster form', () => {
    const file = validateConfigFile(
      {
        server: { port: 8080 },
        cache: false,
        pool: { maxSockets: 8 },
        clusters: [
          { kubeconfig: '/k', contexts: ['a'] },
          { inCluster: true, name: 'here' },
          { simulator: { nodes: 3 } },
        ],
      },
      'f',
    );
    expect(file.clusters).toHaveLength(3);
  });

  it('takes how each cluster authorises identities, and mirrors RBAC only where identities can sign in and rbac decides', () => {
    const file = validateConfigFile(
      {
        auth: { tokens: [{ name: 'dev', token: 'a-token-of-20-chars!', user: 'dev' }] },
        clusters: [
          { kubeconfig: '/k', authorization: 'subjectAccessReview' },
          { inCluster: true, name: 'here', authorization: 'static' },
          { simulator: { nodes: 1 } },
        ],
      },
      'f',
    );
    const p = plan(parseCli([]), file, {});
    expect(p.identities).toBe(true);
    expect(p.sources.map((s) => s.authorization)).toEqual(['subjectAccessReview', 'static']);
    expect(p.simulators[0].authorization).toBeUndefined(); // rbac, the default
    const lists = plan(
      parseCli([]),
      validateConfigFile({ auth: { tokens: [{ name: 'ops', token: 'a-token-of-20-chars!' }] } }, 'f'),
      {},
    );
    expect(lists.identities).toBe(false);
    expect(() =>
      validateConfigFile({ clusters: [{ kubeconfig: '/k', authorization: 'webhook' }] }, 'kubegate.yaml'),
    ).toThrow(/clusters\.0\.authorization: .*rbac.*subjectAccessReview.*static.*received "webhook"/);
  });

  it('takes the containerLogs: limits into the plan, and names a bad one', () => {
    const file = validateConfigFile(
      { containerLogs: { maxBytes: 2_097_152, maxStreamsPerCluster: 50, maxStreamsPerPrincipal: 5 } },
      'f',
    );
    expect(plan(parseCli([]), file, {}).containerLogs).toEqual({
      maxBytes: 2_097_152,
      maxStreamsPerCluster: 50,
      maxStreamsPerPrincipal: 5,
    });
    expect(plan(parseCli([]), validateConfigFile({}, 'f'), {}).containerLogs).toEqual({});
    expect(() => validateConfigFile({ containerLogs: { maxStreamsPerCluster: 0 } }, 'kubegate.yaml')).toThrow(
      /containerLogs\.maxStreamsPerCluster: .*>=1.*received 0/,
    );
    expect(() => validateConfigFile({ containerLogs: { maxBytes: 10 } }, 'kubegate.yaml')).toThrow(
      /containerLogs\.maxBytes: .*received 10/,
    );
    expect(() => validateConfigFile({ containerLogs: { tail: 10 } }, 'kubegate.yaml')).toThrow(
      /containerLogs: .*\(tail\)/,
    );
  });

  it("takes each cluster's metrics window (the usage cache's ttl), 1 to 3600 seconds", () => {
    const file = validateConfigFile(
      { clusters: [{ kubeconfig: '/k', metrics: { windowSeconds: 30 } }, { inCluster: true }] },
      'f',
    );
    const p = plan(parseCli([]), file, {});
    expect(p.sources.map((s) => s.metrics)).toEqual([{ windowSeconds: 30 }, undefined]);
    for (const bad of [0, 1.5, 7200])
      expect(() =>
        validateConfigFile(
          { clusters: [{ kubeconfig: '/k', metrics: { windowSeconds: bad } }] },
          'kubegate.yaml',
        ),
      ).toThrow(/clusters\.0\.metrics\.windowSeconds/);
    expect(() =>
      validateConfigFile({ clusters: [{ kubeconfig: '/k', metrics: { resolution: 15 } }] }, 'kubegate.yaml'),
    ).toThrow(/clusters\.0\.metrics/);
  });

  it('names the key, what was expected and what came', () => {
    try {
      validateConfigFile({ server: { port: 'x' }, clusterz: [] }, 'kubegate.yaml');
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('invalid configuration in kubegate.yaml');
      expect(message).toMatch(/server\.port: .*expected number.*received "x"/);
      expect(message).toMatch(/Unrecognized key.*clusterz/);
    }
  });

  it('refuses a token that is too short', () => {
    expect(() => validateConfigFile({ auth: { tokens: [{ name: 'a', token: 'short' }] } }, 'f')).toThrow(
      /auth\.tokens\.0/,
    );
  });

  it('never prints a credential in an error', () => {
    const secret = 'sup3r-s3cret-value-do-not-print';
    for (const input of [
      { auth: { tokens: [{ name: 'a', token: secret, clusterz: 1 }] } },
      { auth: { tokens: [{ name: 7, token: secret }] } },
      { auth: { tokens: [{ name: 'a', token: secret, tokenEnv: 'X' }] } },
      { auth: { tokens: { name: 'a', token: secret } } },
      { auth: { tokens: [{ name: 'a', token: 42 }] }, clusters: [{ kubeconfig: 1, token: secret }] },
      { clusters: [{ simulator: {}, password: secret }] },
    ]) {
      let message = '';
      try {
        validateConfigFile(input, 'kubegate.yaml');
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain('invalid configuration in kubegate.yaml');
      expect(message).not.toContain(secret);
    }
  });

  it('refuses auth without tokens instead of running open', () => {
    expect(() => validateConfigFile({ auth: { tokens: [] } }, 'f')).toThrow(
      /auth\.tokens: expected at least one token/,
    );
  });
});

describe('open mode', () => {
  it('refuses to serve without auth on a non-loopback address unless told to', () => {
    expect(() => plan(parseCli(['--host', '0.0.0.0'], {}), {}, {})).toThrow(
      /refusing to serve without authentication on 0\.0\.0\.0.*auth\.tokens.*--insecure-no-auth/,
    );
    expect(plan(parseCli(['--host', '0.0.0.0', '--insecure-no-auth'], {}), {}, {}).open).toBe(true);
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) {
      expect(plan(parseCli(['--host', host], {}), {}, {}).open).toBe(true);
    }
    const withAuth = plan(
      parseCli(['--host', '0.0.0.0'], {}),
      { auth: { tokens: [{ name: 'ops', token: 'a-token-of-20-chars!', clusters: '*', namespaces: '*' }] } },
      {},
    );
    expect(withAuth.open).toBe(false);
  });

  it('takes CORS origins and allowed hosts, and refuses a wildcard origin', () => {
    const p = plan(
      parseCli(['--cors-origin', 'https://dash.example.com', '--allowed-host', 'kubegate.internal'], {}),
      {},
      {},
    );
    expect(p.browsers).toEqual({ origins: ['https://dash.example.com'], hosts: ['kubegate.internal'] });
    expect(() => plan(parseCli(['--cors-origin', '*'], {}), {}, {})).toThrow(
      /--cors-origin: expected an origin/,
    );
    expect(() => validateConfigFile({ cors: { origins: ['*'] } }, 'f')).toThrow(
      /cors\.origins\.0: expected an origin/,
    );
  });
});

describe('limits', () => {
  it('takes per-operation limits from the file and refuses nonsense with the key path', () => {
    const p = plan(parseCli([], {}), { limits: { costLimit: 5000, timeoutMs: 2000, maxDepth: 8 } }, {});
    expect(p.limits).toEqual({ costLimit: 5000, timeoutMs: 2000, maxDepth: 8 });
    expect(() => validateConfigFile({ limits: { costLimit: -1 } }, 'f')).toThrow(/limits\.costLimit/);
    expect(() => validateConfigFile({ limits: { maxDeph: 3 } }, 'f')).toThrow(/maxDeph/);
  });
});

describe('auth', () => {
  const problems = (input: unknown): string => {
    try {
      validateConfigFile(input, 'kubegate.yaml');
    } catch (err) {
      return (err as Error).message;
    }
    return '';
  };
  const DIGEST = createHash('sha256').update('a-token-of-20-chars!').digest('hex');

  it('takes a token as its SHA-256 digest, and a token standing for a Kubernetes identity', () => {
    const file = validateConfigFile(
      {
        auth: {
          tokens: [
            { name: 'ops', tokenSha256: DIGEST.toUpperCase(), namespaces: ['a'] },
            { name: 'jane', tokenEnv: 'JANE', user: 'jane', groups: ['dev'], uid: '7' },
          ],
        },
      },
      'f',
    );
    expect(plan(parseCli([], {}), file, { JANE: 'j'.repeat(20) }).tokens).toEqual([
      { name: 'ops', tokenSha256: DIGEST, clusters: '*', namespaces: ['a'] },
      { name: 'jane', token: 'j'.repeat(20), user: 'jane', groups: ['dev'], uid: '7' },
    ]);
  });

  it('refuses a digest that is not 64 hex digits, and two ways of giving one token', () => {
    expect(problems({ auth: { tokens: [{ name: 'a', tokenSha256: 'abc' }] } })).toMatch(
      /auth\.tokens\.0\.tokenSha256: expected the SHA-256 digest of the token as 64 hexadecimal characters/,
    );
    expect(problems({ auth: { tokens: [{ name: 'a', tokenSha256: DIGEST, tokenEnv: 'X' }] } })).toMatch(
      /auth\.tokens\.0: expected exactly one of "token".*"tokenEnv".*"tokenSha256"/,
    );
    expect(problems({ auth: { tokens: [{ name: 'a' }] } })).toMatch(/expected exactly one of "token"/);
  });

  it('refuses a token that mixes an identity with lists, or groups without a user', () => {
    expect(
      problems({ auth: { tokens: [{ name: 'a', tokenSha256: DIGEST, user: 'jane', namespaces: ['x'] }] } }),
    ).toMatch(/auth\.tokens\.0: expected either "user" .* or "clusters"\/"namespaces" lists, not both/);
    expect(problems({ auth: { tokens: [{ name: 'a', tokenSha256: DIGEST, groups: ['dev'] }] } })).toMatch(
      /auth\.tokens\.0: expected "user" with "groups" and "uid"/,
    );
  });

  it('refuses two tokens with the same value, however each is given', () => {
    const file = validateConfigFile(
      {
        auth: {
          tokens: [
            { name: 'a', token: 'a-token-of-20-chars!' },
            { name: 'b', tokenSha256: DIGEST },
          ],
        },
      },
      'f',
    );
    expect(() => plan(parseCli([], {}), file, {})).toThrow(
      /auth\.tokens "b" and "a": expected different tokens, received the same one/,
    );
  });

  it('takes OIDC with kube-apiserver-like options and reads the CA file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubegate-config-'));
    const caFile = join(dir, 'ca.pem');
    writeFileSync(caFile, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const oidc = {
      issuer: 'https://login.example.com/realms/k8s',
      audience: 'kubegate',
      usernameClaim: 'email',
      groupsPrefix: 'oidc:',
      caFile,
    };
    const p = plan(parseCli(['--host', '0.0.0.0'], {}), validateConfigFile({ auth: { oidc } }, 'f'), {});
    expect(p.open).toBe(false);
    expect(p.oidc).toEqual({
      issuer: oidc.issuer,
      audience: 'kubegate',
      usernameClaim: 'email',
      groupsPrefix: 'oidc:',
      ca: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    });
    const missing = validateConfigFile({ auth: { oidc: { ...oidc, caFile: join(dir, 'nope.pem') } } }, 'f');
    expect(() => plan(parseCli([], {}), missing, {})).toThrow(
      /auth\.oidc\.caFile: cannot read .*nope\.pem: ENOENT/,
    );
    writeFileSync(caFile, 'not a certificate');
    expect(() => plan(parseCli([], {}), validateConfigFile({ auth: { oidc } }, 'f'), {})).toThrow(
      /auth\.oidc\.caFile: expected PEM certificates/,
    );
  });

  it('says what was wrong with the OIDC options, showing the issuer (no secret) as it came', () => {
    const message = problems({
      auth: { oidc: { issuer: 'http://login.example.com', audience: [], usernameClam: 'email' } },
    });
    expect(message).toMatch(
      /auth\.oidc\.issuer: expected an https:\/\/ URL; received "http:\/\/login\.example\.com"/,
    );
    expect(message).toMatch(/auth\.oidc\.audience/);
    expect(message).toMatch(/Unrecognized key.*usernameClam/);
  });

  it('takes a cluster for TokenReview, and refuses an auth section with no method', () => {
    const p = plan(
      parseCli(['--host', '0.0.0.0'], {}),
      validateConfigFile({ auth: { kubernetes: { cluster: 'prod' } } }, 'f'),
      {},
    );
    expect({ open: p.open, kubernetes: p.kubernetes, tokens: p.tokens }).toEqual({
      open: false,
      kubernetes: { cluster: 'prod' },
      tokens: [],
    });
    expect(problems({ auth: {} })).toMatch(/auth: expected at least one of "tokens", "oidc" or "kubernetes"/);
    expect(problems({ auth: { kubernetes: {} } })).toMatch(/auth\.kubernetes\.cluster/);
  });

  it('never prints a token, given by value, from the environment or as a digest', () => {
    const secret = 'sup3r-s3cret-value-do-not-print';
    for (const input of [
      { auth: { tokens: [{ name: 'a', token: secret, user: 'u', clusters: '*' }] } },
      { auth: { tokens: [{ name: 'a', tokenSha256: secret }] } },
      { auth: { tokens: [{ name: 'a', token: secret }], oidc: { issuer: 1 } } },
      { auth: { tokens: [secret] } },
    ]) {
      const message = problems(input);
      expect(message).toContain('invalid configuration in kubegate.yaml');
      expect(message).not.toContain(secret);
    }
  });
});

describe('subscriptions', () => {
  it('keeps events resumable 300 s by default, 10,000 per cluster and kind; the file and --retention-seconds change it', () => {
    expect(plan(parseCli([], {}), {}, {}).eventLog).toEqual({ retentionMs: 300_000, maxEvents: 10_000 });
    const file = validateConfigFile({ subscriptions: { retentionSeconds: 60, retainedEvents: 500 } }, 'f');
    expect(plan(parseCli([], {}), file, {}).eventLog).toEqual({ retentionMs: 60_000, maxEvents: 500 });
    expect(plan(parseCli(['--retention-seconds', '30'], {}), file, {}).eventLog.retentionMs).toBe(30_000);
    expect(() => parseCli(['--retention-seconds', 'soon'], {})).toThrow(
      /--retention-seconds: expected an integer from 0 to 86400, received "soon"/,
    );
    expect(() => validateConfigFile({ subscriptions: { retentionSeconds: -1 } }, 'f')).toThrow(
      /subscriptions\.retentionSeconds/,
    );
  });
});
