/**
 * Authenticate first (issue #10): an unauthenticated request costs only the header check
 * (nothing parsed, validated or cached, no validation error or field suggestion returned),
 * documents are bounded in bytes over HTTP and WebSocket, and what client input can pin —
 * the parse caches, the per-informer answer memo keyed by selectors — is bounded in bytes,
 * by the caches' own counts. An honest client keeps being answered throughout.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANSWER_MEMO_BYTES, answerMemoBytes } from '../../src/loaders/lists.js';
import { MAX_DOCUMENT_BYTES, PARSE_CACHE_BYTES } from '../../src/server/admission.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { subscribe } from '../subscriptions/clients.js';

const TOKEN = 'admission-test-token-0123';
const auth = { authorization: `Bearer ${TOKEN}` };
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { scenario: { nodes: 2, pods: 20, jobs: 1, namespaces: 1, seed: 4 } },
    tokens: [{ name: 'ops', token: TOKEN, clusters: '*', namespaces: '*' }],
  });
});
afterAll(() => h?.close());

/** A valid operation of about `bytes` bytes, distinct per `i` (the padding is a comment). */
const big = (i: number, bytes: number) => `{ clusters { name } } # ${i} ${'x'.repeat(bytes - 40)}`;

async function post(query: string, headers: Record<string, string> = {}) {
  const res = await fetch(h.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      data?: unknown;
      errors?: { message: string; extensions?: Record<string, unknown> }[];
    },
  };
}

describe('authenticate first', () => {
  it('answers an unauthenticated request 401 without parsing, validating or caching its document', async () => {
    await post('{ clusters { name } }', auth); // the honest client's document, parsed once
    const before = h.gateway.parseCacheBytes();
    const honest = Promise.all(Array.from({ length: 20 }, () => post('{ clusters { name } }', auth)));
    for (let i = 0; i < 40; i++) {
      const res = await post(big(i, 60_000));
      expect(res.status).toBe(401);
      expect(res.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    // An invalid document with a misspelt field: no validation error, no "did you mean".
    const invalid = await post('{ clustrs { nme } }');
    expect(invalid.status).toBe(401);
    expect(JSON.stringify(invalid.body)).not.toMatch(/clustrs|Did you mean|Cannot query/);
    expect(h.gateway.parseCacheBytes()).toBe(before);
    for (const r of await honest) expect(r.body).toEqual({ data: { clusters: [{ name: 'sim' }] } });
  });

  it('refuses a document over the byte limit, over HTTP and WebSocket, with its code and limit', async () => {
    const res = await post(big(0, MAX_DOCUMENT_BYTES + 100), auth);
    expect(res.status).toBe(413);
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'DOCUMENT_TOO_LARGE',
      limit: MAX_DOCUMENT_BYTES,
    });
    expect(res.body.errors?.[0]?.message).toMatch(
      /expected an operation of at most 65536 bytes, received \d+ bytes/,
    );
    const sub = subscribe(
      'ws',
      h.url,
      `subscription { clusterStatus { cluster } } # ${'x'.repeat(MAX_DOCUMENT_BYTES)}`,
      {
        token: TOKEN,
      },
    );
    try {
      await sub.until('the refusal', (s) => s.ended);
      expect(JSON.stringify(sub.failure ?? sub.errors)).toContain('DOCUMENT_TOO_LARGE');
    } finally {
      sub.dispose();
    }
  });

  it('keeps the parse caches within their byte bound, whatever distinct documents come', async () => {
    for (let i = 0; i < 30; i++) {
      const res = await post(big(1000 + i, 60_000), auth);
      expect(res.status).toBe(200);
    }
    expect(h.gateway.parseCacheBytes()).toBeGreaterThan(0);
    expect(h.gateway.parseCacheBytes()).toBeLessThanOrEqual(PARSE_CACHE_BYTES + PARSE_CACHE_BYTES / 8);
  });
});

describe('input that memos are keyed by', () => {
  it('bounds the answer memo in bytes under distinct long selectors, and refuses one over the limit', async () => {
    const store = h.registry.get('sim')!.informers!.Pod!.store;
    const values = (i: number) => Array.from({ length: 300 }, (_, j) => `v${i}-${j}`).join(',');
    for (let i = 0; i < 400; i++) {
      const res = await post(
        `{ cluster(name: "sim") { pods(labelSelector: "app in (${values(i)})") { totalCount } } }`,
        auth,
      );
      expect(res.body.errors).toBeUndefined();
    }
    expect(answerMemoBytes(store)).toBeGreaterThan(0);
    expect(answerMemoBytes(store)).toBeLessThanOrEqual(ANSWER_MEMO_BYTES);

    const huge = `app in (${Array.from({ length: 2000 }, (_, j) => `value-${j}`).join(',')})`;
    const res = await post(
      `{ cluster(name: "sim") { pods(labelSelector: "${huge}") { totalCount } } }`,
      auth,
    );
    const error = res.body.errors?.[0];
    expect(error?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(error?.message).toMatch(/expected a selector of at most 4096 characters, found \d+ characters/);
    expect(error!.message.length).toBeLessThan(600); // the selector is not echoed back whole
  });
});
