/**
 * Writes the simulator's OpenAPI definitions (src/simulator/openapi/definitions.generated.json)
 * from the one description of the Kubernetes API on this machine: @kubernetes/client-node's
 * models, which openapi-generator made from the Kubernetes OpenAPI spec. Each model class has
 * `attributeTypeMap` (JSON field, type such as `Array<V1Container>` or `{ [key: string]: string; }`,
 * format) and its `.d.ts` keeps the spec's descriptions as JSDoc and marks optional fields
 * with `?` (the others are the spec's required ones).
 *
 * What the generated models lost, and how it comes back here:
 * - the Go package of a type (`V1Container` is io.k8s.api.core.v1.Container): the kinds'
 *   packages are given below, a type reached from a kind takes the kind's package (core kinds
 *   are walked first, so the pod template of a Job stays core), and the apimachinery meta/v1
 *   types are named;
 * - Time, MicroTime and IntOrString became `Date`, `V1MicroTime` and `IntOrString`: they are
 *   `$ref`s to their apimachinery definitions again; Quantity became a plain string and stays one;
 * - descriptions of fields that hold another model (openapi-generator drops them).
 *
 * Patch strategies, GVKs and paths are not here: src/simulator/openapi.ts adds them when it
 * builds the documents, from strategic-patch.ts's table and the served resources.
 *
 * Usage: tsx scripts/generate-openapi.ts [--check]   (--check: exit 1 if the committed file differs)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export const OUTPUT = fileURLToPath(
  new URL('../src/simulator/openapi/definitions.generated.json', import.meta.url),
);

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** The served kinds (and what their operations answer) by package, core first. */
const ROOTS: [pkg: string, classes: string[]][] = [
  [
    'io.k8s.api.core.v1',
    [
      'V1Pod',
      'V1PodList',
      'V1PodTemplateSpec',
      'V1Node',
      'V1NodeList',
      'V1Namespace',
      'V1NamespaceList',
      'CoreV1Event',
      'CoreV1EventList',
    ],
  ],
  ['io.k8s.api.batch.v1', ['V1Job', 'V1JobList']],
  ['io.k8s.api.apps.v1', ['V1DaemonSet', 'V1DaemonSetList']],
  ['io.k8s.api.coordination.v1', ['V1Lease', 'V1LeaseList']],
  [
    'io.k8s.api.rbac.v1',
    [
      'V1ClusterRole',
      'V1ClusterRoleList',
      'V1ClusterRoleBinding',
      'V1ClusterRoleBindingList',
      'V1Role',
      'V1RoleList',
      'V1RoleBinding',
      'V1RoleBindingList',
    ],
  ],
  ['io.k8s.api.policy.v1', ['V1Eviction']],
  ['io.k8s.api.authentication.v1', ['V1TokenReview', 'V1SelfSubjectReview']],
  [
    'io.k8s.api.authorization.v1',
    [
      'V1SubjectAccessReview',
      'V1LocalSubjectAccessReview',
      'V1SelfSubjectAccessReview',
      'V1SelfSubjectRulesReview',
    ],
  ],
  [META, ['V1Status', 'V1DeleteOptions', 'V1WatchEvent', 'V1APIResourceList']],
];

/** The apimachinery meta/v1 types a kind reaches (the rest of a kind's closure is its own package). */
const META_TYPES = new Set([
  'V1ObjectMeta',
  'V1ListMeta',
  'V1OwnerReference',
  'V1ManagedFieldsEntry',
  'V1LabelSelector',
  'V1LabelSelectorRequirement',
  'V1Condition',
  'V1DeleteOptions',
  'V1Preconditions',
  'V1Status',
  'V1StatusDetails',
  'V1StatusCause',
  'V1WatchEvent',
  'V1APIResource',
  'V1APIResourceList',
]);

