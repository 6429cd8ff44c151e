/**
 * GraphQL over HTTP conformance: graphql-http's server audits against the running
 * gateway (with armor, metrics and masking plugins on), through real HTTP, open and with
 * authentication on (the audits' requests then carry a bearer token, as any client's do).
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';

const TOKEN = 'http-audit-token-0123456789';
let open: Harness;
let authed: Harness;

beforeAll(async () => {
  open = await startHarness({ simulator: { scenario: { nodes: 2, pods: 10, jobs: 2, namespaces: 1 } } });
  authed = await startHarness({
    existingSimulator: open.sim,
    tokens: [{ name: 'auditor', token: TOKEN }],
  });
});

afterAll(async () => {
  await authed?.close();
  await open?.close();
});

describe('GraphQL over HTTP (graphql-http serverAudits)', () => {
  it.each([
    ['open', () => open.url, {}],
    ['with auth', () => authed.url, { authorization: `Bearer ${TOKEN}` }],
  ] as const)('passes every audit (%s)', async (_mode, url, headers) => {
    // A client of a gateway with CSRF prevention sends its preflight header (browsers' pages
    // cannot without CORS); test/server/browsers.test.ts shows what happens without it.
    const withPreflight: typeof fetch = (input, init) => {
      const all = new Headers(init?.headers);
      all.set('x-graphql-yoga-csrf', '1');
      for (const [key, value] of Object.entries(headers)) all.set(key, value);
      return fetch(input, { ...init, headers: all });
    };
    const audits = serverAudits({ url: url(), fetchFn: withPreflight });
    const failures: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== 'ok')
        failures.push(`${audit.name}: ${result.status} ${'reason' in result ? result.reason : ''}`);
    }
    expect(audits.length).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });

  it('the audits with auth on are authenticated: without the token they are refused', async () => {
    const res = await fetch(authed.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(res.status).toBe(401);
  });
});
