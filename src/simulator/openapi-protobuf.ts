/**
 * The v2 document in gnostic's protobuf (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`,
 * message openapi.v2.Document of github.com/google/gnostic-models openapiv2/OpenAPIv2.proto).
 * kubectl asks /openapi/v2 for nothing else (client-go's OpenAPISchema) and decodes any 200 as
 * this, so a JSON answer is no answer to it; kubectl 1.27 reads it for `create -f` validation
 * and `apply`'s patch strategies, later versions when /openapi/v3 fails.
 *
 * Only what the simulator's documents use is encoded; the field numbers are OpenAPIv2.proto's.
 * Vendor extensions are gnostic's NamedAny with the value as YAML (JSON is YAML).
 */
import type { OpenApiV2, Schema } from './openapi.js';

type Field = [number, string | boolean | Buffer | undefined];

function varint(n: number): Buffer {
  const bytes: number[] = [];
  while (n > 0x7f) {
    bytes.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  bytes.push(n);
  return Buffer.from(bytes);
}

/** A message from its fields; empty strings, false and absent values are omitted (proto3). */
function message(fields: Field[]): Buffer {
  const parts: Buffer[] = [];
  for (const [no, value] of fields) {
    if (value === undefined || value === '' || value === false) continue;
    if (value === true) {
      parts.push(varint(no << 3), varint(1));
      continue;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    parts.push(varint((no << 3) | 2), varint(bytes.length), bytes);
  }
  return Buffer.concat(parts);
}

const repeated = (no: number, values: (string | Buffer)[] | undefined): Field[] =>
  (values ?? []).map((v): Field => [no, v]);

/** NamedAny entries of the `x-` keys of a JSON object. */
function extensions(no: number, value: Schema): Field[] {
  return Object.entries(value)
    .filter(([k]) => k.startsWith('x-'))
    .map(
      ([name, v]): Field => [
        no,
        message([
          [1, name],
          [2, message([[2, `${JSON.stringify(v)}\n`]])],
        ]),
      ],
    );
}

function schema(s: Schema): Buffer {
  return message([
    [1, s.$ref],
    [2, s.format],
    [4, s.description],
    ...repeated(19, s.required),
    [21, s.additionalProperties ? message([[1, schema(s.additionalProperties)]]) : undefined],
    [22, s.type ? message([[1, s.type]]) : undefined],
    [23, s.items ? message([[1, schema(s.items)]]) : undefined],
    [25, s.properties ? namedSchemas(s.properties) : undefined],
    ...extensions(31, s),
  ]);
}

/** Properties / Definitions: repeated NamedSchema additional_properties = 1. */
function namedSchemas(map: Record<string, Schema>): Buffer {
  return message(
    Object.entries(map).map(
      ([name, s]): Field => [
        1,
        message([
          [1, name],
          [2, schema(s)],
        ]),
      ],
    ),
  );
}

function parameter(p: Schema): Buffer {
  if (p.in === 'body') {
    const body = message([
      [1, p.description],
      [2, p.name],
      [3, p.in],
      [4, p.required],
      [5, schema(p.schema)],
    ]);
    return message([[1, message([[1, body]])]]);
  }
  // NonBodyParameter: query_parameter_sub_schema = 3, path_parameter_sub_schema = 4; the
  // type is field 6 of a query parameter and 5 of a path parameter, unique_items 20 and 19.
  const query = p.in === 'query';
  const sub = message([
    [1, p.required],
    [2, p.in],
    [3, p.description],
    [4, p.name],
    [query ? 6 : 5, p.type],
    [query ? 20 : 19, p.uniqueItems],
  ]);
  return message([[1, message([[2, message([[query ? 3 : 4, sub]])]])]]);
}

function operation(op: Schema): Buffer {
  const responses = Object.entries(op.responses as Record<string, Schema>).map(([code, r]): Field => {
    const response = message([
      [1, r.description],
      [2, r.schema ? message([[1, schema(r.schema)]]) : undefined],
    ]);
    return [
      1,
      message([
        [1, code],
        [2, message([[1, response]])],
      ]),
    ];
  });
  return message([
    ...repeated(1, op.tags),
    [3, op.description],
    [5, op.operationId],
    ...repeated(6, op.produces),
    ...repeated(7, op.consumes),
    ...(op.parameters as Schema[]).map((p): Field => [8, parameter(p)]),
    [9, message(responses)],
    ...repeated(10, op.schemes),
    ...extensions(13, op),
  ]);
}

const METHODS: [string, number][] = [
  ['get', 2],
  ['put', 3],
  ['post', 4],
  ['delete', 5],
  ['patch', 8],
];

function pathItem(item: Schema): Buffer {
  return message([
    ...METHODS.map(([method, no]): Field => [no, item[method] ? operation(item[method]) : undefined]),
    ...((item.parameters ?? []) as Schema[]).map((p): Field => [9, parameter(p)]),
  ]);
}

export function encodeOpenApiV2(doc: OpenApiV2): Buffer {
  const paths = Object.entries(doc.paths).map(
    ([path, item]): Field => [
      2,
      message([
        [1, path],
        [2, pathItem(item)],
      ]),
    ],
  );
  return message([
    [1, doc.swagger],
    [
      2,
      message([
        [1, doc.info.title],
        [2, doc.info.version],
      ]),
    ],
    [8, message(paths)],
    [9, namedSchemas(doc.definitions)],
  ]);
}
