import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/**
 * With CONDASYNC_README_SCREENSHOTS=<folder> (e.g. docs/screenshots), the browser test also saves
 * the pages the README shows, from the same Chromium; otherwise this does nothing.
 */
export async function saveReadmeScreenshot(page: Page, name: string): Promise<void> {
  const folder = process.env['CONDASYNC_README_SCREENSHOTS'];
  if (folder === undefined || folder === '') return;
  await mkdir(folder, { recursive: true });
  // Small files: the page's own height rather than the window's.
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1100, height: 200 });
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  if (size !== null) await page.setViewportSize(size);
}
