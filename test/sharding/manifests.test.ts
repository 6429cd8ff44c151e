/**
 * The README's sharding manifests, rendered by the real kubectl: the per-shard overlay over
 * deploy/ gives the Deployment its --shard (which the CLI accepts), labels the Service's
 * selector to that shard's pods only, and the HTTPRoute sends each shard's prefix to it.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseCli, plan } from '../../src/config.js';
import { only, ROOT, render } from '../deploy/deploy-kit.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Sharding a fleet'));
const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1];
const [overlay, route] = parseAllDocuments(yaml).map((d) => d.toJS());

mkdirSync(join(ROOT, '.build-test'), { recursive: true });
const dir = mkdtempSync(join(ROOT, '.build-test', 'shard-overlay-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README sharding manifests', () => {
  it('the overlay renders one shard: its --shard, its own Service selecting only its pods', async () => {
    expect(overlay.resources).toEqual(['../../deploy']);
    // The same overlay, placed where its relative path reaches this checkout's deploy/.
    const text = yaml.split('\n---\n')[0].replace('../../deploy', relative(dir, join(ROOT, 'deploy')));
    writeFileSync(join(dir, 'kustomization.yaml'), text);
    const manifests = await render(relative(ROOT, dir));
    const deployment = only(manifests, 'Deployment', 'kubegate-shard-0');
    const args: string[] = deployment.spec.template.spec.containers[0].args;
    expect(
      plan(
        parseCli(
          args.filter((a) => a !== '--config' && !a.endsWith('.yaml')),
          {},
        ),
        {},
        {},
      ).shard,
    ).toEqual({
      index: 0,
      count: 2,
    });
    const service = only(manifests, 'Service', 'kubegate-shard-0');
    expect(service.spec.selector).toEqual({
      'app.kubernetes.io/name': 'kubegate',
      'kubegate.dev/shard': '0',
    });
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(deployment.spec.selector.matchLabels).toMatchObject({ 'kubegate.dev/shard': '0' });
  });

  it("the HTTPRoute sends each shard's prefix to its Service, with the prefix removed", () => {
    expect(route.kind).toBe('HTTPRoute');
    const rules = route.spec.rules as {
      matches: { path: { value: string } }[];
      filters: { urlRewrite: { path: { replacePrefixMatch: string } } }[];
      backendRefs: { name: string }[];
    }[];
    expect(rules.map((r) => [r.matches[0].path.value, r.backendRefs[0].name])).toEqual([
      ['/shard-0/', 'kubegate-shard-0'],
      ['/shard-1/', 'kubegate-shard-1'],
    ]);
    for (const r of rules) expect(r.filters[0].urlRewrite.path.replacePrefixMatch).toBe('/');
  });
});
