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
    const audits = serverAudits({ url: h.url, fetchFn: fetch });
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
