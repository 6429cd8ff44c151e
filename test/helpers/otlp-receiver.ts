/**
 * A local OTLP/HTTP receiver for the tracing tests: a plain node:http server that answers
 * every export 200 and keeps what came, and a decoder of OTLP/HTTP JSON export requests.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** An OTLP/HTTP receiver: answers every export 200 and keeps what came. */
export async function startReceiver(): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const json = req.headers['content-type']?.includes('json');
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
      res.end(json ? '{}' : '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received, server };
}

type AnyValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
};

function anyValue(v: AnyValue): unknown {
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  if (v.intValue !== undefined) return Number(v.intValue);
  return v.stringValue ?? v.doubleValue ?? v.boolValue;
}

function attributesOf(list: { key: string; value: AnyValue }[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, anyValue(a.value)]));
}

export interface SpanRecord {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  kind: number;
  attributes: Record<string, unknown>;
  events: { name: string; attributes: Record<string, unknown> }[];
  status: { code?: number };
  resource: Record<string, unknown>;
}

/** Every span of OTLP/HTTP JSON export requests. */
export function spansOf(received: Received[]): SpanRecord[] {
  const out: SpanRecord[] = [];
  for (const r of received) {
    const body = JSON.parse(r.body.toString('utf8'));
    for (const rs of body.resourceSpans ?? []) {
      const resource = attributesOf(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const s of ss.spans ?? []) {
          out.push({
            name: s.name,
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? '',
            kind: s.kind,
            attributes: attributesOf(s.attributes),
            events: (s.events ?? []).map((e: { name: string; attributes: [] }) => ({
              name: e.name,
              attributes: attributesOf(e.attributes),
            })),
            status: s.status ?? {},
            resource,
          });
        }
      }
    }
  }
  return out;
}

/** Whether `span` is below `ancestor` in its trace. */
export function descends(spans: SpanRecord[], span: SpanRecord, ancestor: SpanRecord): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId); s; s = byId.get(s.parentSpanId)) if (s === ancestor) return true;
  return false;
}
