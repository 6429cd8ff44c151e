/**
 * Static tokens (issue #11): given by value or as a SHA-256 digest (the file then holds no
 * secret), standing for lists of clusters and namespaces or for a Kubernetes identity; the
 * same token over HTTP, SSE and WebSocket. Configured through the config file, as the CLI
 * reads it, and asked through `viewer`.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCli, plan, validateConfigFile } from '../../src/config.js';
import { type Simulator, startSimulator } from '../../src/simulator/server.js';
import { AUTH_TRANSPORTS, askEverywhere, askViewer, VIEWER } from '../helpers/auth-transports.js';
import { type Harness, startHarness } from '../helpers/harness.js';

const OPS = 'ops-token-only-its-digest-is-configured';
const JANE = 'jane-token-0123456789abcdef';
const TEAM = 'team-token-0123456789abcdef';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let sim: Simulator;
let h: Harness;

beforeAll(async () => {
  sim = await startSimulator({ churnPerSecond: 0, scenario: { nodes: 1, pods: 2, jobs: 0, namespaces: 1 } });
  const file = validateConfigFile(
    {
      auth: {
        tokens: [
          { name: 'ops', tokenSha256: sha256(OPS).toUpperCase() },
          { name: 'jane-laptop', tokenEnv: 'JANE_TOKEN', user: 'jane', groups: ['dev', 'dev'], uid: '42' },
          { name: 'team', token: TEAM, clusters: ['sim'], namespaces: ['default'] },
        ],
      },
    },
    'kubegate.yaml',
  );
  const { tokens } = plan(parseCli([], {}), file, { JANE_TOKEN: JANE });
  h = await startHarness({ existingSimulator: sim, cache: false, tokens });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await sim?.close();
});

describe('a token given as its SHA-256 digest', () => {
  it('is the static principal over every transport, and its digest is no credential', async () => {
    const answers = await askEverywhere(h.url, `Bearer ${OPS}`);
    for (const t of AUTH_TRANSPORTS) {
      expect(answers[t], t).toEqual({
        kind: 'answer',
        viewer: { name: 'ops', username: null, groups: [], source: 'STATIC' },
        errors: undefined,
      });
    }
    const digest = await askViewer(h.url, 'post', `Bearer ${sha256(OPS)}`);
    expect(digest).toMatchObject({ kind: 'refused', status: 401 });
  });

  it('sees what its lists allow (every cluster by default)', async () => {
    const res = await h.query('{ clusters { name } }', undefined, { authorization: `Bearer ${OPS}` });
    expect(res).toEqual({ data: { clusters: [{ name: 'sim' }] } });
    const metrics = await fetch(h.url.replace(/\/graphql$/, '/metrics'), {
      headers: { authorization: `Bearer ${OPS}` },
    });
    expect(metrics.status).toBe(200);
  });
});

describe('a token standing for a Kubernetes identity', () => {
  it('is that user with its groups and system:authenticated, over every transport', async () => {
    const answers = await askEverywhere(h.url, `Bearer ${JANE}`);
    for (const t of AUTH_TRANSPORTS) {
      expect(answers[t], t).toEqual({
        kind: 'answer',
        viewer: { name: 'jane', username: 'jane', groups: ['dev', 'system:authenticated'], source: 'TOKEN' },
        errors: undefined,
      });
    }
  });

  it('is no operator for /metrics: RBAC, not a list, decides what it sees', async () => {
    const metrics = await fetch(h.url.replace(/\/graphql$/, '/metrics'), {
      headers: { authorization: `Bearer ${JANE}` },
    });
    expect(metrics.status).toBe(403);
  });
});

describe('a token with lists', () => {
  it('is named by its configuration and has no Kubernetes identity', async () => {
    expect(await askViewer(h.url, 'post', `Bearer ${TEAM}`)).toMatchObject({
      kind: 'answer',
      viewer: { name: 'team', username: null, groups: [], source: 'STATIC' },
    });
  });
});

describe('refusals', () => {
  it('answers 401 UNAUTHENTICATED with WWW-Authenticate and nothing else, never echoing the token', async () => {
    const unknown = 'unknown-token-that-must-not-be-echoed';
    for (const authorization of [
      undefined,
      `Bearer ${unknown}`,
      `Basic ${unknown}`,
      `Bearer ${unknown} extra`,
    ]) {
      const res = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: VIEWER }),
      });
      expect(res.status, authorization?.slice(0, 30)).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer realm="kubegate"');
      const text = await res.text();
      expect(text).not.toContain(unknown);
      const body = JSON.parse(text);
      expect(Object.keys(body)).toEqual(['errors']);
      expect(body.errors).toHaveLength(1);
      expect(body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
      expect(Object.keys(body.errors[0])).toEqual(['message', 'extensions']);
    }
  });
});

describe('an open gateway', () => {
  it('answers viewer as the anonymous open principal', async () => {
    const open = await startHarness({ existingSimulator: sim, cache: false });
    try {
      expect(await askViewer(open.url, 'post')).toMatchObject({
        kind: 'answer',
        viewer: { name: 'anonymous', username: null, groups: [], source: 'OPEN' },
      });
    } finally {
      await open.close();
    }
  });
});
