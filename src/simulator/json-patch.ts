/**
 * JSON patch (RFC 6902, `application/json-patch+json`) as kube-apiserver applies it: with
 * gopkg.in/evanphx/json-patch.v4, whose quirks a client can observe and which are kept
 * here: negative array indices count from the end, `replace` of a missing object member
 * adds it, `test` of a missing member against `null` passes, and the first failing
 * operation aborts the whole patch (nothing is stored).
 *
 * Errors carry evanphx's wording (`testing value /x failed: test failed`, ...), but
 * kube-apiserver does not pass that on: handlers/patch.go answers a failed application
 * with errors.NewGenericServerResponse(422, ...), whose message is the generic "the
 * server rejected our request due to an error in our request" (reason Invalid, no
 * causes). A body that does not decode as a patch is a 400 with the decoder's error; more
 * than 10000 operations is a 413.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A patch the decoder refuses (400) or one that does not apply (422). */
export class JsonPatchError extends Error {
  constructor(
    readonly code: 400 | 413 | 422,
    message: string,
  ) {
    super(message);
  }
}

export interface JsonPatchOperation {
  op?: unknown;
  path?: unknown;
  from?: unknown;
  value?: unknown;
}

/** kube-apiserver's limit on the operations of one JSON patch (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

/** The reply kube-apiserver gives for a patch that does not apply. */
export const JSON_PATCH_INVALID_MESSAGE = 'the server rejected our request due to an error in our request';

/** Decodes a patch body as jsonpatch.DecodePatch does (an array of objects), 400 otherwise. */
export function decodeJsonPatch(value: unknown): JsonPatchOperation[] {
  if (!Array.isArray(value)) {
    const type = value === null ? null : typeof value === 'object' ? 'object' : typeof value;
    if (type === null) return [];
    throw new JsonPatchError(400, `json: cannot unmarshal ${type} into Go value of type jsonpatch.Patch`);
  }
  for (const op of value) {
    if (op !== null && (typeof op !== 'object' || Array.isArray(op))) {
      const type = Array.isArray(op) ? 'array' : typeof op;
      throw new JsonPatchError(
        400,
        `json: cannot unmarshal ${type} into Go value of type jsonpatch.Operation`,
      );
    }
  }
  if (value.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new JsonPatchError(
      413,
      `Request entity too large: The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${value.length}`,
    );
  }
  return value.map((op) => (op ?? {}) as JsonPatchOperation);
}

/** Applies the operations in order to a copy of `doc`; the first failure throws a 422. */
export function applyJsonPatch(doc: unknown, ops: JsonPatchOperation[]): unknown {
  const box: { root: Json } = { root: structuredClone(doc) as Json };
  for (const op of ops) {
    const kind = typeof op.op === 'string' ? op.op : 'unknown';
    switch (kind) {
      case 'add':
        add(box, op);
        break;
      case 'remove':
        remove(box, op);
        break;
      case 'replace':
        replace(box, op);
        break;
      case 'move':
        move(box, op);
        break;
      case 'copy':
        copy(box, op);
        break;
      case 'test':
        test(box, op);
        break;
      default:
        throw invalid(`Unexpected kind: ${kind}`);
    }
  }
  return box.root;
}

function invalid(message: string): JsonPatchError {
  return new JsonPatchError(422, message);
}

const MISSING = 'missing value';
const INVALID_INDEX = 'invalid index referenced';

/** `~1` is `/`, `~0` is `~` (RFC 6901), in that order. */
export function decodePointerToken(token: string): string {
  return token.replaceAll('~1', '/').replaceAll('~0', '~');
}

type Container = Json[] | { [key: string]: Json };

/** The container holding the pointer's last token, and that token; undefined if absent. */
function findObject(root: Json, path: string): { con: Container; key: string } | undefined {
  const split = path.split('/');
  if (split.length < 2 || split[0] !== '') return undefined;
  let node: Json = root;
  for (const part of split.slice(1, -1)) {
    if (!isContainer(node)) return undefined;
    const next: Json | undefined = Array.isArray(node)
      ? node[arrayIndex(node, decodePointerToken(part), false) ?? -1]
      : Object.hasOwn(node, decodePointerToken(part))
        ? node[decodePointerToken(part)]
        : undefined;
    if (next === undefined || next === null) return undefined;
    node = next;
  }
  if (!isContainer(node)) return undefined;
  return { con: node, key: decodePointerToken(split[split.length - 1]) };
}

function isContainer(node: Json): node is Container {
  return node !== null && typeof node === 'object';
}

/** An index into `ary` (negative counts from the end), or undefined out of range. */
function arrayIndex(ary: Json[], key: string, forAdd: boolean): number | undefined {
  if (!/^-?\d+$/.test(key)) return undefined;
  let idx = Number(key);
  const size = forAdd ? ary.length + 1 : ary.length;
  if (idx < 0) {
    if (idx < -size) return undefined;
    idx += size;
  }
  return idx < size ? idx : undefined;
}

function indexError(key: string): string {
  return /^-?\d+$/.test(key)
    ? `Unable to access invalid index: ${Number(key)}: ${INVALID_INDEX}`
    : `strconv.Atoi: parsing ${JSON.stringify(key)}: invalid syntax`;
}

function getIn(con: Container, key: string): { value?: Json; error?: string } {
  if (!Array.isArray(con)) return { value: Object.hasOwn(con, key) ? con[key] : undefined };
  const idx = arrayIndex(con, key, false);
  return idx === undefined ? { error: indexError(key) } : { value: con[idx] };
}

