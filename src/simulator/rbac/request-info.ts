/**
 * What a request asks, in authorisation terms: k8s.io/apiserver's RequestInfoFactory
 * (endpoints/request/requestinfo.go) ported. Paths under /api/v1 and /apis/GROUP/VERSION
 * with a resource are resource requests (verb from the method: get, list, watch, create,
 * update, patch, delete, deletecollection); everything else, discovery documents included,
 * is a non-resource request whose verb is the lower-case HTTP method.
 *
 * It is computed before the request is routed, as on a real server: an unserved resource
 * is authorised (and refused) like any other before it could be answered 404.
 */
import { parseFieldTerms } from '../field-selector.js';
import { queryBool } from '../options.js';

export interface RequestInfo {
  resourceRequest: boolean;
  /** The URL path (decoded), for non-resource requests. */
  path: string;
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);
const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** path.IsValidPathSegmentName: what may be a name in a URL. */
export function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/** fields.Selector.RequiresExactMatch("metadata.name"), or undefined (a selector that does not parse names nothing). */
function exactName(fieldSelector: string | null): string | undefined {
  if (!fieldSelector) return undefined;
  try {
    return parseFieldTerms(fieldSelector).find((r) => r.field === 'metadata.name' && r.operator === '=')
      ?.value;
  } catch {
    return undefined;
  }
}

export function requestInfo(method: string, path: string, query: URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    resourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  let parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.length < 3) return info;
  if (parts[0] !== 'api' && parts[0] !== 'apis') return info;
  const prefix = parts[0];
  parts = parts.slice(1);
  if (prefix === 'apis') {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.resourceRequest = true;
  info.apiPrefix = prefix;
  info.apiVersion = parts[0];
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0])) {
    // The real factory returns an error here and the request is refused; no verb is a refusal too.
    if (parts.length < 2) return { ...info, verb: '' };
    info.verb = parts[0];
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      // /namespaces/NS/RESOURCE...: what follows the namespace is the resource, unless it is
      // one of the namespace's own subresources (/namespaces/NS/status).
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }
  // parts: resource / name / subresource / anything else
  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];

  if (!info.name && info.verb === 'get') {
    info.verb = queryBool(query, 'watch') ? 'watch' : 'list';
    const name = exactName(query.get('fieldSelector'));
    if (name !== undefined && isValidPathSegmentName(name)) info.name = name;
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}
