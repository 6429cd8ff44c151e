/**
 * Query parameters and request options decoded and validated the way kube-apiserver
 * does it (k8s.io/apimachinery: runtime.Convert_Slice_string_To_bool / _To_int64, the
 * meta/internalversion ListOptions validation and the create/update/patch/delete
 * options validation), with the same Status replies: a value that does not convert is
 * a 400 BadRequest, a combination the server forbids is a 422 Invalid naming the field.
 */
import { StoreError } from './store.js';

/** A parameter that does not convert (400 BadRequest, as DecodeParameters answers). */
export class ParameterError extends Error {}

/**
 * A boolean parameter as the apiserver reads it: absent is undefined; `false` (any case)
 * and `0` are false; every other value, the empty one included, is true. So the Python
 * client's `watch=True` is a watch, as on a real server.
 */
export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** An int64 parameter as strconv.ParseInt(value, 10, 64) reads it; absent is undefined. */
export function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  if (!/^[+-]?\d+$/.test(value)) {
    throw new ParameterError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  }
  const big = BigInt(value);
  if (big < INT64_MIN || big > INT64_MAX) {
    throw new ParameterError(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  }
  return Number(big);
}

/** One field.Error of k8s.io/apimachinery/pkg/util/validation/field. */
export interface FieldError {
  field: string;
  type: 'Forbidden' | 'NotSupported' | 'Invalid';
  detail: string;
}

const CAUSE_REASON: Record<FieldError['type'], string> = {
  Forbidden: 'FieldValueForbidden',
  NotSupported: 'FieldValueNotSupported',
  Invalid: 'FieldValueInvalid',
};

export const forbidden = (field: string, detail: string): FieldError => ({
  field,
  type: 'Forbidden',
  detail: `Forbidden: ${detail}`,
});

/** `Unsupported value: <value>: supported values: "a", "b"`; `value` is already formatted as Go prints it. */
export const notSupported = (field: string, value: string, supported: string[]): FieldError => ({
  field,
  type: 'NotSupported',
  detail: `Unsupported value: ${value}: supported values: ${supported.map((s) => JSON.stringify(s)).join(', ')}`,
});

/**
 * errors.NewInvalid for an options kind of meta.k8s.io: 422, the message
 * `ListOptions.meta.k8s.io "" is invalid: <errors>` and one cause per field error.
 */
export function invalidOptions(kind: string, errors: FieldError[]): StoreError {
  const texts = errors.map((e) => `${e.field}: ${e.detail}`);
  const joined = texts.length === 1 ? texts[0] : `[${texts.join(', ')}]`;
  return new StoreError(422, 'Invalid', `${kind}.meta.k8s.io "" is invalid: ${joined}`, {
    group: 'meta.k8s.io',
    kind,
    causes: errors.map((e) => ({ reason: CAUSE_REASON[e.type], message: e.detail, field: e.field })),
  });
}

/** The list/watch options the simulator acts on, validated as ValidateListOptions does. */
export interface ListOptions {
  watch: boolean;
  allowWatchBookmarks: boolean;
  /** undefined when the parameter is absent (it is a *bool upstream: absence matters). */
  sendInitialEvents: boolean | undefined;
  resourceVersion: string;
  resourceVersionMatch: string;
  limit: number;
  timeoutSeconds: number;
  continueToken: string;
}

export function parseListOptions(query: URLSearchParams): ListOptions {
  const opts: ListOptions = {
    watch: queryBool(query, 'watch') ?? false,
    allowWatchBookmarks: queryBool(query, 'allowWatchBookmarks') ?? false,
    sendInitialEvents: queryBool(query, 'sendInitialEvents'),
    resourceVersion: query.get('resourceVersion') ?? '',
    resourceVersionMatch: query.get('resourceVersionMatch') ?? '',
    limit: queryInt(query, 'limit') ?? 0,
    timeoutSeconds: queryInt(query, 'timeoutSeconds') ?? 0,
    continueToken: query.get('continue') ?? '',
  };
  const errors = opts.watch ? watchErrors(opts) : listErrors(opts);
  if (errors.length) throw invalidOptions('ListOptions', errors);
  return opts;
}

