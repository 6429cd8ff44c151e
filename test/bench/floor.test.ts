/**
 * The bench's floor (bench/lib/floor.ts) answers exactly what the gateway answers to Q2
 * and Q3, over HTTP, on one simulator whose controllers stand still (a fake clock): otherwise the ratio to it would prove nothing.
 * More than 500 nodes, so Q2's second page (after the first page's cursor) is compared too.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFloor, type Floor } from '../../bench/lib/floor.js';
import { loadOperations, loadSchema, type Operation } from '../../bench/lib/operations.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { type Harness, startHarness } from '../helpers/harness.js';

let h: Harness;
let floor: Floor;
let ops: Map<string, Operation>;

beforeAll(async () => {
  const root = join(import.meta.dirname, '../..');
  ops = new Map(loadOperations(root, loadSchema(root)).map((o) => [o.id, o]));
  h = await startHarness({
    // A clock nobody moves: the simulator's controllers (jobs, kubelets) stand still.
    simulator: {
      scenario: { seed: 16, nodes: 520, pods: 3000, jobs: 150, namespaces: 8 },
      clock: new FakeClock(Date.now()),
    },
  });
  floor = createFloor(h.registry.list()[0]);
}, 120_000);

afterAll(() => h?.close());

async function gateway(id: string, variables: Record<string, unknown>) {
  const body = (await h.query(ops.get(id)!.query, { cluster: h.registry.names()[0], ...variables })) as {
    data?: unknown;
    errors?: unknown;
  };
  expect(body.errors).toBeUndefined();
  return body.data;
}

describe('the floor of Q2 and Q3', () => {
  it('answers Q2 as the gateway does, one page and two', async () => {
    const one = (await gateway('Q2', {})) as {
      cluster: { nodes: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: unknown[] } };
    };
    expect(one.cluster.nodes.pageInfo.hasNextPage).toBe(true);
    expect(floor.q2({})).toEqual(one);
    const after = one.cluster.nodes.pageInfo.endCursor;
    const two = (await gateway('Q2', { twoPages: true, after })) as {
      cluster: { page2: { edges: unknown[] } };
    };
    expect(two.cluster.page2.edges).toHaveLength(20);
    expect(floor.q2({ twoPages: true, after })).toEqual(two);
    // Byte for byte, as the bench compares serialized answers: the same fields in the same order.
    expect(JSON.stringify(floor.q2({ twoPages: true, after }))).toBe(JSON.stringify(two));
  });

  it('answers Q3 as the gateway does', async () => {
    const data = (await gateway('Q3', {})) as { cluster: { jobs: { edges: unknown[] } } };
    expect(data.cluster.jobs.edges).toHaveLength(100);
    expect(floor.q3()).toEqual(data);
    expect(JSON.stringify(floor.q3())).toBe(JSON.stringify(data));
  });
});
