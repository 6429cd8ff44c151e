/**
 * Argument validation shared by the fields, and the one path every connection takes:
 * validate, load the filtered list through the list loader, page it by keyset.
 * Bad input is refused before anything is read, with what was expected and received.
 */
import { badUserInput, quote, selectorError } from '../errors.js';
import {
  type AnyObject,
  cpuMillis,
  type GatewayContext,
  type KindName,
  type KubeObjectOf,
  LabelSelectorError,
  type ListKey,
  memoryBytes,
  parseLabelSelector,
} from '../loaders/index.js';
import {
  checkPageArgs,
  type Direction,
  type Order,
  type Page,
  type PageArgs,
  paginate,
} from './pagination.js';
import { type KubeShape, wrap } from './shapes.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A namespace name: an RFC 1123 label, as the API server requires. */
export function checkNamespace(arg: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    throw badUserInput(
      `expected "${arg}" to be a namespace name (lowercase letters, digits and "-", at most 63 characters), received ${quote(value)}`,
    );
  }
  return value;
}

/** A node, pod or job name: an RFC 1123 subdomain. Also keeps field selectors we push down well-formed. */
export function checkName(arg: string, value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (value.length > 253 || !DNS_SUBDOMAIN.test(value)) {
    throw badUserInput(
      `expected "${arg}" to be an object name (lowercase letters, digits, "-" and ".", at most 253 characters), received ${quote(value)}`,
    );
  }
  return value;
}

/** Kubernetes label selector syntax; a parse error says where, what was expected, what was found. */
export function checkSelector(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value.trim() === '') return undefined;
  try {
    parseLabelSelector(value);
  } catch (err) {
    if (err instanceof LabelSelectorError) throw selectorError(err);
    throw err;
  }
  return value;
}

export function checkSearch(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (value.length > 253)
    throw badUserInput(`expected "search" of at most 253 characters, received ${value.length}`);
  return value;
}

/** Orders by field, direction and value function: each asked again hands out the same object. */
const orders = new WeakMap<
  (obj: never) => string | number,
  Map<string, Partial<Record<Direction, Order<never>>>>
>();

/**
 * An order over [value, namespace, name, uid]: total, so keyset cursors are unambiguous. One
 * object per (field, direction, value function), frozen: pagination keeps its sorted lists by
 * order (`memoKeyOf`), and a value function made per call would defeat that.
 */
export function makeOrder<T extends AnyObject>(
  field: string,
  direction: Direction,
  primary: (obj: T) => string | number,
): Order<T> {
  let byField = orders.get(primary);
  if (!byField) {
    byField = new Map();
    orders.set(primary, byField);
  }
  let byDirection = byField.get(field);
  if (!byDirection) {
    byDirection = {};
    byField.set(field, byDirection);
  }
  let order = byDirection[direction] as Order<T> | undefined;
  if (!order) {
    order = Object.freeze({
      field,
      direction,
      key: (o: T) => [primary(o), o.metadata?.namespace ?? '', o.metadata?.name ?? '', o.metadata?.uid ?? ''],
    });
    byDirection[direction] = order as Order<never>;
  }
  return order;
}

/**
 * An order (and filter) that needs more than the objects: usage, read for the page's
 * cluster before the list is sorted (`resolve`).
 */
export interface DeferredOrder<T> {
  resolve(ctx: GatewayContext, cluster: string): Promise<{ order: Order<T>; keep?: (item: T) => boolean }>;
}

/**
 * An order by a value some objects lack (usage: a pod that is not running, a node the
 * caller may not see the usage of): those sort last in either direction, then by
 * namespace, name and uid.
 */
export function makeOptionalOrder<T extends AnyObject>(
  field: string,
  direction: Direction,
  value: (obj: T) => number | undefined,
  memo: string,
): Order<T> {
  const missing = direction === 'ASC' ? 1 : 0;
  return {
    field,
    direction,
    memo,
    key: (o) => {
      const v = value(o);
      return [
        v === undefined ? missing : 1 - missing,
        v ?? 0,
        o.metadata?.namespace ?? '',
        o.metadata?.name ?? '',
        o.metadata?.uid ?? '',
      ];
    },
  };
}

/**
 * One page of a list. Synchronous when the list is in memory and the order needs nothing
 * (the list loader's `now`): a page of 100 jobs each with its pods is then 100 connections
 * without a promise, a DataLoader batch or a tick each; otherwise a promise, batched as before.
 */