function listErrors(opts: ListOptions): FieldError[] {
  const errors: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (match) {
    if (!opts.resourceVersion) {
      errors.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden unless resourceVersion is provided',
        ),
      );
    }
    if (opts.continueToken) {
      errors.push(
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
      );
    }
    if (match !== 'Exact' && match !== 'NotOlderThan') {
      errors.push(notSupported('resourceVersionMatch', JSON.stringify(match), ['Exact', 'NotOlderThan', '']));
    }
    if (match === 'Exact' && opts.resourceVersion === '0') {
      errors.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        ),
      );
    }
  }
  if (opts.sendInitialEvents !== undefined) {
    errors.push(forbidden('sendInitialEvents', 'sendInitialEvents is forbidden for list'));
  }
  return errors;
}

/** validateWatchOptions with the WatchList feature on (beta and on by default since 1.32). */
function watchErrors(opts: ListOptions): FieldError[] {
  const errors: FieldError[] = [];
  const match = opts.resourceVersionMatch;
  if (opts.sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    errors.push(
      forbidden(
        'resourceVersionMatch',
        'sendInitialEvents requires setting resourceVersionMatch to NotOlderThan',
      ),
    );
  }
  if (match) {
    if (opts.sendInitialEvents === undefined) {
      errors.push(
        forbidden(
          'resourceVersionMatch',
          'resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided',
        ),
      );
    }
    if (match !== 'NotOlderThan') {
      errors.push(notSupported('resourceVersionMatch', JSON.stringify(match), ['NotOlderThan']));
    }
    if (opts.continueToken) {
      errors.push(
        forbidden('resourceVersionMatch', 'resourceVersionMatch is forbidden when continue is provided'),
      );
    }
  }
  return errors;
}

/** Go's %#v of a []string, as field.NotSupported prints the dryRun slice. */
function goStringSlice(values: string[]): string {
  return `[]string{${values.map((v) => JSON.stringify(v)).join(', ')}}`;
}

/**
 * The dryRun values of a write: true for `All`, false when absent; anything else is the
 * 422 Invalid a real server answers (ValidateDryRun: only "All" is supported).
 */
export function dryRunOf(values: string[], kind: string): boolean {
  if (values.some((v) => v !== 'All')) {
    throw invalidOptions(kind, [notSupported('dryRun', goStringSlice(values), ['All'])]);
  }
  return values.length > 0;
}

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  dryRun: boolean;
  /** undefined when the client sent neither propagationPolicy nor orphanDependents. */
  propagationPolicy: PropagationPolicy | undefined;
  /** The grace period asked for (deletion.ts decides what a kind makes of it). */
  gracePeriodSeconds: number | undefined;
  /** DeleteOptions.preconditions: the delete fails with 409 Conflict unless the object still has them. */
  preconditions: { uid?: string; resourceVersion?: string } | undefined;
}

/**
 * DeleteOptions from the query and the body (the body wins, as kubectl and client-go send
 * them there), validated as ValidateDeleteOptions does.
 */