/** Types the generator turned into primitives, as the spec defines them. */
const SPECIAL: Record<string, { name: string; schema: Schema }> = {
  Time: {
    name: `${META}.Time`,
    schema: {
      description:
        'Time is a wrapper around time.Time which supports correct marshaling to YAML and JSON.  Wrappers are provided for many of the factory methods that the time package offers.',
      type: 'string',
      format: 'date-time',
    },
  },
  MicroTime: {
    name: `${META}.MicroTime`,
    schema: {
      description: 'MicroTime is version of Time with microsecond level precision.',
      type: 'string',
      format: 'date-time',
    },
  },
  IntOrString: {
    name: 'io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    schema: {
      description:
        'IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.',
      type: 'string',
      format: 'int-or-string',
    },
  },
  FieldsV1: {
    name: `${META}.FieldsV1`,
    schema: {
      description:
        "FieldsV1 stores a set of fields in a data structure like a Trie, in JSON format.\n\nEach key is either a '.' representing the field itself, and will always map to an empty set, or a string representing a sub-field or item. The string will follow one of these four formats: 'f:<name>', where <name> is the name of a field in a struct, or key in a map 'v:<value>', where <value> is the exact json formatted value of a list item 'i:<index>', where <index> is integer index of a list item 'k:<keys>', where <keys> is a map  of a list item's key fields to their unique values If a key maps to an empty Fieldset, then that's the field itself.\n\nThe exact format is defined in sigs.k8s.io/structured-merge-diff",
      type: 'object',
    },
  },
  RawExtension: {
    name: 'io.k8s.apimachinery.pkg.runtime.RawExtension',
    schema: {
      description: 'RawExtension is used to hold extensions in external versions.',
      type: 'object',
    },
  },
};

/** The fields the generator typed `any`, by model and field: what they are in the spec. */
const ANY_FIELDS: Record<string, string> = {
  'V1ManagedFieldsEntry.fieldsV1': 'FieldsV1',
  'V1WatchEvent.object': 'RawExtension',
};

export interface Schema {
  description?: string;
  type?: string;
  format?: string;
  $ref?: string;
  items?: Schema;
  additionalProperties?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  [extension: `x-${string}`]: unknown;
}

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface ModelClass {
  getAttributeTypeMap(): Attribute[];
}

const MODELS_DIR = join(
  dirname(createRequire(import.meta.url).resolve('@kubernetes/client-node')),
  'gen',
  'models',
);

/** The spec's short name of a model class: V1Pod → Pod, CoreV1Event → Event. */
export function shortName(cls: string): string {
  return cls.replace(/^(?:[A-Z][a-z]+)?V1(?=[A-Z])/, '');
}

