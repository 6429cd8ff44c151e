/**
 * One question (`{ viewer { ... } }`) asked of a gateway over every transport a client
 * uses, with one Authorization value: GraphQL over HTTP (POST and GET), graphql-sse's
 * client (POST, text/event-stream), an EventSource-style GET (yoga's SSE) and graphql-ws.
 * The outcome is either the answer's data or how the transport refused: the HTTP status
 * with its body and headers, or the WebSocket close code. Every token sent is recorded for
 * the run's log scan (test-log.ts).
 */
import { createClient as createSseClient, NetworkError } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { recordAuthorization } from './test-log.js';

export type AuthTransport = 'post' | 'get' | 'sse' | 'sse-get' | 'ws';
export const AUTH_TRANSPORTS: readonly AuthTransport[] = ['post', 'get', 'sse', 'sse-get', 'ws'];

export const VIEWER = '{ viewer { name username groups source } }';

export interface Viewer {
  name: string;
  username: string | null;
  groups: string[];
  source: string;
}

export type Outcome =
  | { kind: 'answer'; viewer: Viewer; errors?: unknown }
  | {
      kind: 'refused';
      /** The HTTP status, or the WebSocket close code. */
      status: number;
      /** The parsed JSON body (HTTP), or the close reason (WebSocket). */
      body: unknown;
      headers?: Headers;
    };

async function fromResponse(res: Response): Promise<Outcome> {
  const text = await res.text();
  // An SSE stream (refusals included) holds `event: next` with the result, then `event: complete`.
  const json = res.headers.get('content-type')?.includes('text/event-stream')
    ? /^event: next\ndata: (.+)$/m.exec(text)?.[1]
    : text;
  if (res.status !== 200) {
    let body: unknown = text;
    try {
      body = JSON.parse(json ?? text);
    } catch {}
    return { kind: 'refused', status: res.status, body, headers: res.headers };
  }
  const result = JSON.parse(json ?? 'null') as { data?: { viewer: Viewer }; errors?: unknown };
  if (!result?.data) throw new Error(`no data in a 200 answer: ${text.slice(0, 300)}`);
  return { kind: 'answer', viewer: result.data.viewer, errors: result.errors };
}

/** Asks `{ viewer }` over one transport; `authorization` is the header's whole value (or none). */
export async function askViewer(
  url: string,
  transport: AuthTransport,
  authorization?: string,
): Promise<Outcome> {
  // Whatever the gateway makes of it, the token must not reach its log.
  recordAuthorization(authorization, 'a bearer token a test sent');
  const auth: Record<string, string> = authorization === undefined ? {} : { authorization };
  switch (transport) {
    case 'post':
      return fromResponse(
        await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/graphql-response+json',
            ...auth,
          },
          body: JSON.stringify({ query: VIEWER }),
        }),
      );
    case 'get':
    case 'sse-get':
      return fromResponse(
        await fetch(`${url}?query=${encodeURIComponent(VIEWER)}`, {
          headers: {
            accept: transport === 'get' ? 'application/graphql-response+json' : 'text/event-stream',
            'x-graphql-yoga-csrf': '1',
            ...auth,
          },
        }),
      );
    case 'sse':
      return new Promise<Outcome>((resolve) => {
        const client = createSseClient({ url, headers: auth, retryAttempts: 0 });
        let answer: Outcome | undefined;
        client.subscribe(
          { query: VIEWER },
          {
            next: (r) => {
              answer = { kind: 'answer', viewer: (r.data as { viewer: Viewer }).viewer, errors: r.errors };
            },
            // The client has given up by itself (no retries); disposing now would abort a finished request.
            error: (err) => {
              if (err instanceof NetworkError && err.response) resolve(fromResponse(err.response));
              else resolve({ kind: 'refused', status: -1, body: String(err) });
            },
            complete: () => {
              client.dispose();
              resolve(answer ?? { kind: 'refused', status: -1, body: 'completed without a result' });
            },
          },
        );
      });
    case 'ws':
      return new Promise<Outcome>((resolve) => {
        const client = createWsClient({
          url: url.replace(/^http/, 'ws'),
          webSocketImpl: WebSocket,
          connectionParams: authorization === undefined ? undefined : { authorization },
          retryAttempts: 0,
          lazy: true,
          lazyCloseTimeout: 0,
        });
        let answer: Outcome | undefined;
        client.subscribe(
          { query: VIEWER },
          {
            next: (r) => {
              answer = { kind: 'answer', viewer: (r.data as { viewer: Viewer }).viewer, errors: r.errors };
            },
            error: (err) => {
              void client.dispose();
              const close = err as { code?: number; reason?: string };
              resolve({ kind: 'refused', status: close?.code ?? -1, body: close?.reason ?? String(err) });
            },
            complete: () => {
              void client.dispose();
              resolve(answer ?? { kind: 'refused', status: -1, body: 'completed without a result' });
            },
          },
        );
      });
  }
}

/** Asks over every transport; returns the outcomes by transport. */
export async function askEverywhere(
  url: string,
  authorization?: string,
): Promise<Record<AuthTransport, Outcome>> {
  const entries = await Promise.all(
    AUTH_TRANSPORTS.map(async (t) => [t, await askViewer(url, t, authorization)] as const),
  );
  return Object.fromEntries(entries) as Record<AuthTransport, Outcome>;
}