export function loadPage<K extends KindName>(
  ctx: GatewayContext,
  key: ListKey & { kind: K },
  args: PageArgs,
  given: Order<KubeObjectOf<K>> | DeferredOrder<KubeObjectOf<K>>,
  owner?: object,
): Page<KubeShape<K>> | Promise<Page<KubeShape<K>>> {
  checkPageArgs(args);
  const page = (items: readonly KubeObjectOf<K>[], order: Order<KubeObjectOf<K>>, keep?: Keep<K>) =>
    paginate(keep ? items.filter(keep) : items, args, order, (o) => wrap(key.cluster, key.kind, o));
  if (!('resolve' in given)) {
    const now = ctx.loaders.list.now(key, owner && { owner, args }) as readonly KubeObjectOf<K>[] | undefined;
    if (now) return keptPage(now, args, given, key) ?? keepPage(now, args, given, key, page(now, given));
  }
  return Promise.all([
    ctx.loaders.list.load(key) as Promise<readonly KubeObjectOf<K>[]>,
    'resolve' in given ? given.resolve(ctx, key.cluster) : { order: given, keep: undefined },
  ]).then(([items, { order, keep }]) => page(items, order, keep));
}

type Keep<K extends KindName> = ((o: KubeObjectOf<K>) => boolean) | undefined;

interface KeptPage {
  readonly args: PageArgs;
  readonly order: object;
  readonly cluster: string;
  readonly kind: KindName;
  readonly page: Page<unknown>;
}

/**
 * The last page made of each memoised list answer. An answer of the list memo is frozen and
 * stands for one (access, list key) until its kind's store changes (loaders/lists.ts), the
 * planned executor hands a field the same frozen arguments on every request of one document
 * and variables, and an order is one object per field and direction (`makeOrder`): the same
 * three make the same page, which is itself frozen (its edges' cursors are encoded once, when
 * first read, and are the same for everyone). Q3 pages each of its 100 jobs' pods: the page
 * step (sorted-list memo, slice, an edge and a shape per pod) was 11 % of its execution at S
 * (`IDS=Q3 ONLY=plan PROF=DIR node bench/wide-breakdown.js S 3000` in the tsc build).
 * Nothing here crosses a principal: the answer array is already their own.
 */
const keptPages = new WeakMap<readonly unknown[], KeptPage>();

function keptPage<K extends KindName>(
  items: readonly KubeObjectOf<K>[],
  args: PageArgs,
  order: object,
  key: ListKey & { kind: K },
): Page<KubeShape<K>> | undefined {
  const kept = keptPages.get(items);
  if (
    kept === undefined ||
    kept.args !== args ||
    kept.order !== order ||
    kept.cluster !== key.cluster ||
    kept.kind !== key.kind
  ) {
    return undefined;
  }
  return kept.page as Page<KubeShape<K>>;
}

function keepPage<K extends KindName>(
  items: readonly KubeObjectOf<K>[],
  args: PageArgs,
  order: object,
  key: ListKey & { kind: K },
  page: Page<KubeShape<K>>,
): Page<KubeShape<K>> {
  if (!Object.isFrozen(items) || !Object.isFrozen(args)) return page;
  Object.freeze(page.edges);
  const kept = Object.freeze(page);
  keptPages.set(items, { args, order, cluster: key.cluster, kind: key.kind, page: kept });
  return kept;
}

/** Bad input to a mutation, naming the argument or input field (`extensions.field`). */
function badField(field: string, message: string) {
  return badUserInput(message, { field });
}

/** A required object name of a write (pod, job, node): an RFC 1123 subdomain. */
export function requireName(field: string, value: string): string {
  return withField(field, () => checkName(field, value)) ?? badName(field, value);
}

function badName(field: string, value: string): never {
  throw badField(field, `expected "${field}" to be an object name, received ${quote(value)}`);
}

/** A required namespace of a write. */
export function requireNamespace(field: string, value: string): string {
  return withField(field, () => checkNamespace(field, value)) ?? badName(field, value);
}

/** Every validator above names its argument in the message; writes also carry it as `extensions.field`. */
export function withField<T>(field: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof Error && 'extensions' in err) {
      (err as { extensions: Record<string, unknown> }).extensions.field ??= field;
    }
    throw err;
  }
}

