/**
 * Operation limits (graphql-armor) let every dashboard operation we ship through and
 * stop pathological ones with a clear error, over HTTP.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/schema/example.js';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ simulator: { scenario: { nodes: 3, pods: 30, jobs: 3, namespaces: 2 } } });
});

afterAll(async () => {
  await h?.close();
});

function operations(dir: string): [string, string][] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.graphql'))
    .map((f) => [f, readFileSync(join(dir, f), 'utf8')]);
}

describe('operation limits', () => {
  it('let the GraphiQL example and every example operation through', async () => {
    const pod = [...h.sim.store.scan('pods')][0];
    const node = [...h.sim.store.scan('nodes')][0];
    const job = [...h.sim.store.scan('jobs')][0];
    const variables = {
      cluster: 'sim',
      namespace: pod.metadata.namespace,
      name: pod.metadata.name,
      node: node.metadata.name,
      job: job.metadata.name,
      id: 'x',
    };
    for (const [name, text] of [
      ['EXAMPLE_QUERY', EXAMPLE_QUERY] as [string, string],
      ...operations('examples'),
    ]) {
      const body = await h.query(text, variables);
      const limitErrors = (body.errors ?? []).filter((e) =>
        /depth|cost|token|alias|directive/i.test(e.message),
      );
      expect(limitErrors, name).toEqual([]);
    }
  });

  it('rejects an operation nested deeper than allowed, saying so', async () => {
    const deep = `{ clusters { nodes { edges { node { pods { edges { node { node { pods { edges { node { job { pods { edges { node { name } } } } } } } } } } } } } } } }`;
    const body = await h.query(deep);
    expect(body.data).toBeUndefined();
    expect(body.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('rejects too many aliases', async () => {
    const aliases = Array.from({ length: 40 }, (_, i) => `a${i}: clusters { name }`).join(' ');
    const body = await h.query(`{ ${aliases} }`);
    expect(body.errors?.[0]?.message).toMatch(/alias/i);
  });
});
