/**
 * Debian's Chromium for the browser tests, driven by playwright-core. Chromium must be installed
 * (`apt-get install -y chromium`, which `.ci/run` does); without it a browser test fails, it does not skip.
 *
 * @example
 *   const chrome = await launchBrowser();
 *   const page = await chrome.browser.newPage();
 *   await page.screenshot({ path: path.join(chrome.screenshots, 'chat.png') });
 *   await chrome.close();
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** Where the tests leave screenshots for people to look at (git ignores it). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, '..', '..', 'test-results');

export interface TestBrowser {
  browser: Browser;
  screenshots: string;
  /** Closes the browser and removes its profile folder. */
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (CI does this) to run the browser tests.`);
  }
  const profileDir = await mkdtemp(path.join(tmpdir(), 'kefu-chromium-'));
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    // launch() always starts from a fresh temporary --user-data-dir; this keeps it in our temp folder.
    env: { ...process.env, TMPDIR: profileDir },
  });
  await mkdir(SCREENSHOTS, { recursive: true });
  return {
    browser,
    screenshots: SCREENSHOTS,
    async close() {
      await browser.close();
      await rm(profileDir, { recursive: true, force: true });
    },
  };
}
