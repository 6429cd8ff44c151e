/**
 * Answers at the HTTP level that yoga leaves bare (issue #10): every HTTP error carries a
 * body with a code (yoga's 415 had none), and GraphiQL's 9 MB page is sent compressed
 * (compressed once, on first use, and kept).
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode } from '../errors.js';

const BARE_STATUS: Record<number, { code: string; message: (request: Request) => string }> = {
  404: {
    code: ErrorCode.NOT_FOUND,
    message: (request) =>
      `expected one of the paths /graphql, /metrics, /healthz, /livez or /readyz, received ${JSON.stringify(
        new URL(request.url).pathname.slice(0, 100),
      )}`,
  },
  415: {
    code: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    message: (request) =>
      `expected a Content-Type of application/json (or application/graphql-response+json), received ${JSON.stringify(
        (request.headers.get('content-type') ?? 'none').slice(0, 100),
      )}`,
  },
  406: {
    code: ErrorCode.NOT_ACCEPTABLE,
    message: (request) =>
      `expected an Accept header that allows application/graphql-response+json, application/json or text/event-stream, received ${JSON.stringify(
        (request.headers.get('accept') ?? 'none').slice(0, 100),
      )}`,
  },
};

/** Gives a body with a code to the HTTP errors yoga answers without one. */
export function useCodedHttpErrors(): Plugin {
  return {
    onResponse({ request, response, setResponse, fetchAPI }) {
      const bare = BARE_STATUS[response.status];
      if (!bare || response.body !== null) return;
      const body = JSON.stringify({
        errors: [{ message: bare.message(request), extensions: { code: bare.code } }],
      });
      const headers = new fetchAPI.Headers(response.headers);
      headers.set('content-type', 'application/json; charset=utf-8');
      setResponse(new fetchAPI.Response(body, { status: response.status, headers }));
    },
  };
}

interface Compressed {
  html: string;
  br: Uint8Array;
  gzip: Uint8Array;
}

function wantsHtml(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
}

function encodingFor(request: Request): 'br' | 'gzip' | undefined {
  const accepted = (request.headers.get('accept-encoding') ?? '').toLowerCase();
  if (/\bbr\b/.test(accepted)) return 'br';
  if (/\bgzip\b/.test(accepted)) return 'gzip';
  return undefined;
}

/**
 * Serves GraphiQL compressed: 9 MB of HTML and scripts becomes ~2 MB (gzip) or less (br).
 * The page is the same for every request of a gateway, so it is compressed once.
 */
export function useCompressedGraphiQL(): Plugin {
  let page: Compressed | undefined;
  const answer = (request: Request, fetchAPI: { Response: typeof Response }) => {
    if (!page) return undefined;
    const encoding = encodingFor(request);
    const headers: Record<string, string> = {
      'content-type': 'text/html; charset=utf-8',
      vary: 'Accept-Encoding',
    };
    if (encoding) headers['content-encoding'] = encoding;
    const body = encoding ? page[encoding] : page.html;
    return new fetchAPI.Response(body as BodyInit, { status: 200, headers });
  };
  return {
    async onResponse({ request, response, setResponse, fetchAPI }) {
      if (!wantsHtml(request) || response.status !== 200) return;
      if (!(response.headers.get('content-type') ?? '').startsWith('text/html')) return;
      // yoga renders GraphiQL in a request hook of its own, before ours: replace its answer.
      if (page) {
        await response.body?.cancel();
        setResponse(answer(request, fetchAPI)!);
        return;
      }
      const html = await response.text();
      const buffer = Buffer.from(html, 'utf8');
      page = {
        html,
        // Quality 5: ~0.3 s once for 9 MB, within a few percent of the best ratio for this page.
        br: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }),
        gzip: gzipSync(buffer, { level: 6 }),
      };
      setResponse(answer(request, fetchAPI)!);
    },
  };
}
