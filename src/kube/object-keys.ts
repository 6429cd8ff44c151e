/**
 * client-go's object keys: `namespace/name`, or `name` for a cluster-scoped object. A leaf
 * module (the indexer and the registry both need it).
 */

/** Any object that has the metadata a key is made from. */
export interface KeyedObject {
  metadata?: { name?: string; namespace?: string };
}

/**
 * client-go's MetaNamespaceKeyFunc: `namespace/name`, or `name` for a cluster-scoped object
 * (no or empty namespace). Throws when the object has no name, because a store keyed by ''
 * would silently merge unrelated objects.
 */
export function objectKey(obj: KeyedObject): string {
  const name = obj.metadata?.name;
  if (!name) {
    throw new Error(`objectKey: expected an object with metadata.name, received ${describe(obj)}`);
  }
  const namespace = obj.metadata?.namespace;
  return namespace ? prefixOf(namespace) + name : name;
}

/** The key `objectKey` would give an object with this namespace and name. */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace ? prefixOf(namespace) + name : name;
}

/**
 * `namespace/`, one string per namespace. A store key is kept once per mirrored object (the
 * store's map and every index bucket hold that one string), and V8 makes `prefix + name` a
 * cons string of 32 B pointing at both parts: with the prefix shared, a key costs those
 * 32 B (the name is the object's own string). Built as `${namespace}/${name}`, each key also
 * had a `namespace/` of its own, flat or a second cons string: a heap snapshot of a gateway
 * mirroring a 20,000-pod cluster held 52,478 cons strings (1.7 MB) and 31,563 prefix strings
 * (1.7 MB) for ~28,000 keys (scripts/heap-census.ts). Bounded like the interner: a cluster
 * has tens of namespaces, and a fleet's thousands fit.
 */
const PREFIXES = new Map<string, string>();
const MAX_PREFIXES = 16_384;

function prefixOf(namespace: string): string {
  let prefix = PREFIXES.get(namespace);
  if (prefix === undefined) {
    if (PREFIXES.size >= MAX_PREFIXES) PREFIXES.clear();
    prefix = `${namespace}/`;
    PREFIXES.set(namespace, prefix);
  }
  return prefix;
}

/** client-go's SplitMetaNamespaceKey: the inverse of `objectKey`. */
export function splitObjectKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  if (slash < 0) return { name: key };
  if (slash === 0 || slash === key.length - 1 || key.indexOf('/', slash + 1) >= 0) {
    throw new Error(`splitObjectKey: expected "name" or "namespace/name", received ${JSON.stringify(key)}`);
  }
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

function describe(obj: unknown): string {
  if (obj === null || typeof obj !== 'object') return String(obj);
  const meta = (obj as KeyedObject).metadata;
  return meta === undefined ? 'an object without metadata' : `metadata ${JSON.stringify(meta).slice(0, 200)}`;
}
