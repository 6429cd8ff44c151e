/**
 * Objects laid out exactly, for the trimmed objects the mirror holds by the million.
 *
 * V8 sizes an object literal's map to exactly the properties written in it; every property
 * added afterwards (`o.x = v`) goes to a separate PropertyArray: a heap object of its own
 * (16 B header, then slots growing three at a time). The trim used to write the common
 * fields in a literal and `put` the optional ones, so nearly every trimmed object (a pod,
 * its metadata, spec, status, each condition and container status) had one. A heap
 * snapshot of a gateway mirroring 20,194 pods held 266,275 PropertyArrays (12.6 MB, 13 per
 * pod; bench/results/trim-shapes.md), and each is one more object for every GC to visit.
 *
 * `shape(keys)` returns a builder taking one value per key (in that order) that returns a
 * literal of exactly the keys whose value is neither undefined nor null, in that order: no
 * PropertyArray, no slot for an absent field. The literal for each combination of present
 * keys is generated once (a bitmask picks it) from the keys. Only identifiers (checked here,
 * `__proto__` refused) are ever written into generated code, so a key can only ever be a
 * plain property name there.
 */

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;
/** Bits of the presence mask (a Smi); no trimmed type has more fields than this. */
const MAX_KEYS = 24;

export type Builder<T> = (...values: unknown[]) => T;

export function shape<T extends object>(keys: readonly (keyof T & string)[]): Builder<T> {
  if (keys.length === 0 || keys.length > MAX_KEYS)
    throw new Error(`shape: expected 1 to ${MAX_KEYS} keys, got ${keys.length}`);
  for (const k of keys)
    if (!IDENTIFIER.test(k) || k === '__proto__')
      throw new Error(`shape: expected identifiers as keys, got ${JSON.stringify(k)}`);
  if (new Set(keys).size !== keys.length) throw new Error(`shape: duplicate keys in ${keys.join(',')}`);
  const params = keys.map((_, i) => `v${i}`);
  const literals: Builder<T>[] = [];
  const literal = (mask: number): Builder<T> => {
    const fields = keys.flatMap((k, i) => (mask & (1 << i) ? [`${k}: v${i}`] : []));
    const made = new Function(...params, `return { ${fields.join(', ')} };`) as Builder<T>;
    literals[mask] = made;
    return made;
  };
  const maskOf = params.map((p, i) => `(${p} != null ? ${1 << i} : 0)`).join(' | ');
  // The dispatcher is generated too, with a fixed arity: no rest array per object.
  return new Function(
    'literals',
    'literal',
    `return function build(${params.join(', ')}) {
      const mask = ${maskOf};
      return (literals[mask] ?? literal(mask))(${params.join(', ')});
    };`,
  )(literals, literal) as Builder<T>;
}

/**
 * `keys`→`values` as one exactly laid-out object, for subtrees kept whole rather than built
 * at one trim site: a job's status or a node's system info (client-node's attribute names),
 * and what `clone` copies, such as a job's selector, whose keys are the cluster's data. Key
 * sets that are all identifiers get a builder (see `shape`: only identifiers reach generated
 * code); others, such as `app.kubernetes.io/name`, are built property by property. One
 * builder per distinct key set, at most MAX_SIGNATURES (the map is cleared when full).
 */
export function exactObject(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const signature = keys.join(',');
  let build = BY_SIGNATURE.get(signature);
  if (build === undefined) {
    build = keys.length > 0 && keys.length <= MAX_KEYS && keys.every(isPlainKey) ? shape(keys) : null;
    if (BY_SIGNATURE.size >= MAX_SIGNATURES) BY_SIGNATURE.clear();
    BY_SIGNATURE.set(signature, build);
  }
  if (build !== null) return build(...values) as Record<string, unknown>;
  const o: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) if (values[i] != null) o[keys[i]] = values[i];
  return o;
}

const MAX_SIGNATURES = 1024;
const BY_SIGNATURE = new Map<string, Builder<Record<string, unknown>> | null>();

function isPlainKey(k: string): boolean {
  return IDENTIFIER.test(k) && k !== '__proto__';
}
