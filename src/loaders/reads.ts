/**
 * One request's view of the clusters: which ones the principal may see, the reader of each
 * (pinned for the request, so a cluster swapped mid-request does not mix two caches), and
 * every read the batch functions make, with the principal's namespaces applied.
 *
 * Reads of a synced kind go to the informer's indexes. Reads of a kind that is not synced
 * (still syncing, or `--no-cache`) are LISTs with selectors pushed down, memoized for the
 * request by (cluster, kind, namespace-or-cluster-wide, selectors): two loaders that need
 * "all pods of cluster A" in one request share one LIST.
 */

import { clusterNotFound, fromUpstream, GatewayError, selectorError } from '../errors.js';
import { upstreamFailure } from '../kube/client.js';
import { isNamespaced, KIND_INFO, type KindName } from '../kube/kinds.js';
import { queryKey } from '../kube/query.js';
import { ClusterReader, type ObjectQuery } from '../kube/reader.js';
import { LabelSelectorError } from '../kube/selector.js';
import { ATTR_CLUSTER, ATTR_KIND, cacheWaitSpan } from '../kube/tracing.js';
import {
  type AccessNeed,
  type AccessReviews,
  accessIn,
  type ClusterAccess,
  type ReadVerb,
  requestNamespace,
} from './access.js';
import type { ClusterDirectory } from './directory.js';
import type { AnyObject } from './keys.js';
import type { Principal } from './principal.js';

/**
 * Turns what a read threw into the client error it should be: ours as they are, a bad
 * selector as BAD_USER_INPUT, a failure of the API server or the network as its code.
 * Anything else is a bug, returned as it is so that the server masks it for the client
 * and logs it (an Error, not a GatewayError).
 */
export function readError(err: unknown, cluster: string, action: string): GatewayError | Error {
  if (err instanceof GatewayError) return err;
  if (err instanceof LabelSelectorError) return selectorError(err);
  const failure = upstreamFailure(err);
  if (failure) return fromUpstream(failure, cluster, action);
  if (err instanceof Error) return err; // anything else is a bug: masked and logged
  return new Error(`non-Error thrown while ${action}: ${String(err)}`);
}

export class RequestReads {
  readonly #readers = new Map<string, ClusterReader>();
  readonly #access = new Map<string, ClusterAccess>();
  readonly #direct = new Map<string, Promise<readonly AnyObject[]>>();
  readonly #gets = new Map<string, Promise<AnyObject | undefined>>();
  /** Memo keys of the reads above still waiting for the API server. */
  readonly #inFlight = new Set<string>();

  constructor(
    readonly directory: ClusterDirectory,
    readonly principal: Principal,
    readonly reviews?: AccessReviews,
  ) {}

  /** Asks what the reads of a cluster are about to need (a no-op where decisions are in memory). */
  async prepare(cluster: string, needs: readonly (AccessNeed | false | undefined)[]): Promise<void> {
    const access = this.access(cluster);
    if (!access.prepare) return;
    try {
      // Fresh answers (at most REVIEW_TTL_MS old): a read never rests on a stale review.
      await access.prepare(
        needs.filter((n): n is AccessNeed => !!n),
        true,
      );
    } catch (err) {
      throw readError(err, cluster, 'asking the API server what the caller may read (SubjectAccessReview)');
    }
  }

