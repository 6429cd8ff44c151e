/**
 * The kubegate entry point (`npm start`, `node --import tsx src/main.ts`).
 *
 * graphql-js chooses its `instanceof` checks once, when it loads: outside production it
 * takes a slow path on every failed check, to detect a second copy of graphql in the
 * process, and that was 2-3% of the CPU of a query answered from memory. So the entry
 * makes production the default before anything imports graphql (hence the dynamic
 * import); an explicit NODE_ENV is left alone. The tests load the modules directly and
 * keep graphql's development checks.
 */
process.env.NODE_ENV ??= 'production';
const { main } = await import('./cli.js');
await main();
