/**
 * JSON text without its `managedFields`, parsed: how listed pages and watched events are read.
 *
 * Every trim drops `metadata.managedFields` (transform.ts), and it is the biggest part of what
 * an API server sends: 4.2 KB of a 10.5 KB pod and 2.7 KB of a 6.6 KB node as the simulator
 * writes them (server-side apply's field sets of the kubelet, the scheduler and the
 * controllers; a real cluster's are of the same size), hundreds of small objects each. Parsing
 * them only to drop them was most of the parse: a page of 500 pods (4.2 MB) parsed in 44–52 ms,
 * cut and parsed in 25–29 ms (the cut itself 6–8 ms); 200 nodes 8–12 ms against 5–7 ms
 * (Node 24, 20 rounds each). In a 50-cluster gateway the watch events' JSON.parse alone was
 * 22.5 % of its CPU profile during the sync, the pages' 17.9 %.
 *
 * The cut is textual and safe by construction: in JSON text an unescaped `"managedFields":`
 * is a member name (a quote inside a string is escaped), so every match is a member, and its
 * value is skipped by bracket depth with strings stepped over whole. Only an array value in
 * compact form (`"managedFields":[`, then `,` or the closing brace) is cut, as kube-apiserver
 * writes it; anything else is left as it was. Whatever text the cut cannot read (unbalanced,
 * an unterminated string) comes back unchanged, and a cut text that does not parse is parsed
 * again whole, so the result is always what JSON.parse of the text would give, less
 * managedFields (test/kube/managed-fields.test.ts checks it on generated documents).
 */

const KEY = '"managedFields":';
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;

/** The end (exclusive) of the string whose opening quote is at `at`, or -1. */
function stringEnd(text: string, at: number): number {
  let from = at + 1;
  for (;;) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** The end (exclusive) of the array or object that opens at `at`, or -1. */
function valueEnd(text: string, at: number): number {
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
    else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** `text` without its `"managedFields":[...]` members (see the file's comment). */
export function withoutManagedFields(text: string): string {
  let at = text.indexOf(KEY);
  if (at < 0) return text;
  let out = '';
  let from = 0;
  while (at >= 0) {
    const value = at + KEY.length;
    if (text.charCodeAt(value) !== OPEN_ARRAY) {
      at = text.indexOf(KEY, value);
      continue;
    }
    const end = valueEnd(text, value);
    if (end < 0) return text;
    // The member goes with one comma: the one after it, or before it when it was the last.
    let cutFrom = at;
    let cutTo = end;
    if (text.charCodeAt(end) === COMMA) cutTo = end + 1;
    else if (text.charCodeAt(end) === CLOSE_OBJECT && text.charCodeAt(at - 1) === COMMA) cutFrom = at - 1;
    else if (!(text.charCodeAt(end) === CLOSE_OBJECT && text.charCodeAt(at - 1) === OPEN_OBJECT)) {
      // Not compact JSON around it: left in place (the trims drop it after parsing).
      at = text.indexOf(KEY, end);
      continue;
    }
    out += text.slice(from, cutFrom);
    from = cutTo;
    at = text.indexOf(KEY, cutTo);
  }
  return from === 0 ? text : out + text.slice(from);
}

/** JSON.parse of `text` with its managedFields cut first; throws as JSON.parse(text) does. */
export function parseWithoutManagedFields(text: string): unknown {
  return parseCut(text, withoutManagedFields(text));
}

/** JSON.parse of `cut`, or of the whole `text` when the cut does not parse (see the file's comment). */
function parseCut(text: string, cut: string): unknown {
  if (cut === text) return JSON.parse(text);
  try {
    return JSON.parse(cut);
  } catch {
    return JSON.parse(text);
  }
}

/**
 * The same cut for a kind whose trim drops more than managedFields (kinds/*.ts `dropped`):
 * every member with one of `names` whose value is an array or an object, wherever it occurs
 * in the object, and managedFields (always). For a pod that is its volumes, its containers'
 * env, volume mounts and probes, its tolerations and affinity: 2.5 KB of a 5.1 KB pod once
 * its managedFields are gone. A simulator pod's watch event parsed in 50 µs against 71 µs
 * with managedFields cut alone, a page of 500 in 30.5 ms against 39.1 (`npx tsx
 * bench/parse-cut.ts Pod`; the cut's own walk over the skipped values is most of what is
 * left). What is parsed is also what the garbage collector later frees: a kind's dropped
 * members are most of the objects an event's parse makes.
 *
 * The same argument as managedFields': an unescaped `"name":` is a member name, so a match
 * whose quote is escaped (a string ending in `\"name`, a member name of its own) is passed
 * over; the value is skipped by depth with strings stepped over whole; only compact JSON is
 * cut; text the cut cannot read is parsed whole. So the result is JSON.parse of the text
 * less those members, and the kind's trim of it is the trim of the whole text's parse, as
 * long as the trim reads no member of those names anywhere (test/kube/managed-fields.test.ts
 * checks every kind's trim both ways, on the simulator's objects and on generated ones).
 */
export function memberCut(names: readonly string[]): (text: string) => unknown {
  const all = [...new Set(['managedFields', ...names])];
  if (all.length === 1) return parseWithoutManagedFields;
  for (const name of all) {
    if (!/^[A-Za-z0-9_]+$/.test(name))
      throw new Error(`expected a member name of letters and digits, got ${JSON.stringify(name)}`);
  }
  // One RegExp for the kind, its lastIndex reset on each use (nothing runs between its uses).
  const members = new RegExp(`"(?:${all.join('|')})":[[{]`, 'g');
  return (text) => parseCut(text, withoutMembers(text, members));
}

/** `text` without the members `names` matches (a global RegExp of `"name":` and `[` or `{`). */
function withoutMembers(text: string, names: RegExp): string {
  names.lastIndex = 0;
  let out = '';
  let from = 0;
  for (;;) {
    const match = names.exec(text);
    if (match === null) break;
    const at = match.index;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 1) continue;
    const end = valueEnd(text, names.lastIndex - 1);
    if (end < 0) return text;
    let cutFrom = at;
    let cutTo = end;
    if (text.charCodeAt(end) === COMMA) cutTo = end + 1;
    else if (text.charCodeAt(end) === CLOSE_OBJECT && text.charCodeAt(at - 1) === COMMA) {
      // The last member: it goes with the comma before it, unless the member cut just
      // before took that comma with it (two in a row), when the one before that goes.
      if (at - 1 >= from) cutFrom = at - 1;
      else if (out.charCodeAt(out.length - 1) === COMMA) out = out.slice(0, -1);
    } else if (!(text.charCodeAt(end) === CLOSE_OBJECT && text.charCodeAt(at - 1) === OPEN_OBJECT)) {
      names.lastIndex = end;
      continue;
    }
    out += text.slice(from, cutFrom);
    from = cutTo;
    names.lastIndex = cutTo;
  }
  return from === 0 ? text : out + text.slice(from);
}
