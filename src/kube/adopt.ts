/**
 * A new version of a mirrored object, sharing with the version it replaces every part that
 * did not change.
 *
 * Most watch events are MODIFIED, and most of what they carry did not change: a pod's status
 * moved, its spec, labels, owner, name and uid did not; a node's heartbeat moved one
 * condition's time, its info, capacity, addresses and labels did not. The trim builds the
 * whole object again from the event's JSON, and the informer stores it: every part of it,
 * new instances equal to the old ones, lives in the mirror until the next version replaces
 * it, so it survives the young generation's scavenges and is promoted into the old
 * generation. That promotion is what a fleet's full GCs are made of (its old generation grew
 * ~3 MB a second under 50 clusters' churn and a mark-compact of the ~2.5 GB heap held the
 * loop for seconds: bench/results/fleet-gc.md). Swapped for the old version's equal parts
 * before it is stored, the new instances die young, where a scavenge frees them for nothing.
 *
 * `adopt` walks the trimmed new version beside the stored old one: a value equal to the old
 * one's at the same place (strings and numbers by value, Dates by time, arrays element by
 * element, plain objects member by member, the same member names) is replaced by the old
 * instance. A container that differs keeps its new instance, with its equal parts replaced
 * in turn when it is not frozen (an interner-shared subtree is frozen already, and shared).
 * The result is equal, member for member, to what it was given (test/kube/adopt.test.ts,
 * and every kind's trim against the simulator's objects): readers cannot tell, only the
 * heap can. Old parts are frozen, as everything stored is.
 */

const { getPrototypeOf, isFrozen } = Object;
const { isArray } = Array;

/**
 * `next` (a trimmed object, not yet frozen) with each of its parts equal to `previous`'s at
 * the same place replaced by `previous`'s instance. The root is always `next` itself.
 */
export function adopt<T extends object>(next: T, previous: T): T {
  if (next !== previous && !isFrozen(next)) share(next, previous);
  return next;
}

/** The value to keep in place of `next`: `previous` when they are equal, else `next`, its parts shared. */
function reuse(next: unknown, previous: unknown): unknown {
  if (next === previous) return previous; // the same instance, or equal strings, numbers, booleans
  if (typeof next !== 'object' || next === null || typeof previous !== 'object' || previous === null)
    return next;
  if (next instanceof Date)
    return previous instanceof Date && next.getTime() === previous.getTime() ? previous : next;
  return share(next, previous) ? previous : next;
}

/**
 * Whether `next` equals `previous`; where they differ and `next` is not frozen, its equal
 * parts are replaced by `previous`'s.
 */
function share(next: object, previous: object): boolean {
  const writable = !isFrozen(next);
  if (isArray(next)) {
    if (!isArray(previous)) return false;
    let equal = next.length === previous.length;
    for (let i = 0; i < next.length; i++) {
      const before = i < previous.length ? previous[i] : undefined;
      const kept = reuse(next[i], before);
      if (kept !== before) equal = false;
      else if (kept !== next[i] && writable) next[i] = kept;
    }
    return equal;
  }
  if (isArray(previous) || getPrototypeOf(next) !== getPrototypeOf(previous) || previous instanceof Date)
    return false;
  const n = next as Record<string, unknown>;
  const p = previous as Record<string, unknown>;
  let equal = true;
  let members = 0;
  for (const k in n) {
    members++;
    const before = p[k];
    const kept = reuse(n[k], before);
    if (kept !== before || (before === undefined && !(k in p))) equal = false;
    else if (kept !== n[k] && writable) n[k] = kept;
  }
  if (!equal) return false;
  for (const _ in p) if (--members < 0) return false;
  return members === 0;
}
