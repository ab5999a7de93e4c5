import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DistributedHarness } from '../support/distributed-harness.ts';
import { type FixtureUpstream, startFixtureUpstream } from '../support/fixture-upstream.ts';
import type { RunningRole } from '../support/roles.ts';
import { launchBrowser, type TestBrowser, withScreenshotOnFailure } from './support/browser.ts';
import { HOSTILE_LICENSE, writeHostileChannel } from './support/hostile-channel.ts';
import { saveReadmeScreenshot } from './support/readme-screenshots.ts';

const TOKEN = 'browser-api-token-0123456789';
const CHANNEL = 'browsed';

// The web page as a person uses it: headless Chromium against the API process, a worker process,
// the real Redis and S3 server, and a loopback upstream serving a real channel.
describe('the web page in a real browser', () => {
  let upstreamRoot: string;
  let upstream: FixtureUpstream;
  let harness: DistributedHarness;
  let api: RunningRole;
  let base: string;
  let browser: TestBrowser;
  let page: Page;

  before(async () => {
    upstreamRoot = await writeHostileChannel();
    upstream = await startFixtureUpstream({ root: upstreamRoot });
    harness = await DistributedHarness.create('browser');
    ({ api, base } = await harness.startApi({ token: TOKEN, upstreamUrl: upstream.url }));
    await harness.startWorkers(1);
    browser = await launchBrowser();
    page = await browser.newPage();
    // Any script the hostile record managed to run would show up here.
    page.on('dialog', () => assert.fail('a dialog opened: upstream markup ran as script'));
  });

  after(async () => {
    await browser?.close();
    await api?.stop();
    await harness?.close();
    await upstream?.close();
    if (upstreamRoot) await rm(upstreamRoot, { recursive: true, force: true });
  });

  const step = <T>(name: string, body: () => Promise<T>) =>
    withScreenshotOnFailure(browser, page, name, body);
  const config = (dest: string) =>
    `channels:\n  - ${upstream.channelUrl()}\nplatforms: [linux-64, osx-64, win-64]\ndest_channel: ${dest}\nretries: 1\n`;

  test('the dashboard asks for the API token and refuses a wrong one', () =>
    step('login', async () => {
      await page.goto(`${base}/dashboard`);
      assert.equal(await page.locator('h1').textContent(), 'Log in');
      await page.getByLabel('API token').fill('not-the-token');
      await page.getByRole('button', { name: 'Log in' }).click();
      assert.match((await page.getByRole('alert').textContent()) ?? '', /not valid/);
      await saveReadmeScreenshot(page, 'login');
      await page.getByLabel('API token').fill(TOKEN);
      await page.getByLabel('API token').press('Enter');
      await page.waitForURL(`${base}/dashboard`);
      assert.equal(await page.locator('h1').textContent(), 'Sync dashboard');
      const cookie = (await browser.context.cookies(base)).find((c) => c.name === 'condasync_admin');
      assert.ok(cookie, 'the login set the dashboard cookie');
      assert.equal(cookie.httpOnly, true);
      assert.equal(cookie.sameSite, 'Strict');
      assert.equal(await page.evaluate('document.cookie'), '', 'scripts cannot read the token');
    }));

  test('a bad config is answered with the REST API’s errors, each beside its key', () =>
    step('bad-config', async () => {
      await page.goto(`${base}/dashboard/syncs/new`);
      await page.getByLabel(/Sync config/).fill(`${config(CHANNEL)}platfroms: [linux-64]\nzstd_level: 99\n`);
      await page.getByRole('button', { name: 'Start sync' }).click();
      const rest = await fetch(`${base}/v1/syncs`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/yaml' },
        body: `${config(CHANNEL)}platfroms: [linux-64]\nzstd_level: 99\n`,
      });
      assert.equal(rest.status, 400);
      const details = (
        (await rest.json()) as { error: { details: Array<{ path: string; message: string }> } }
      ).error.details;
      assert.ok(details.length >= 2, JSON.stringify(details));
      for (const detail of details) {
        const beside = page.locator('.bad-line', {
          has: page.locator(`p.problem[data-path="${detail.path}"]`),
        });
        assert.equal(await beside.count(), 1, `the problem of ${detail.path} is shown on its line`);
        assert.ok(
          (await beside.locator('code').first().textContent())?.startsWith(detail.path.replace(/\W.*$/, '')),
        );
        assert.ok(((await beside.textContent()) ?? '').includes(detail.message));
      }
      assert.equal(await page.getByLabel(/Sync config/).getAttribute('aria-invalid'), 'true');
      await saveReadmeScreenshot(page, 'config-errors');
    }));

  test('a submitted sync is followed live until it succeeds', () =>
    step('submit', async () => {
      await page.goto(`${base}/dashboard/syncs/new`);
      await page.getByLabel(/Sync config/).fill(config(CHANNEL));
      await page.getByRole('button', { name: 'Start sync' }).click();
      await page.waitForURL(/\/dashboard\/syncs\/[^/]+$/);
      // The page is not reloaded: the dashboard script swaps the progress in until the end.
      const marker = await page.evaluate('window.__sameDocument = true');
      assert.ok(marker);
      await page.getByRole('status').filter({ hasText: 'succeeded' }).waitFor({ timeout: 60_000 });
      assert.equal(await page.evaluate('window.__sameDocument'), true);
      const progress = (await page.locator('#progress').textContent()) ?? '';
      assert.match(progress, /6 of 6 downloaded or failed/);
      assert.match(progress, /linux-64/);
      assert.match(progress, /Rate/);
      await saveReadmeScreenshot(page, 'sync');
    }));

  test('the channel list, search and package page show what was published', () =>
    step('browse', async () => {
      await page.goto(`${base}/`);
      const row = page.getByRole('row', { name: new RegExp(CHANNEL) });
      assert.match((await row.textContent()) ?? '', /linux-64, noarch, osx-64, win-64/);
      assert.match((await row.textContent()) ?? '', /\b6\b/);
      await saveReadmeScreenshot(page, 'channels');

      // The browser asks /conda/<channel>/ for text/html and gets the channel page.
      await row.getByRole('link', { name: CHANNEL }).click();
      await page.waitForURL(`${base}/conda/${CHANNEL}/`);
      assert.equal(await page.locator('h1').textContent(), CHANNEL);
      const snippet = (await page.locator('pre.snippet').textContent()) ?? '';
      assert.ok(snippet.includes(`${base}/conda/${CHANNEL}`), snippet);

      await page.getByLabel('Name').fill('zl*');
      await page.getByLabel('Platform').selectOption('osx-64');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/q=zl/);
      const results = page.locator('tbody tr');
      assert.equal(await results.count(), 1);
      assert.match((await results.first().textContent()) ?? '', /zlib\s*1\.2\.11\s*2\s*osx-64/);
      await page.getByLabel('Name').fill('nothing-like-this');
      await page.getByRole('button', { name: 'Search' }).click();
      await page.waitForURL(/nothing-like-this/);
      assert.equal(await page.locator('tbody tr').count(), 0);
      assert.match((await page.locator('caption').first().textContent()) ?? '', /^0 packages/);

      await page.goto(`${base}/conda/${CHANNEL}/`);
      await saveReadmeScreenshot(page, 'channel');
      await page.getByRole('link', { name: 'zlib', exact: true }).click();
      await page.waitForURL(`${base}/conda/${CHANNEL}/-/packages/zlib`);
      const files = page.locator('table.files tbody tr');
      assert.equal(await files.count(), 6, 'two formats × three platforms');
      const linux = files.filter({ hasText: 'zlib-1.2.11-h7b6447c_3.conda' });
      assert.match((await linux.textContent()) ?? '', /linux-64/);
      assert.match((await linux.textContent()) ?? '', /[0-9a-f]{64}/);
      assert.match(
        (await page.locator('main').textContent()) ?? '',
        new RegExp(`Mirrored from ${upstream.url}`),
      );
      await saveReadmeScreenshot(page, 'package');
    }));

  test('markup in an upstream record is shown as text and never runs', () =>
    step('hostile', async () => {
      await page.goto(`${base}/conda/${CHANNEL}/-/packages/zlib`);
      const cell = page.getByRole('row', { name: /zlib-1\.2\.11-h7b6447c_3\.tar\.bz2/ });
      assert.ok(((await cell.textContent()) ?? '').includes(HOSTILE_LICENSE), 'the license reads as written');
      assert.equal(await page.locator('main script, main img').count(), 0, 'no element came from the record');
      assert.equal(await page.evaluate('window.__pwned'), undefined);
      await page.goto(`${base}/conda/${CHANNEL}/?license=script`);
      assert.equal(await page.locator('tbody tr').count(), 1, 'search by license finds it');
      assert.equal(await page.evaluate('window.__pwned'), undefined);
    }));

  test('a running sync can be cancelled from its page', () =>
    step('cancel', async () => {
      // One package trickles in, so the sync is still downloading when the button is pressed.
      upstream.setFault('win-64/zlib-1.2.11-h62dcd97_3.conda', { type: 'slow', bytesPerSecond: 2000 });
      try {
        await page.goto(`${base}/dashboard/syncs/new`);
        await page.getByLabel(/Sync config/).fill(config('cancelled-one'));
        await page.getByRole('button', { name: 'Start sync' }).click();
        await page.waitForURL(/\/dashboard\/syncs\/[^/]+$/);
        await page.getByRole('status').filter({ hasText: 'downloading' }).waitFor({ timeout: 30_000 });
        await page.getByRole('button', { name: 'Cancel this sync' }).click();
        await page.getByRole('status').filter({ hasText: 'cancelled' }).waitFor({ timeout: 10_000 });
        const id = /\/dashboard\/syncs\/([^/]+)$/.exec(page.url())![1]!;
        assert.equal((await harness.registry.get(id))?.status, 'cancelled');
        await page.goto(`${base}/dashboard`);
        assert.match(
          (await page.getByRole('row', { name: new RegExp(id) }).textContent()) ?? '',
          /cancelled/,
        );
        await saveReadmeScreenshot(page, 'dashboard');
      } finally {
        upstream.clearFaults();
      }
    }));
});
