/**
 * What stands between a web page and the gateway (issue #10, "Browsers"):
 *
 * - CSRF: a request a browser can send cross-site without a CORS preflight (a GET, a form
 *   POST, a text/plain POST) is refused unless it carries something a page cannot forge
 *   without one: a non-simple Content-Type (application/json), an Authorization header, or
 *   one of the preflight headers below. Our own plugin, not @graphql-yoga/plugin-csrf-prevention:
 *   that one is the same 20 lines but answers without an error code or a word on what to send.
 * - Host: a gateway without authentication answers only requests addressed to a loopback
 *   name (or the configured `allowedHosts`), so DNS rebinding cannot reach it from a page;
 *   a gateway with auth checks the Host only when `allowedHosts` is configured.
 * - Origin: cross-origin reads need the origin listed in `cors.origins` (CORS is off
 *   otherwise, never `*` with credentials); a WebSocket upgrade from a page of another
 *   origin is refused unless listed, as browsers apply no CORS to WebSockets.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Plugin } from 'graphql-yoga';
import { ErrorCode, GatewayError } from '../errors.js';

/** Headers whose presence proves a CORS preflight happened (or a non-browser client). */
export const PREFLIGHT_HEADERS = ['x-graphql-yoga-csrf', 'graphql-preflight', 'apollo-require-preflight'];

const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export interface BrowserPolicy {
  /** Origins allowed to read cross-origin (CORS) and to open WebSockets. */
  origins: readonly string[];
  /** Host names (no port) the gateway answers to; undefined: any. */
  hosts: readonly string[] | undefined;
}

/** Loopback names: what an open gateway answers to by default. */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1', '[::1]'];

export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  return LOOPBACK_HOSTS.includes(name) || /^127(\.\d{1,3}){3}$/.test(name) || name.endsWith('.localhost');
}

/**
 * The policy for a gateway: configured hosts win; an open gateway (no auth) answers to
 * loopback names only; a gateway with auth answers to any host.
 */
export function browserPolicy(options: {
  open: boolean;
  origins?: readonly string[];
  hosts?: readonly string[];
}): BrowserPolicy {
  const hosts = options.hosts?.length ? options.hosts.map((h) => h.toLowerCase()) : undefined;
  return { origins: options.origins ?? [], hosts: hosts ?? (options.open ? ['<loopback>'] : undefined) };
}

/**
 * Host headers seen, and their names: a gateway sees a handful, and parsing one with `URL`
 * on every request was 0.5 % of a cluster-summary request's CPU. Bounded: anything can be
 * sent as a Host header, so the memo is dropped when it fills.
 */
const hostNames = new Map<string, string>();
const HOST_NAMES_KEPT = 256;

/** The host name of a Host header (without port), lower-cased; '' when absent or malformed. */
function hostName(header: string | undefined): string {
  if (!header) return '';
  let name = hostNames.get(header);
  if (name === undefined) {
    try {
      name = new URL(`http://${header}`).hostname.toLowerCase();
    } catch {
      name = '';
    }
    if (header.length <= 300) {
      if (hostNames.size >= HOST_NAMES_KEPT) hostNames.clear();
      hostNames.set(header, name);
    }
  }
  return name;
}

/** Why a request's Host header is refused, or undefined when it is allowed. */
export function hostRefusal(policy: BrowserPolicy, header: string | undefined): string | undefined {
  if (policy.hosts === undefined) return undefined;
  const name = hostName(header);
  const allowed = policy.hosts.some((h) => (h === '<loopback>' ? isLoopbackHost(name) : h === name));
  if (allowed) return undefined;
  const expected =
    policy.hosts[0] === '<loopback>' && policy.hosts.length === 1
      ? 'a loopback name (localhost, 127.0.0.1, [::1]): this gateway has no authentication'
      : `one of ${JSON.stringify(policy.hosts)}`;
  return `expected the Host header to be ${expected}, received ${JSON.stringify((header ?? '').slice(0, 100))}`;
}

/** Whether a WebSocket (or any request) from `origin` may proceed: same origin, listed, or no browser. */
export function originAllowed(
  policy: BrowserPolicy,
  origin: string | undefined,
  host: string | undefined,
): boolean {
  if (!origin) return true; // not a browser: browsers always send Origin on WebSocket upgrades
  if (policy.origins.includes(origin)) return true;
  try {
    return new URL(origin).host.toLowerCase() === (host ?? '').toLowerCase();
  } catch {
    return false;
  }
}

export function refusalBody(code: string, message: string): string {
  return JSON.stringify({ errors: [{ message, extensions: { code } }] });
}

/** The CSRF check as a yoga plugin: before any request is parsed (so before any execution). */
export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const contentType = request.headers.get('content-type')?.toLowerCase();
      if (contentType && !SIMPLE_CONTENT_TYPES.some((t) => contentType.startsWith(t))) return;
      if (request.headers.has('authorization')) return;
      if (PREFLIGHT_HEADERS.some((h) => request.headers.has(h))) return;
      throw new GatewayError(
        `expected a request a web page cannot forge: a Content-Type of application/json, an Authorization header, or a ${PREFLIGHT_HEADERS[0]} header; received a ${request.method}${contentType ? ` with ${contentType.split(';')[0]}` : ''} without them`,
        { code: ErrorCode.CSRF_HEADER_REQUIRED, http: { status: 403 } },
      );
    },
  };
}

/** Header value as one string. */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}
