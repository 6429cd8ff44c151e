/**
 * Operation limits (graphql-armor) let every dashboard operation we ship through and
 * stop pathological ones with a clear error, over HTTP.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/schema/example.js';
import { MAX_REQUEST_BODY_BYTES } from '../../src/server/body-limit.js';
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

describe('request body limit', () => {
  const post = (body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);
  /**
   * A JSON request padded to `bytes` with an extension field (a padded document would meet the
   * document byte limit first, test/server/admission.test.ts).
   */
  const padded = (bytes: number) => {
    const head = '{"query":"{ clusters { name } }","extensions":{"pad":"';
    return `${head}${'x'.repeat(bytes - head.length - 3)}"}}`;
  };
  /** The same text as a stream of 64 KiB chunks: fetch sends it chunked, without Content-Length. */
  const chunked = (text: string) => {
    const bytes = new TextEncoder().encode(text);
    let at = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (at >= bytes.length) return controller.close();
        controller.enqueue(bytes.subarray(at, at + 65_536));
        at += 65_536;
      },
    });
  };

  it('refuses a body whose Content-Length is over the limit with 413, saying what it takes', async () => {
    const res = await post(padded(MAX_REQUEST_BODY_BYTES + 1));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
    expect(body.errors[0].message).toBe(
      `expected a request body of at most ${MAX_REQUEST_BODY_BYTES} bytes, received ${MAX_REQUEST_BODY_BYTES + 1}`,
    );
  });

  it('counts a chunked body (no Content-Length) as it comes, and refuses it past the limit', async () => {
    const res = await post(chunked(padded(MAX_REQUEST_BODY_BYTES + 100_000)));
    expect(res.status).toBe(413);
    const body = (await res.json()) as { errors: { extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('REQUEST_ENTITY_TOO_LARGE');
  });

  it('answers bodies at the limit, with or without Content-Length, and keeps answering after a refusal', async () => {
    for (const body of [padded(MAX_REQUEST_BODY_BYTES), chunked(padded(MAX_REQUEST_BODY_BYTES))]) {
      const res = await post(body);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ data: { clusters: [{ name: 'sim' }] } });
    }
  });
});
