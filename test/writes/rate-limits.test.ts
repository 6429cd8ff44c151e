/**
 * Writes are rate limited before anything is sent: per cluster a token bucket like
 * client-go's (qps, burst), per principal a budget per minute, and after an upstream 429
 * nothing goes to that cluster until its Retry-After has passed. Over a limit the caller
 * gets RATE_LIMITED with retryAfterSeconds, and the simulator's request counts prove the
 * refused writes never reached it. Time is the gateway's clock, driven by the test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../helpers/fake-clock.js';
import { simFetch } from '../helpers/harness.js';
import { type Json, OPS, startWriteKit, type WriteKit } from './kit.js';

const OPS2 = 'writes-ops2-token-0123456789';
const NS = 'writes-limits';
const clock = new FakeClock(Date.parse('2030-01-01T00:00:00Z'));
let k: WriteKit;
let podId: string;

beforeAll(async () => {
  k = await startWriteKit({
    clock,
    writes: { qps: 1, burst: 3, perPrincipal: { perMinute: 4 } },
    tokens: [{ name: 'ops2', token: OPS2, user: 'ops2', groups: ['ops'] }],
  });
  await k.namespace(NS);
  await k.pod(NS, 'target');
  const { waitFor } = await import('../helpers/wait.js');
  podId = await waitFor(
    async () =>
      (await k.gql(`{ cluster(name: "sim") { pod(namespace: "${NS}", name: "target") { id } } }`)).data
        .cluster.pod?.id,
    'the pod in the cache',
  );
}, 60_000);

afterAll(() => k?.close(), 30_000);

let n = 0;
/** One write: a new label value on the pod each time. */
const relabel = (token = OPS): Promise<Json> =>
  k.gql(
    'mutation($id: ID!, $v: String!) { setLabels(id: $id, set: [{ key: "n", value: $v }]) { resourceVersion visible } }',
    { id: podId, v: String(++n) },
    token,
  );

const codes = (results: Json[]) => results.map((r) => r.errors?.[0]?.extensions?.code ?? 'OK');

describe('per cluster (qps 1, burst 3)', () => {
  it('refuses a burst past the bucket with RATE_LIMITED, sending nothing of it', async () => {
    const sent = await k.sent('PATCH', 'pods');
    const results = await Promise.all([relabel(), relabel(OPS2), relabel(), relabel(OPS2), relabel()]);
    expect(codes(results).sort()).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    const refused = results.filter((r) => r.errors);
    for (const r of refused) {
      expect(r.data).toBeNull();
      expect(r.errors[0].extensions).toMatchObject({
        code: 'RATE_LIMITED',
        cluster: 'sim',
        rateLimit: 'CLUSTER',
        retryAfterSeconds: 1,
      });
      expect(r.errors[0].message).toContain('nothing was sent');
    }
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 3);
    expect(k.records.filter((r) => r.code === 'RATE_LIMITED').length).toBe(2);

    // A second later the bucket holds one token again: one write, not two.
    clock.advance(1000);
    expect(codes([await relabel(OPS2), await relabel(OPS2)])).toEqual(['OK', 'RATE_LIMITED']);
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 4);
    clock.advance(60_000); // every bucket full again
  });
});

describe('per principal (4 per minute)', () => {
  it('refuses the fifth write of one caller within the minute while another still writes', async () => {
    const sent = await k.sent('PATCH', 'pods');
    const mine: Json[] = [];
    for (let i = 0; i < 5; i++) {
      if (i > 0) clock.advance(1000); // the cluster's bucket keeps up; the caller's budget does not
      mine.push(await relabel());
    }
    expect(codes(mine)).toEqual(['OK', 'OK', 'OK', 'OK', 'RATE_LIMITED']);
    // 4 per minute refills one write every 15 s; 4 s have passed since the budget was full.
    expect(mine[4].errors[0].extensions).toMatchObject({ rateLimit: 'PRINCIPAL', retryAfterSeconds: 11 });
    expect(mine[4].errors[0].message).toContain('"ops" (4 per minute)');
    expect(codes([await relabel(OPS2)])).toEqual(['OK']);
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 5);
    clock.advance(10_500);
    expect(codes([await relabel()])).toEqual(['RATE_LIMITED']);
    clock.advance(500);
    expect(codes([await relabel()])).toEqual(['OK']);
    clock.advance(60_000);
  });
});

describe('an upstream 429', () => {
  async function faults(body: object): Promise<void> {
    const res = await simFetch(k.h.sim, '/simulator/faults', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    await res.text();
  }

  it('comes back RATE_LIMITED with its Retry-After, and the cluster gets no write until it has passed', async () => {
    await faults({
      errorRate: 1,
      errorCode: 429,
      retryAfterSeconds: 7,
      verbs: ['PATCH'],
      resources: ['pods'],
    });
    const sent = await k.sent('PATCH', 'pods');
    const throttled = await relabel();
    expect(throttled.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      upstreamStatus: 429,
      retryAfterSeconds: 7,
    });
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 1);
    await faults({ reset: true });

    // The server would answer now, but the gateway honours the Retry-After: nothing is sent.
    clock.advance(6000);
    const held = await relabel(OPS2);
    expect(held.errors[0].extensions).toMatchObject({
      code: 'RATE_LIMITED',
      rateLimit: 'UPSTREAM',
      retryAfterSeconds: 1,
    });
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 1);

    clock.advance(1000);
    expect(codes([await relabel(OPS2)])).toEqual(['OK']);
    expect(await k.sent('PATCH', 'pods')).toBe(sent + 2);
  });
});