/** openapi-generator escapes quotes in the JSDoc it writes; the spec's text has none. */
function unquote(text: string): string {
  return text.replace(/\\(['"])/g, '$1').trim();
}

/** The class's description and its fields' (by JSON name), and which fields are required, from its .d.ts. */
function docsOf(cls: string): { description?: string; fields: Map<string, string>; required: Set<string> } {
  const file = join(MODELS_DIR, `${cls}.d.ts`);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const fields = new Map<string, string>();
  const required = new Set<string>();
  let description: string | undefined;
  const comment = (node: ts.Node) => {
    const text = ts
      .getJSDocCommentsAndTags(node)
      .map((d) => (ts.isJSDoc(d) ? ts.getTextOfJSDocComment(d.comment) : undefined))
      .filter(Boolean)
      .join('\n');
    return text ? unquote(text) : undefined;
  };
  source.forEachChild((node) => {
    if (!ts.isClassDeclaration(node) || node.name?.text !== cls) return;
    description = comment(node);
    for (const member of node.members) {
      if (!ts.isPropertyDeclaration(member) || !member.name || ts.isComputedPropertyName(member.name))
        continue;
      if (member.modifiers?.some((m) => m.kind === ts.SyntaxKind.StaticKeyword)) continue;
      const name = ts.isStringLiteral(member.name) || ts.isIdentifier(member.name) ? member.name.text : '';
      const text = comment(member);
      if (text) fields.set(name, text);
      if (!member.questionToken) required.add(name);
    }
  });
  return { description, fields, required };
}

/**
 * The definitions of the served kinds and everything they reference, by full name, sorted.
 * `models` is the client-node module (its exported classes).
 */
export function generateDefinitions(models: Record<string, unknown>): Record<string, Schema> {
  const pkgOf = new Map<string, string>();
  const queue: string[] = [];
  const definitions: Record<string, Schema> = {};
  const fullName = (cls: string) => `${pkgOf.get(cls)}.${shortName(cls)}`;
  const ref = (name: string): Schema => ({ $ref: `#/definitions/${name}` });
  const special = (key: string): Schema => {
    definitions[SPECIAL[key].name] = SPECIAL[key].schema;
    return ref(SPECIAL[key].name);
  };

  const schemaOf = (type: string, format: string, pkg: string, where: string): Schema => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) return { type: 'array', items: schemaOf(array[1], '', pkg, where) };
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: schemaOf(map[1], '', pkg, where) };
    switch (type) {
      case 'string':
        return format === 'byte' ? { type: 'string', format } : { type: 'string' };
      case 'boolean':
        return { type: 'boolean' };
      case 'number':
        if (format === 'int32' || format === 'int64') return { type: 'integer', format };
        return format ? { type: 'number', format } : { type: 'number' };
      case 'Date':
        if (format === 'date-time') return special('Time');
        return { type: 'string', format: format || 'date' };
      case 'V1MicroTime':
        return special('MicroTime');
      case 'IntOrString':
        return special('IntOrString');
      case 'any': {
        const known = ANY_FIELDS[where];
        if (!known)
          throw new Error(`${where}: client-node types it "any"; say what the spec has in ANY_FIELDS`);
        return special(known);
      }
    }
    if (typeof models[type] !== 'function') throw new Error(`${where}: unknown type ${JSON.stringify(type)}`);
    if (!pkgOf.has(type)) {
      pkgOf.set(type, META_TYPES.has(type) ? META : pkg);
      queue.push(type);
    }
    return ref(fullName(type));
  };

  for (const [pkg, classes] of ROOTS) {
    for (const cls of classes) {
      if (!pkgOf.has(cls)) {
        pkgOf.set(cls, META_TYPES.has(cls) ? META : pkg);
        queue.push(cls);
      }
    }
    // The package's closure before the next package's roots: what core reaches stays core.
    while (queue.length) {
      const cls = queue.shift()!;
      const model = models[cls] as ModelClass;
      const docs = docsOf(cls);
      const properties: Record<string, Schema> = {};
      for (const attr of model.getAttributeTypeMap()) {
        const schema = schemaOf(attr.type, attr.format, pkgOf.get(cls)!, `${cls}.${attr.baseName}`);
        const description = docs.fields.get(attr.name);
        properties[attr.baseName] = description ? { ...schema, description } : schema;
      }
      const required = model
        .getAttributeTypeMap()
        .filter((a) => docs.required.has(a.name))
        .map((a) => a.baseName);
      definitions[fullName(cls)] = {
        ...(docs.description ? { description: docs.description } : {}),
        type: 'object',
        properties,
        ...(required.length ? { required } : {}),
      };
    }
  }
  return Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The file's text: stable (sorted keys as generated, two-space indent, final newline). */
export function render(definitions: Record<string, Schema>, version: string): string {
  return `${JSON.stringify({ source: `@kubernetes/client-node ${version}`, definitions }, null, 2)}\n`;
}

export async function generate(): Promise<string> {
  const models = (await import('@kubernetes/client-node')) as unknown as Record<string, unknown>;
  const pkg = JSON.parse(readFileSync(join(MODELS_DIR, '..', '..', '..', 'package.json'), 'utf8'));
  return render(generateDefinitions(models), pkg.version);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    if (readFileSync(OUTPUT, 'utf8') !== text) {
      console.error(
        `${OUTPUT} is not what scripts/generate-openapi.ts generates: run it and commit the result`,
      );
      process.exit(1);
    }
  } else {
    writeFileSync(OUTPUT, text);
    console.log(`wrote ${OUTPUT} (${Buffer.byteLength(text)} bytes)`);
  }
}
