/**
 * A cluster source that cannot be used (a kubeconfig that does not parse, a context that
 * is not in it): the CLI prints it with the usage and exits 2. Apart from sources.ts so that
 * the CLI can catch it without loading the Kubernetes client (src/cli.ts parses its flags
 * before it loads anything heavy).
 */
export class SourceError extends Error {}