/** A Job's name: a subdomain of at most 63 characters (it becomes the pods' job-name label value). */
export function checkJobName(field: string, value: string): string {
  withField(field, () => checkName(field, value));
  if (value.length > 63) {
    throw badField(
      field,
      `expected "${field}" of at most 63 characters (a Job's name is its pods' job-name label), received ${value.length}`,
    );
  }
  return value;
}

/** A generateName prefix: the server appends 5 characters, and the result must be a Job name. */
export function checkGenerateName(field: string, value: string): string {
  if (value.length === 0 || value.length > 58 || !DNS_SUBDOMAIN.test(`${value}x`)) {
    throw badField(
      field,
      `expected "${field}" to be a name prefix (lowercase letters, digits, "-" and ".", at most 58 characters, e.g. "backup-"), received ${quote(value)}`,
    );
  }
  return value;
}

/** A container image reference: not empty, no whitespace. */
export function checkImage(field: string, value: string): string {
  if (value.trim() === '' || /\s/.test(value) || value.length > 1024) {
    throw badField(
      field,
      `expected "${field}" to be a container image such as "busybox:1.36" (not empty, no spaces), received ${quote(value)}`,
    );
  }
  return value;
}

/** A non-negative count or number of seconds (`min` 1 where zero means nothing). */
export function checkCount(field: string, value: number | null | undefined, min = 0): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min) {
    throw badField(field, `expected "${field}" to be an integer of at least ${min}, received ${value}`);
  }
  return value;
}

/** A CPU or memory quantity as Kubernetes writes them ("500m", "1", "256Mi"), not negative. */
export function checkQuantity(
  field: string,
  resource: 'cpu' | 'memory',
  value: string | null | undefined,
): string | undefined {
  if (value === null || value === undefined) return undefined;
  let amount: number;
  try {
    amount = resource === 'cpu' ? cpuMillis(value) : memoryBytes(value);
  } catch {
    amount = Number.NaN;
  }
  if (value.trim() !== value || value === '' || !Number.isFinite(amount) || amount < 0) {
    throw badField(
      field,
      `expected "${field}" to be a Kubernetes quantity such as ${resource === 'cpu' ? '"500m" or "2"' : '"256Mi" or "1Gi"'}, received ${quote(value)}`,
    );
  }
  return value;
}

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

/** A label or annotation key: an optional DNS subdomain prefix and "/", then a name of at most 63 characters. */
export function checkLabelKey(field: string, key: string): string {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  const ok =
    name.length <= 63 &&
    LABEL_NAME.test(name) &&
    (prefix === undefined || (prefix.length <= 253 && DNS_SUBDOMAIN.test(prefix)));
  if (!ok) {
    throw badField(
      field,
      `expected "${field}" to be a label key such as "app" or "example.com/tier" (a name of at most 63 letters, digits, "-", "_" and ".", optionally after a DNS prefix and "/"), received ${quote(key)}`,
    );
  }
  return key;
}

/** A label value: empty, or at most 63 letters, digits, "-", "_" and "." starting and ending alphanumeric. */
export function checkLabelValue(field: string, value: string): string {
  if (value !== '' && (value.length > 63 || !LABEL_NAME.test(value))) {
    throw badField(
      field,
      `expected "${field}" to be a label value (empty, or at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit), received ${quote(value)}`,
    );
  }
  return value;
}

/** An environment variable's name, as the API server accepts it. */
export function checkEnvName(field: string, value: string): string {
  if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(value)) {
    throw badField(
      field,
      `expected "${field}" to be an environment variable name (letters, digits, "_", "-" and ".", not starting with a digit), received ${quote(value)}`,
    );
  }
  return value;
}

/** Key/value pairs as a map; a key given twice is refused. */
export function pairsToMap(
  field: string,
  pairs: readonly { key: string; value: string }[] | null | undefined,
  checkValue: (field: string, value: string) => string = (_f, v) => v,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [i, { key, value }] of (pairs ?? []).entries()) {
    checkLabelKey(`${field}[${i}].key`, key);
    checkValue(`${field}[${i}].value`, value);
    if (Object.hasOwn(out, key))
      throw badField(
        `${field}[${i}].key`,
        `expected "${field}[${i}].key" to be a key not given before in "${field}", received ${quote(key)} again`,
      );
    out[key] = value;
  }
  return out;
}
