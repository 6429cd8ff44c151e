/**
 * Argument validation shared by the fields, and the one path every connection takes:
 * validate, load the filtered list through the list loader, page it by keyset.
 * Bad input is refused before anything is read, with what was expected and received.
 */
import { badUserInput, quote, selectorError } from '../errors.js';
import {
  type AnyObject,
  type GatewayContext,
  type KindName,
  type KubeObjectOf,
  LabelSelectorError,
  type ListKey,
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

/** An order over [value, namespace, name, uid]: total, so keyset cursors are unambiguous. */
export function makeOrder<T extends AnyObject>(
  field: string,
  direction: Direction,
  primary: (obj: T) => string | number,
): Order<T> {
  return {
    field,
    direction,
    key: (o) => [primary(o), o.metadata?.namespace ?? '', o.metadata?.name ?? '', o.metadata?.uid ?? ''],
  };
}

export async function loadPage<K extends KindName>(
  ctx: GatewayContext,
  key: ListKey & { kind: K },
  args: PageArgs,
  order: Order<KubeObjectOf<K>>,
): Promise<Page<KubeShape<K>>> {
  checkPageArgs(args);
  const items = (await ctx.loaders.list.load(key)) as readonly KubeObjectOf<K>[];
  return paginate(items, args, order, (o) => wrap(key.cluster, key.kind, o));
}
