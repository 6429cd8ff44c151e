/**
 * The layer rule of docs/ARCHITECTURE.md, enforced: run by `npm run lint` (so `npm test`).
 *
 *   kube → loaders → schema → server, simulator apart, cli/main/config on top;
 *   errors.ts and identity.ts are leaves everyone may use.
 *
 * Our own check rather than Biome's noRestrictedImports: that rule matches the import
 * specifier's text, so it cannot tell `import type` from a value import (the schema may
 * take types from kube, nothing else), and a relative specifier means a different folder
 * at every depth (`../kube` from src/schema, `../../kube` from a subfolder). Here every
 * specifier is resolved to the file it names, and the TypeScript parser says whether the
 * import is type-only.
 *
 * Usage: tsx scripts/check-layers.ts [--root DIR]   (exit 1 and one line per violation)
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

export type Layer = 'kube' | 'loaders' | 'schema' | 'server' | 'simulator' | 'generated' | 'leaf' | 'top';

/** Which of our layers each layer may import (values and types alike), besides itself and the leaves. */
const MAY_IMPORT: Record<Layer, readonly Layer[]> = {
  leaf: [],
  kube: [],
  loaders: ['kube'],
  schema: ['loaders'],
  server: ['kube', 'loaders', 'schema'],
  simulator: [],
  generated: [],
  top: ['kube', 'loaders', 'schema', 'server', 'simulator', 'generated'],
};

/** Layers a layer may take types (only) from. */
const MAY_IMPORT_TYPES: Partial<Record<Layer, readonly Layer[]>> = { schema: ['kube'] };

export interface Violation {
  file: string;
  line: number;
  rule: 'client-node-only-in-kube' | 'simulator-stands-alone' | 'schema-kube-types-only' | 'layer-order';
  message: string;
}

/** The layer of a file under src/, by its path relative to src/. */
export function layerOf(pathInSrc: string): Layer {
  const [top] = pathInSrc.split('/');
  if (top === 'errors.ts' || top === 'identity.ts') return 'leaf';
  if (top === 'kube' || top === 'loaders' || top === 'schema' || top === 'server' || top === 'simulator')
    return top;
  if (top === 'generated') return 'generated';
  return 'top'; // cli.ts, main.ts, config.ts, serve.ts, tracing.ts
}

interface ImportRef {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

function importsOf(fileName: string, text: string): ImportRef[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const out: ImportRef[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            named !== undefined &&
            ts.isNamedImports(named) &&
            named.elements.length > 0 &&
            named.elements.every((e) => e.isTypeOnly)));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((e) => e.isTypeOnly));
      out.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments.length === 1 &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      out.push({ specifier: node.arguments[0].text, typeOnly: false, line: lineOf(node) });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      out.push({ specifier: node.argument.literal.text, typeOnly: true, line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const CLIENT_NODE = /^@kubernetes\/client-node(\/|$)/;

/** Every violation of the layer rule under `root`/src. */
export function checkLayers(root: string): Violation[] {
  const src = join(root, 'src');
  const violations: Violation[] = [];
  for (const path of tsFiles(src)) {
    const file = relative(src, path).split(sep).join('/');
    const from = layerOf(file);
    for (const ref of importsOf(path, readFileSync(path, 'utf8'))) {
      const where = { file: `src/${file}`, line: ref.line };
      if (CLIENT_NODE.test(ref.specifier)) {
        if (from !== 'kube') {
          violations.push({
            ...where,
            rule: 'client-node-only-in-kube',
            message: `only src/kube/ imports @kubernetes/client-node; ${from} imports ${JSON.stringify(ref.specifier)}`,
          });
        }
        continue;
      }
      if (!ref.specifier.startsWith('.')) continue; // a package
      const target = relative(src, resolve(dirname(path), ref.specifier))
        .split(sep)
        .join('/')
        .replace(/\.js$/, '.ts');
      if (target.startsWith('..')) {
        violations.push({
          ...where,
          rule: from === 'simulator' ? 'simulator-stands-alone' : 'layer-order',
          message: `imports ${JSON.stringify(ref.specifier)}, outside src/`,
        });
        continue;
      }
      const to = layerOf(target);
      if (to === from) continue;
      if (from === 'simulator') {
        violations.push({
          ...where,
          rule: 'simulator-stands-alone',
          message: `src/simulator/ imports nothing of ours (it stands in for a real API server); imports ${JSON.stringify(ref.specifier)}`,
        });
        continue;
      }
      if (to === 'leaf' || MAY_IMPORT[from].includes(to)) continue;
      if (MAY_IMPORT_TYPES[from]?.includes(to)) {
        if (ref.typeOnly) continue;
        violations.push({
          ...where,
          rule: 'schema-kube-types-only',
          message: `src/schema/ takes only types from src/kube/ (values come through src/loaders/index.ts); imports values from ${JSON.stringify(ref.specifier)}`,
        });
        continue;
      }
      violations.push({
        ...where,
        rule: 'layer-order',
        message: `${from} may import ${[...MAY_IMPORT[from], 'errors.ts', 'identity.ts'].join(', ')}; imports ${to} through ${JSON.stringify(ref.specifier)}`,
      });
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--root');
  const root =
    at >= 0 ? resolve(process.argv[at + 1]) : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const violations = checkLayers(root);
  for (const v of violations) process.stderr.write(`${v.file}:${v.line}: [${v.rule}] ${v.message}\n`);
  if (violations.length) {
    process.stderr.write(
      `layers: ${violations.length} violation(s) of the layer rule (docs/ARCHITECTURE.md)\n`,
    );
    process.exit(1);
  }
  process.stdout.write('layers: every import keeps to the layer rule\n');
}