export function parseDeleteOptions(query: URLSearchParams, body: Record<string, unknown>): DeleteOptions {
  const dryRunValues = Array.isArray(body.dryRun) ? body.dryRun.map(String) : query.getAll('dryRun');
  const policy =
    typeof body.propagationPolicy === 'string'
      ? body.propagationPolicy
      : (query.get('propagationPolicy') ?? undefined);
  const orphan =
    typeof body.orphanDependents === 'boolean' ? body.orphanDependents : queryBool(query, 'orphanDependents');
  const grace =
    typeof body.gracePeriodSeconds === 'number'
      ? body.gracePeriodSeconds
      : queryInt(query, 'gracePeriodSeconds');
  const errors: FieldError[] = [];
  if (orphan !== undefined && policy !== undefined) {
    errors.push({
      field: 'propagationPolicy',
      type: 'Invalid',
      detail: `Invalid value: ${JSON.stringify(policy)}: orphanDependents and deletionPropagation cannot be both set`,
    });
  }
  if (policy !== undefined && policy !== 'Orphan' && policy !== 'Background' && policy !== 'Foreground') {
    errors.push(
      notSupported('propagationPolicy', JSON.stringify(policy), [
        'Foreground',
        'Background',
        'Orphan',
        'nil',
      ]),
    );
  }
  if (dryRunValues.some((v) => v !== 'All')) {
    errors.push(notSupported('dryRun', goStringSlice(dryRunValues), ['All']));
  }
  if (errors.length) throw invalidOptions('DeleteOptions', errors);
  const given = body.preconditions as Record<string, unknown> | undefined | null;
  const preconditions =
    given && typeof given === 'object'
      ? {
          ...(typeof given.uid === 'string' ? { uid: given.uid } : {}),
          ...(typeof given.resourceVersion === 'string' ? { resourceVersion: given.resourceVersion } : {}),
        }
      : undefined;
  return {
    dryRun: dryRunValues.length > 0,
    preconditions,
    propagationPolicy:
      (policy as PropagationPolicy | undefined) ??
      (orphan === true ? 'Orphan' : orphan === false ? 'Background' : undefined),
    gracePeriodSeconds: grace,
  };
}

/**
 * DeleteOptions sent as a Kubernetes protobuf body (the `k8s\0` envelope around a
 * runtime.Unknown whose `raw` is a meta/v1 DeleteOptions), as a client configured for
 * protobuf sends them, read into the JSON shape parseDeleteOptions takes. Only the
 * fields the simulator acts on: gracePeriodSeconds (1), preconditions (2: uid 1,
 * resourceVersion 2), orphanDependents (3), propagationPolicy (4), dryRun (5).
 */
export function decodeProtobufDeleteOptions(body: Buffer): Record<string, unknown> {
  const raw = protobufRaw(body);
  const out: Record<string, unknown> = {};
  for (const f of raw ? fields(raw) : []) {
    if (f.no === 1 && f.varint !== undefined) out.gracePeriodSeconds = Number(BigInt.asIntN(64, f.varint));
    if (f.no === 2 && f.bytes) {
      const p = fields(f.bytes);
      const text = (no: number) => p.find((x) => x.no === no && x.bytes)?.bytes?.toString('utf8');
      out.preconditions = {
        ...(text(1) !== undefined ? { uid: text(1) } : {}),
        ...(text(2) !== undefined ? { resourceVersion: text(2) } : {}),
      };
    }
    if (f.no === 3 && f.varint !== undefined) out.orphanDependents = f.varint !== 0n;
    if (f.no === 4 && f.bytes) out.propagationPolicy = f.bytes.toString('utf8');
    if (f.no === 5 && f.bytes) out.dryRun = [...((out.dryRun as string[]) ?? []), f.bytes.toString('utf8')];
  }
  return out;
}

export interface ProtoField {
  no: number;
  varint?: bigint;
  bytes?: Buffer;
}

/** The raw object of a Kubernetes protobuf body: the `k8s\0` envelope's runtime.Unknown `raw` (field 2). */
export function protobufRaw(body: Buffer): Buffer | undefined {
  const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
  if (body.length < 4 || !body.subarray(0, 4).equals(magic)) {
    throw new ParameterError('the protobuf body does not start with the Kubernetes envelope (k8s\\0)');
  }
  return fields(body.subarray(4)).find((f) => f.no === 2)?.bytes;
}

/** The top-level fields of one protobuf message (varint and length-delimited; fixed ones skipped). */
export function fields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new ParameterError('the protobuf body ends inside a varint');
      const byte = buf[pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const no = key >>> 3;
    switch (key & 7) {
      case 0:
        out.push({ no, varint: varint() });
        break;
      case 1:
        pos += 8;
        break;
      case 2: {
        const length = Number(varint());
        if (pos + length > buf.length) throw new ParameterError('the protobuf body ends inside a field');
        out.push({ no, bytes: buf.subarray(pos, pos + length) });
        pos += length;
        break;
      }
      case 5:
        pos += 4;
        break;
      default:
        throw new ParameterError(`the protobuf body has a field of unknown wire type ${key & 7}`);
    }
  }
  return out;
}
