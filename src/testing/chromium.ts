// The real Chromium of the machine for the dashboard's browser tests and its benchmark: Debian's
// /usr/bin/chromium (CHROMIUM_PATH to name another) driven by playwright-core, never a downloaded
// browser; one set of launch flags, the viewport, and the capture of requests and console problems.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(chromiumPath);

/** Chromium, headless, at 1280×800: every request's URL goes to `requests`, console errors,
 *  warnings and page errors to `problems` (the tests assert both, the benchmark fails on them) */
export async function openBrowser(requests: string[], problems: string[]): Promise<{ browser: Browser; page: Page }> {
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    timeout: 30_000,
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  context.on('request', (r) => requests.push(r.url()));
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  watchPage(page, problems);
  return { browser, page };
}

/** a page's console errors and warnings and its uncaught errors, into `problems` */
export function watchPage(p: Page, problems: string[]): void {
  p.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
}
