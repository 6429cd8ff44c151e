/**
 * Long text bodies are written in slices (server/sliced-response.ts): what reaches the
 * client is exactly the text's UTF-8 (or the encoding the writer named), whichever way the
 * body is written, no surrogate pair is cut, and a wide answer of the gateway arrives whole,
 * multi-byte characters included, with a Content-Length that counts its bytes.
 */
import { createServer, type Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SLICE_CHARS, SlicedResponse } from '../../src/server/sliced-response.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

// Latin, two-, three- and four-byte UTF-8, and a lone surrogate (written as U+FFFD).
const UNIT = 'kubegate é ü € 漢字 😀 \ud800 ';
const big = (chars: number) => UNIT.repeat(Math.ceil(chars / UNIT.length)).slice(0, chars);

type Handler = (res: ServerResponse) => void;

async function serve(handler: Handler): Promise<{ server: Server; url: string }> {
  const server = createServer({ ServerResponse: SlicedResponse }, (req, res) => {
    req.resume();
    req.on('end', () => handler(res));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

async function bytesOf(handler: Handler): Promise<Buffer> {
  const { server, url } = await serve(handler);
  try {
    return Buffer.from(await (await fetch(url)).arrayBuffer());
  } finally {
    await new Promise((done) => server.close(done));
  }
}

describe('SlicedResponse', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes a large text as its UTF-8 bytes through end, write and their callbacks', async () => {
    const text = big(SLICE_CHARS + 5_000);
    const expected = Buffer.from(text, 'utf8');
    expect(await bytesOf((res) => res.end(text))).toEqual(expected);
    expect(await bytesOf((res) => res.end(text, 'utf8'))).toEqual(expected);
    const ended: string[] = [];
    expect(await bytesOf((res) => res.end(text, () => ended.push('end callback')))).toEqual(expected);
    expect(ended).toEqual(['end callback']);
    const written: string[] = [];
    expect(
      await bytesOf((res) => {
        res.write(text, 'utf-8', () => written.push('write callback'));
        res.write(text, () => written.push('second write callback'));
        res.end();
      }),
    ).toEqual(Buffer.concat([expected, expected]));
    expect(written).toEqual(['write callback', 'second write callback']);
  });

  it('hands Node UTF-8 text above the slice length in slices that keep surrogate pairs whole', async () => {
    const write = vi.spyOn(ServerResponse.prototype, 'write');
    const end = vi.spyOn(ServerResponse.prototype, 'end');
    // A pair straddles the first cut: the slice ends before it.
    const straddling = `${'a'.repeat(SLICE_CHARS - 1)}😀${big(SLICE_CHARS * 2)}`;
    const small = big(SLICE_CHARS);
    const latin1 = 'é'.repeat(SLICE_CHARS + 1);
    const base64 = Buffer.from(straddling).toString('base64');
    const body = await bytesOf((res) => {
      res.write(straddling);
      res.write(small);
      res.write(latin1, 'latin1');
      res.end(base64, 'base64');
    });
    expect(body).toEqual(
      Buffer.concat([
        Buffer.from(straddling),
        Buffer.from(small),
        Buffer.from(latin1, 'latin1'),
        Buffer.from(base64, 'base64'),
      ]),
    );
    const written = write.mock.calls.map(([chunk]) => chunk as string);
    const slices = written.slice(0, -2);
    expect(slices.length).toBe(4);
    expect(slices[0]).toBe('a'.repeat(SLICE_CHARS - 1));
    expect(slices.every((slice) => slice.length <= SLICE_CHARS)).toBe(true);
    expect(slices.join('')).toBe(straddling);
    // Text at the slice length, and other encodings, go to Node as they came.
    expect(written.slice(-2)).toEqual([small, latin1]);
    expect(end.mock.calls.map(([chunk]) => chunk)).toEqual([base64]);
  });

  it('ends a long text in slices too, with its Content-Length when none was set', async () => {
    const write = vi.spyOn(ServerResponse.prototype, 'write');
    const text = big(SLICE_CHARS * 3);
    const { server, url } = await serve((res) => res.end(text));
    try {
      const res = await fetch(url);
      const bytes = Buffer.from(await res.arrayBuffer());
      expect(bytes).toEqual(Buffer.from(text));
      expect(res.headers.get('content-length')).toBe(String(bytes.length));
      expect(res.headers.get('transfer-encoding')).toBeNull();
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect(write.mock.calls.length).toBeGreaterThanOrEqual(3);
    expect(write.mock.calls.map(([chunk]) => chunk).join('')).toBe(text);
    // A response that chose chunked framing keeps it.
    const chunked = await serve((res) => {
      res.setHeader('transfer-encoding', 'chunked');
      res.end(text);
    });
    try {
      const res = await fetch(chunked.url);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(Buffer.from(text));
      expect(res.headers.get('transfer-encoding')).toBe('chunked');
      expect(res.headers.get('content-length')).toBeNull();
    } finally {
      await new Promise((done) => chunked.server.close(done));
    }
  });

  it('tells a writer of the whole declared body that it need not wait for drain', async () => {
    // Far above the socket's 16 KiB high-water mark: Node answers false to each of these.
    const text = big(SLICE_CHARS * 3);
    const bytes = Buffer.from(text);
    const answers: Record<string, boolean> = {};
    const cases: Record<string, Handler> = {
      'text, the whole body': (res) => {
        res.setHeader('content-length', bytes.length);
        answers['text, the whole body'] = res.write(text);
        res.end();
      },
      'bytes, the whole body': (res) => {
        res.setHeader('content-length', bytes.length);
        answers['bytes, the whole body'] = res.write(bytes);
        res.end();
      },
      'text, the first of two parts': (res) => {
        res.setHeader('content-length', bytes.length * 2);
        answers['text, the first of two parts'] = res.write(text);
        res.end(text);
      },
      'text of unknown length': (res) => {
        answers['text of unknown length'] = res.write(text);
        res.end();
      },
    };
    for (const [name, handler] of Object.entries(cases)) {
      const body = await bytesOf(handler);
      expect(body.length, name).toBe(name.includes('two parts') ? bytes.length * 2 : bytes.length);
    }
    // Only a write that completes the declared body is told not to wait: a body in parts, or
    // of unknown length (a stream), keeps Node's backpressure.
    expect(answers).toEqual({
      'text, the whole body': true,
      'bytes, the whole body': true,
      'text, the first of two parts': false,
      'text of unknown length': false,
    });
  });
});

describe('a wide answer of the gateway', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ simulator: { scenario: { nodes: 2, pods: 4, jobs: 1, namespaces: 1 } } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('arrives whole, multi-byte text and all, with Content-Length in bytes', async () => {
    const value = big(SLICE_CHARS * 2);
    const pod = [...h.sim.store.scan('pods')][0];
    const { name, namespace } = pod.metadata;
    h.sim.store.mutate('pods', namespace, name, (p) => ({
      ...p,
      metadata: { ...p.metadata, annotations: { ...p.metadata.annotations, 'kubegate.test/wide': value } },
    }));
    const query = `{ cluster(name: "sim") { pod(namespace: "${namespace}", name: "${name}") { annotations { key value } } } }`;
    const res = await waitFor(async () => {
      const r = await fetch(h.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
        body: JSON.stringify({ query }),
      });
      const bytes = Buffer.from(await r.arrayBuffer());
      return bytes.length > SLICE_CHARS * 2 ? { r, bytes } : undefined;
    }, 'the annotation in the gateway’s answer');
    // The answer went out in one write of the whole body, which said not to wait for drain
    // (so yoga's server adapter ends the response at once).
    const write = vi.spyOn(SlicedResponse.prototype, 'write');
    const again = await fetch(h.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify({ query }),
    });
    const length = Number(again.headers.get('content-length'));
    expect((await again.arrayBuffer()).byteLength).toBe(length);
    const whole = write.mock.calls.findIndex(
      ([chunk]) => typeof chunk === 'string' && Buffer.byteLength(chunk) === length,
    );
    expect(whole).toBeGreaterThanOrEqual(0);
    expect(write.mock.results[whole]).toEqual({ type: 'return', value: true });
    write.mockRestore();
    expect(res.r.status).toBe(200);
    expect(Number(res.r.headers.get('content-length'))).toBe(res.bytes.length);
    const answer = JSON.parse(res.bytes.toString('utf8')) as {
      data: { cluster: { pod: { annotations: { key: string; value: string }[] } } };
    };
    const wide = answer.data.cluster.pod.annotations.find((a) => a.key === 'kubegate.test/wide');
    // The lone surrogate is not UTF-8: JSON.stringify escapes it, so the text comes back as it went.
    expect(wide?.value).toBe(value);
  });
});