function addIn(con: Container, key: string, value: Json): string | undefined {
  if (!Array.isArray(con)) {
    con[key] = value;
    return undefined;
  }
  if (key === '-') {
    con.push(value);
    return undefined;
  }
  if (!/^-?\d+$/.test(key)) return `value was not a proper array index: '${key}': ${indexError(key)}`;
  const idx = arrayIndex(con, key, true);
  if (idx === undefined) return indexError(key);
  con.splice(idx, 0, value);
  return undefined;
}

function removeIn(con: Container, key: string): string | undefined {
  if (!Array.isArray(con)) {
    if (!Object.hasOwn(con, key)) return `Unable to remove nonexistent key: ${key}: ${MISSING}`;
    delete con[key];
    return undefined;
  }
  const idx = arrayIndex(con, key, false);
  if (idx === undefined) return indexError(key);
  con.splice(idx, 1);
  return undefined;
}

function pathOf(op: JsonPatchOperation, kind: string): string {
  if (typeof op.path !== 'string') throw invalid(`${kind} operation failed to decode path: ${MISSING}`);
  return op.path;
}

function fromOf(op: JsonPatchOperation, kind: string): string {
  if (typeof op.from !== 'string') {
    throw invalid(`${kind} operation failed to decode from: operation, missing from field: ${MISSING}`);
  }
  return op.from;
}

/** The operation's value; an absent value is JSON null, as evanphx decodes it. */
function opValue(op: JsonPatchOperation): Json {
  return (op.value === undefined ? null : structuredClone(op.value)) as Json;
}

function add(box: { root: Json }, op: JsonPatchOperation): void {
  const path = pathOf(op, 'add');
  const found = findObject(box.root, path);
  if (!found) throw invalid(`add operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  const error = addIn(found.con, found.key, opValue(op));
  if (error) throw invalid(`error in add for path: '${path}': ${error}`);
}

function remove(box: { root: Json }, op: JsonPatchOperation): void {
  const path = pathOf(op, 'remove');
  const found = findObject(box.root, path);
  if (!found) throw invalid(`remove operation does not apply: doc is missing path: "${path}": ${MISSING}`);
  const error = removeIn(found.con, found.key);
  if (error) throw invalid(`error in remove for path: '${path}': ${error}`);
}

function replace(box: { root: Json }, op: JsonPatchOperation): void {
  const path = pathOf(op, 'replace');
  if (path === '') {
    const value = opValue(op);
    if (!isContainer(value)) throw invalid('replace operation value must be object or array');
    box.root = value;
    return;
  }
  const found = findObject(box.root, path);
  if (!found) throw invalid(`replace operation does not apply: doc is missing path: ${path}: ${MISSING}`);
  const { con, key } = found;
  if (getIn(con, key).error) {
    throw invalid(`replace operation does not apply: doc is missing key: ${path}: ${MISSING}`);
  }
  if (Array.isArray(con)) con[arrayIndex(con, key, false)!] = opValue(op);
  else con[key] = opValue(op); // a missing member is added: evanphx v4 does not check
}

function move(box: { root: Json }, op: JsonPatchOperation): void {
  const from = fromOf(op, 'move');
  const source = findObject(box.root, from);
  if (!source) throw invalid(`move operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const got = getIn(source.con, source.key);
  if (got.error) throw invalid(`error in move for path: '${source.key}': ${got.error}`);
  const error = removeIn(source.con, source.key);
  if (error) throw invalid(`error in move for path: '${source.key}': ${error}`);
  const path = pathOf(op, 'move');
  const target = findObject(box.root, path);
  if (!target) {
    throw invalid(`move operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  }
  const addError = addIn(target.con, target.key, got.value ?? null);
  if (addError) throw invalid(`error in move for path: '${path}': ${addError}`);
}

function copy(box: { root: Json }, op: JsonPatchOperation): void {
  const from = fromOf(op, 'copy');
  const source = findObject(box.root, from);
  if (!source) throw invalid(`copy operation does not apply: doc is missing from path: ${from}: ${MISSING}`);
  const got = getIn(source.con, source.key);
  if (got.error) throw invalid(`error in copy for from: '${from}': ${got.error}`);
  const path = pathOf(op, 'copy');
  const target = findObject(box.root, path);
  if (!target) {
    throw invalid(`copy operation does not apply: doc is missing destination path: ${path}: ${MISSING}`);
  }
  const error = addIn(target.con, target.key, structuredClone(got.value ?? null));
  if (error) throw invalid(`error while adding value during copy: ${error}`);
}

function test(box: { root: Json }, op: JsonPatchOperation): void {
  const path = pathOf(op, 'test');
  const failed = invalid(`testing value ${path} failed: test failed`);
  if (path === '') {
    if (!equal(box.root, opValue(op))) throw failed;
    return;
  }
  const found = findObject(box.root, path);
  if (!found) throw invalid(`test operation does not apply: is missing path: ${path}: ${MISSING}`);
  const got = getIn(found.con, found.key);
  if (got.error) throw invalid(`error in test for path: '${path}': ${got.error}`);
  if (got.value === undefined || got.value === null) {
    if (op.value === null || op.value === undefined) return;
    throw failed;
  }
  if (!equal(got.value, opValue(op))) throw failed;
}

/** Structural JSON equality: member order does not matter, array order does. */
export function equal(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b)) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bs = b as Json[];
    return a.length === bs.length && a.every((v, i) => equal(v, bs[i]));
  }
  const ao = a as Record<string, Json>;
  const bo = b as Record<string, Json>;
  const keys = Object.keys(ao);
  if (keys.length !== Object.keys(bo).length) return false;
  return keys.every((k) => Object.hasOwn(bo, k) && equal(ao[k], bo[k]));
}
