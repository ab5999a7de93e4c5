import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

/** Debian's Chromium (scripts/lib/browser-install.sh installs it); playwright never downloads one. */
export const CHROMIUM = process.env['CONDASYNC_TEST_CHROMIUM'] ?? '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Where failure screenshots go (printed once, when the first one is written). */
  screenshotDir: string;
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** Headless Chromium with a fresh profile folder (playwright's persistent context passes it as --user-data-dir). */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await mkdtemp(join(tmpdir(), 'condasync-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1100, height: 760 },
  });
  // Not under TMPDIR: scripts/test.sh removes that folder when the run ends.
  const screenshotDir = process.env['CONDASYNC_BROWSER_FAILURES'] ?? '/tmp/condasync-browser-failures';
  return {
    context,
    screenshotDir,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

let announced = false;

/**
 * Runs `body`; when it throws, writes a screenshot of `page` to the failure folder (printed) and
 * rethrows, so a red browser test shows what the page looked like.
 */
export async function withScreenshotOnFailure<T>(
  browser: TestBrowser,
  page: Page,
  name: string,
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (error) {
    await mkdir(browser.screenshotDir, { recursive: true });
    const file = join(browser.screenshotDir, `${name.replace(/[^A-Za-z0-9-]+/g, '-')}-${Date.now()}.png`);
    await page.screenshot({ path: file, fullPage: true }).catch(() => {});
    if (!announced) {
      announced = true;
      process.stderr.write(`browser test failure screenshots: ${browser.screenshotDir}\n`);
    }
    process.stderr.write(`screenshot of the failing page: ${file}\n`);
    throw error;
  }
}
