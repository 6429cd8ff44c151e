/**
 * Typed documents for every operation the project sends: dashboard examples, tests and
 * benchmarks. `npm run codegen` writes src/generated/; test/schema/artifacts.test.ts fails
 * when that output is stale. The schema is read from the committed SDL, so codegen needs no
 * running server and checks the documents against exactly what is committed.
 */
import type { CodegenConfig } from '@graphql-codegen/cli';

const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  documents: ['examples/**/*.graphql', 'test/**/*.graphql', 'bench/**/*.graphql'],
  ignoreNoDocuments: true,
  generates: {
    'src/generated/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        emitLegacyCommonJSImports: false,
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', ID: 'string' },
      },
    },
  },
};

export default config;