  /** Names of the clusters this principal may see (may read anything in), in the directory's order. */
  visibleClusters(): string[] {
    return this.directory
      .list()
      .map((c) => c.name)
      .filter((name) => this.#accessOf(name)?.any === true);
  }

  /** The principal's access in a cluster, once per request (a request sees one set of rights). */
  #accessOf(name: string): ClusterAccess | undefined {
    let access = this.#access.get(name);
    if (access) return access;
    const cluster = this.directory.get(name);
    if (!cluster) return undefined;
    access = accessIn(this.principal, this.#readers.get(name) ?? new ClusterReader(cluster), this.reviews);
    this.#access.set(name, access);
    return access;
  }

  /** The principal's access in a cluster it may see; NOT_FOUND otherwise. */
  access(name: string): ClusterAccess {
    const access = this.#accessOf(name);
    if (!access?.any) throw clusterNotFound(name, this.visibleClusters());
    return access;
  }

  /** The reader of a cluster the principal may see; NOT_FOUND otherwise (missing or hidden alike). */
  reader(name: string): ClusterReader {
    const pinned = this.#readers.get(name);
    if (pinned) return pinned;
    const cluster = this.directory.get(name);
    // A hidden cluster answers as a missing one: its name is not confirmed.
    if (!cluster || !this.#accessOf(name)?.any) throw clusterNotFound(name, this.visibleClusters());
    const reader = new ClusterReader(cluster);
    this.#readers.set(name, reader);
    return reader;
  }

  /** Whether `verb` is allowed on this object (names count for `get` only, as for a request by name). */
  visible(reader: ClusterReader, kind: KindName, obj: AnyObject, verb: ReadVerb = 'list'): boolean {
    const access = this.access(reader.name);
    if (access.all(verb, kind)) return true;
    return access.allows(
      verb,
      kind,
      requestNamespace(kind, obj),
      verb === 'get' ? obj.metadata?.name : undefined,
    );
  }

  /**
   * Objects of `kind` matching `query` that the principal may `verb` (list, by default). A
   * principal granted in some namespaces reads those namespaces one by one (index or LIST
   * each), rather than the whole cluster filtered afterwards: on 150k pods that is the
   * difference that matters.
   */
  async list(
    reader: ClusterReader,
    kind: KindName,
    query: ObjectQuery,
    verb: ReadVerb = 'list',
  ): Promise<readonly AnyObject[]> {
    const access = this.access(reader.name);
    await this.prepare(reader.name, [
      { verb, kind },
      query.namespace !== undefined && { verb, kind, namespace: query.namespace },
    ]);
    if (access.all(verb, kind)) return this.#read(reader, kind, query);
    const now = grantedNow(reader, access, kind, query, verb);
    if (now) return now;
    // Not in memory: a LIST per granted namespace, each with the query pushed down.
    const namespaces = access.namespaces(verb, kind);
    let parts: ObjectQuery[];
    if (!isNamespaced(kind))
      parts = namespaces.length > 0 ? [query] : []; // Namespaces: filtered below
    else if (query.namespace !== undefined) parts = access.allows(verb, kind, query.namespace) ? [query] : [];
    else parts = namespaces.map((namespace) => ({ ...query, namespace }));
    const results = await Promise.all(parts.map((q) => this.#read(reader, kind, q)));
    const out: AnyObject[] = [];
    for (const items of results)
      for (const obj of items) if (access.allows(verb, kind, requestNamespace(kind, obj))) out.push(obj);
    return out;
  }

  /**
   * What `list` would answer, now, when that needs no I/O: the kind served from memory and
   * the principal's rights already decided (no review pending), all of the kind or some
   * namespaces of it. Undefined otherwise (then `list`). Throws as `list` rejects.
   */
  listNow(
    reader: ClusterReader,
    kind: KindName,
    query: ObjectQuery,
    verb: ReadVerb = 'list',
  ): readonly AnyObject[] | undefined {
    const access = this.access(reader.name);
    if (access.prepare) return undefined;
    if (access.all(verb, kind)) return reader.listNow(kind, query);
    return grantedNow(reader, access, kind, query, verb);
  }

  /** One object by namespace and name, or undefined; the caller checks visibility first. */
  async get(reader: ClusterReader, kind: KindName, namespace: string | undefined, name: string) {
    if (reader.cached(kind)) return reader.get(kind, namespace, name);
    const memo = JSON.stringify([reader.name, kind, namespace ?? null, name]);
    const pending = this.#gets.get(memo);
    if (pending) return this.#shared(memo, pending, reader.name, kind);
    const fetched = reader
      .get(kind, namespace, name)
      .catch((err: unknown) =>
        Promise.reject(readError(err, reader.name, `getting ${KIND_INFO[kind].plural} "${name}"`)),
      );
    this.#gets.set(memo, this.#track(memo, fetched));
    return fetched;
  }

  #read(reader: ClusterReader, kind: KindName, query: ObjectQuery): Promise<readonly AnyObject[]> {
    const action = `listing ${KIND_INFO[kind].plural}`;
    if (reader.cached(kind)) {
      return reader.list(kind, query).then(
        (r) => r.items,
        (err: unknown) => Promise.reject(readError(err, reader.name, action)),
      );
    }
    const memo = `${reader.name}\u0000${queryKey(kind, query)}`;
    const pending = this.#direct.get(memo);
    if (pending) return this.#shared(memo, pending, reader.name, kind);
    const fetched = reader.list(kind, query).then(
      (r) => r.items,
      (err: unknown) => Promise.reject(readError(err, reader.name, action)),
    );
    this.#direct.set(memo, this.#track(memo, fetched));
    return fetched;
  }

  /** Notes a read as in flight until it settles. */
  #track<T>(memo: string, fetched: Promise<T>): Promise<T> {
    this.#inFlight.add(memo);
    const settled = () => this.#inFlight.delete(memo);
    fetched.then(settled, settled);
    return fetched;
  }

  /** Another loader's read of the same thing: a cache wait while it is still in flight. */
  #shared<T>(memo: string, pending: Promise<T>, cluster: string, kind: KindName): Promise<T> {
    if (!this.#inFlight.has(memo)) return pending;
    return cacheWaitSpan(
      'shared-fetch',
      () => ({ [ATTR_CLUSTER]: cluster, [ATTR_KIND]: kind }),
      () => pending,
      () => 'answered',
    );
  }
}

/**
 * A list for a principal granted `verb` on some of the kind, from memory (undefined when the
 * kind is not served from memory): a namespaced kind read from the granted namespaces' index
 * buckets or the query's own narrower index (`ClusterReader.listNowIn`), whose objects are all
 * allowed by what `namespaces` means; a cluster-scoped kind filtered object by object.
 * Synchronous, so a page of 100 jobs with their pods costs a caller bound in 1,000 namespaces
 * no promise or batch per connection, as it costs an open one.
 */
function grantedNow(
  reader: ClusterReader,
  access: ClusterAccess,
  kind: KindName,
  query: ObjectQuery,
  verb: ReadVerb,
): readonly AnyObject[] | undefined {
  if (!reader.cached(kind)) return undefined;
  if (!isNamespaced(kind)) {
    if (access.namespaces(verb, kind).length === 0) return [];
    const items = reader.listNow(kind, query);
    return items?.filter((obj) => access.allows(verb, kind, requestNamespace(kind, obj)));
  }
  if (query.namespace !== undefined)
    return access.allows(verb, kind, query.namespace) ? reader.listNow(kind, query) : [];
  return reader.listNowIn(kind, query, access.namespaces(verb, kind));
}
