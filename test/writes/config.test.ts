/**
 * The `writes:` section and a token's `writeAs`: validated with the key's path, and the
 * open gateway allowed to write only as a named identity and only on loopback.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseCli, plan, validateConfigFile } from '../../src/config.js';

const TOKEN = 't'.repeat(20);

describe('writes configuration', () => {
  it('passes the limits and the visibility bound on, defaults left to the gateway', () => {
    const file = validateConfigFile(
      { writes: { qps: 2.5, burst: 4, perPrincipal: { perMinute: 30 }, visibilityTimeoutMs: 2000 } },
      'f',
    );
    const p = plan(parseCli([], {}), file, {});
    expect(p.writes).toEqual({
      qps: 2.5,
      burst: 4,
      perPrincipal: { perMinute: 30 },
      visibilityTimeoutMs: 2000,
    });
    expect(p.openWriteAs).toBeUndefined();
    expect(plan(parseCli([], {}), {}, {}).writes).toEqual({});
  });

  it('names the key and what was wrong', () => {
    expect(() => validateConfigFile({ writes: { qps: 0 } }, 'k.yaml')).toThrow(/writes\.qps: .*received 0/);
    expect(() => validateConfigFile({ writes: { burst: 1.5 } }, 'k.yaml')).toThrow(/writes\.burst/);
    expect(() => validateConfigFile({ writes: { perPrincipal: { perHour: 5 } } }, 'k.yaml')).toThrow(
      /writes\.perPrincipal: .*\(perHour\)/,
    );
    expect(() => validateConfigFile({ writes: { visibilityTimeoutMs: -1 } }, 'k.yaml')).toThrow(
      /writes\.visibilityTimeoutMs/,
    );
  });

  it('takes a writeAs on a token with lists, never on a token that is a user', () => {
    const file = validateConfigFile(
      {
        auth: {
          tokens: [
            {
              name: 'dash',
              token: TOKEN,
              namespaces: ['a'],
              writeAs: { user: 'dash-writer', groups: ['dash'] },
            },
          ],
        },
      },
      'f',
    );
    expect(plan(parseCli([], {}), file, {}).tokens).toEqual([
      {
        name: 'dash',
        token: TOKEN,
        clusters: '*',
        namespaces: ['a'],
        writeAs: { user: 'dash-writer', groups: ['dash'] },
      },
    ]);
    expect(() =>
      validateConfigFile(
        { auth: { tokens: [{ name: 'u', token: TOKEN, user: 'alice', writeAs: { user: 'bob' } }] } },
        'k.yaml',
      ),
    ).toThrow(/auth\.tokens\.0: expected "writeAs" only on a token with lists/);
  });

  it('lets the open gateway write only as a named identity, and only on loopback', () => {
    const file = validateConfigFile({ writes: { openAs: { user: 'local-dev', groups: ['dev'] } } }, 'f');
    expect(plan(parseCli([], {}), file, {}).openWriteAs).toEqual({ user: 'local-dev', groups: ['dev'] });
    // Not even --insecure-no-auth makes everyone who reaches a network address a writer.
    expect(() => plan(parseCli(['--host', '0.0.0.0', '--insecure-no-auth'], {}), file, {})).toThrow(
      /writes\.openAs: refusing to let everyone who reaches 0\.0\.0\.0 write as "local-dev"/,
    );
    const withAuth = validateConfigFile(
      {
        writes: { openAs: { user: 'local-dev' } },
        auth: { tokens: [{ name: 'a', token: TOKEN }] },
      },
      'f',
    );
    expect(() => plan(parseCli([], {}), withAuth, {})).toThrow(ConfigError);
    expect(() => plan(parseCli([], {}), withAuth, {})).toThrow(/only on a gateway without auth/);
  });
});
