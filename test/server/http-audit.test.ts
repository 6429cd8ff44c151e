/**
 * GraphQL over HTTP conformance: graphql-http's server audits against the running
 * gateway (with armor, metrics and masking plugins on), through real HTTP.
 */
import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 10, jobs: 2, namespaces: 1 } } });
});

afterAll(async () => {
  await h?.close();
});

describe('GraphQL over HTTP (graphql-http serverAudits)', () => {
  it('passes every audit', async () => {
    // A client of a gateway with CSRF prevention sends its preflight header (browsers' pages
    // cannot without CORS); test/server/browsers.test.ts shows what happens without it.
    const withPreflight: typeof fetch = (input, init) => {
      const headers = new Headers(init?.headers);
      headers.set('x-graphql-yoga-csrf', '1');
      return fetch(input, { ...init, headers });
    };
    const audits = serverAudits({ url: h.url, fetchFn: withPreflight });
    const failures: string[] = [];
    for (const audit of audits) {
      const result = await audit.fn();
      if (result.status !== 'ok')
        failures.push(`${audit.name}: ${result.status} ${'reason' in result ? result.reason : ''}`);
    }
    expect(audits.length).toBeGreaterThan(50);
    expect(failures).toEqual([]);
  });
});
