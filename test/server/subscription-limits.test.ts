/**
 * Caps on live subscriptions (issue #10): per WebSocket connection and per principal over
 * every transport, each refusal TOO_MANY_SUBSCRIPTIONS with its scope and limit; ending a
 * subscription frees its place; another principal is not affected; an honest client's
 * queries keep being answered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../helpers/harness.js';
import {
  listeners,
  type Subscription,
  serverSubscriptions,
  stopBackgroundActivity,
  subscribe,
  subscribeOn,
  wsConnection,
} from '../subscriptions/clients.js';

const A = 'principal-a-token-0123456';
const B = 'principal-b-token-0123456';
const QUERY = 'subscription { podEvents(labelSelector: "app=caps") { type object { name } } }';
let h: Harness;

beforeAll(async () => {
  // Read by the harness through config.ts's settingsFromEnv, as the CLI reads them.
  process.env.KUBEGATE_SUBSCRIPTIONS_PER_CONNECTION = '3';
  process.env.KUBEGATE_SUBSCRIPTIONS_PER_PRINCIPAL = '5';
  try {
    h = await startHarness({
      simulator: { scenario: { nodes: 2, pods: 6, jobs: 1, namespaces: 1, seed: 9 } },
      tokens: [
        { name: 'a', token: A, clusters: '*', namespaces: '*' },
        { name: 'b', token: B, clusters: '*', namespaces: '*' },
      ],
    });
  } finally {
    delete process.env.KUBEGATE_SUBSCRIPTIONS_PER_CONNECTION;
    delete process.env.KUBEGATE_SUBSCRIPTIONS_PER_PRINCIPAL;
  }
  stopBackgroundActivity(h.sim);
  idle = serverSubscriptions(h);
});

/** Live subscriptions when none of this file's are open. */
let idle = 0;
afterAll(() => h?.close());

const refusal = (s: Subscription) => JSON.stringify(s.failure ?? s.errors);

describe('subscription caps', () => {
  it('refuses the fourth subscription on one WebSocket, and takes it once one ended', async () => {
    await listeners(h, idle);
    const base = idle;
    const client = wsConnection(h.url, A);
    const subs = [subscribeOn(client, QUERY), subscribeOn(client, QUERY), subscribeOn(client, QUERY)];
    try {
      await listeners(h, base + 3);
      const fourth = subscribeOn(client, QUERY);
      await fourth.until('the refusal', (s) => s.ended);
      expect(refusal(fourth)).toContain('TOO_MANY_SUBSCRIPTIONS');
      expect(refusal(fourth)).toMatch(/at most 3 subscriptions on one WebSocket connection/);
      subs.shift()!.dispose();
      await listeners(h, base + 2);
      subs.push(subscribeOn(client, QUERY));
      await listeners(h, base + 3);
      expect(subs.every((s) => !s.ended)).toBe(true);
    } finally {
      for (const s of subs) s.dispose();
      await client.dispose();
    }
  });

  it('refuses a principal its sixth subscription over any transport, not another principal', async () => {
    await listeners(h, idle); // the previous test's subscriptions have ended on the server too
    const base = idle;
    const held = [
      subscribe('sse', h.url, QUERY, { token: A }),
      subscribe('sse', h.url, QUERY, { token: A }),
      subscribe('ws', h.url, QUERY, { token: A }),
      subscribe('ws', h.url, QUERY, { token: A }),
      subscribe('sse', h.url, QUERY, { token: A }),
    ];
    try {
      await listeners(h, base + 5);
      for (const transport of ['ws', 'sse'] as const) {
        const sixth = subscribe(transport, h.url, QUERY, { token: A });
        try {
          await sixth.until('the refusal', (s) => s.ended || s.errors.length > 0);
          expect(refusal(sixth)).toContain('TOO_MANY_SUBSCRIPTIONS');
          expect(refusal(sixth)).toMatch(/at most 5 subscriptions of this caller/);
        } finally {
          sixth.dispose();
        }
      }
      const other = subscribe('ws', h.url, QUERY, { token: B });
      held.push(other);
      await listeners(h, base + 6);
      expect(other.ended).toBe(false);
      // The honest (other) principal's queries are answered all along.
      const answer = await h.query('{ clusters { name } }', undefined, { authorization: `Bearer ${B}` });
      expect(answer).toEqual({ data: { clusters: [{ name: 'sim' }] } });
      // Ending one frees A's place.
      held.shift()!.dispose();
      await listeners(h, base + 5);
      const again = subscribe('sse', h.url, QUERY, { token: A });
      held.push(again);
      await listeners(h, base + 6);
      expect(again.ended).toBe(false);
    } finally {
      for (const s of held) s.dispose();
    }
  });
});
