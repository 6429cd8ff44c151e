/**
 * GraphiQL in a real browser (Debian's chromium driven by playwright-core), offline:
 * every request outside the gateway is refused and recorded, so a CDN dependency
 * fails the test. Opens GraphiQL, runs the default example query, sees data.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLE_QUERY } from '../../src/schema/example.js';
import { buildSchema } from '../../src/schema/index.js';
import { createAuthenticator } from '../../src/server/auth.js';
import { createGateway, type Gateway } from '../../src/server/gateway.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { gatewayLog } from '../helpers/test-log.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let h: Harness;
let gateway: Gateway;
let url: string;
let browser: Browser;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `chromium not found at ${CHROMIUM}: install Debian's chromium (.ci/run does) or set CHROMIUM_PATH`,
    );
  }
  h = await startHarness({ simulator: { scenario: { nodes: 3, pods: 30, jobs: 3, namespaces: 2 } } });
  // A gateway with the example query as GraphiQL's default, as `npm start` serves it.
  gateway = createGateway({
    schema: buildSchema(),
    directory: h.registry,
    auth: createAuthenticator([]),
    defaultQuery: EXAMPLE_QUERY,
    logError: gatewayLog().logError,
  });
  url = await gateway.listen(0, '127.0.0.1');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await h?.close();
});

describe('GraphiQL', () => {
  it('loads offline, runs the example query and shows data', async () => {
    const page = await browser.newPage();
    const origin = new URL(url).origin;
    const external: string[] = [];
    await page.route('**/*', (route) => {
      if (route.request().url().startsWith(origin)) return route.continue();
      external.push(route.request().url());
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'networkidle' });
    await page.waitForSelector('.graphiql-execute-button', { timeout: 20_000 });
    const editorText = await page.locator('.graphiql-query-editor').innerText();
    expect(editorText).toContain('clusters');
    await page.click('.graphiql-execute-button');
    await page.waitForFunction(
      () => document.querySelector('.graphiql-response')?.textContent?.includes('"data"'),
      undefined,
      { timeout: 20_000 },
    );
    const response = await page.locator('.graphiql-response').innerText();
    expect(response).toContain('"clusters"');
    expect(response).toContain('"sim"');
    expect(response).not.toContain('"errors"');
    expect(external).toEqual([]);
    await page.close();
  }, 60_000);
});
