/**
 * Opens an HTML file in headless Debian Chromium (driven by playwright-core, which downloads
 * nothing) and reports what a reader would see: the charts' boxes, text escaping its chart,
 * console errors, and any request beyond the file itself.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface ChartBox {
  id: string;
  width: number;
  height: number;
  texts: number;
  textsOutside: string[]; // text elements whose box leaves the chart's viewBox (clipped labels)
}

export interface Rendered {
  charts: ChartBox[];
  consoleErrors: string[];
  requests: string[]; // every URL requested other than the page itself
  sections: Record<string, string>; // section id -> its text
  overflowing: string[]; // elements wider than their box (content cut off or scrolling sideways)
  title: string;
  badges: Record<string, string[]>; // section id (or 'summary') -> the text of its badges, as written
  summary: string; // the headline cards' text
  footer: string;
  probe?: unknown; // what the caller's probe returned
}

export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `headless Chromium not found at ${CHROMIUM}: install it (apt-get update && apt-get install -y chromium; .ci/run does) or set CHROMIUM to its path`,
    );
}

/**
 * Renders `htmlPath`; with `screenshot`, saves a full-page PNG there; `probe` runs on the loaded
 * page (e.g. to measure chart elements) and its result comes back as `probe`.
 */
export async function renderInChromium(
  htmlPath: string,
  screenshot?: string,
  probe?: (page: Page) => Promise<unknown>,
): Promise<Rendered> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'ubimoe-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1100, height: 900 },
  });
  try {
    const page = await ctx.newPage();
    const url = pathToFileURL(htmlPath).href;
    const consoleErrors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') consoleErrors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => {
      if (r.url() !== url) requests.push(r.url());
    });
    await page.goto(url, { waitUntil: 'load' });
    const charts = await page.$$eval('svg.chart', (svgs) =>
      svgs.map((svg) => {
        const s = svg as SVGSVGElement;
        const box = s.getBoundingClientRect();
        const vb = s.viewBox.baseVal;
        const texts = Array.from(s.querySelectorAll('text'));
        const textsOutside = texts
          .filter((t) => {
            const b = t.getBBox();
            // rotated labels: measure their transformed box
            const m = t.getCTM() && s.getCTM() ? s.getCTM()!.inverse().multiply(t.getCTM()!) : null;
            const pts = [
              [b.x, b.y],
              [b.x + b.width, b.y],
              [b.x, b.y + b.height],
              [b.x + b.width, b.y + b.height],
            ].map(([x, y]) => (m ? new DOMPoint(x, y).matrixTransform(m) : new DOMPoint(x, y)));
            return pts.some(
              (p) =>
                p.x < vb.x - 1 || p.y < vb.y - 1 || p.x > vb.x + vb.width + 1 || p.y > vb.y + vb.height + 1,
            );
          })
          .map((t) => t.textContent ?? '');
        return { id: s.id, width: box.width, height: box.height, texts: texts.length, textsOutside };
      }),
    );
    const sections = await page.$$eval('section[id]', (ss) =>
      Object.fromEntries(ss.map((s) => [s.id, (s as HTMLElement).innerText])),
    );
    const overflowing = await page.$$eval('body, main, section, .table-wrap, figure, .card', (els) =>
      els
        .filter((e) => e.scrollWidth > e.clientWidth + 1)
        .map(
          (e) =>
            `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} (${e.scrollWidth} > ${e.clientWidth})`,
        ),
    );
    const title = await page.title();
    // textContent, not innerText: the badges are upper-cased by CSS, the words are what was written
    const badges = await page.$$eval('section[id], .cards.summary', (ss) =>
      Object.fromEntries(
        ss.map((s) => [
          s.id || 'summary',
          Array.from(s.querySelectorAll('.badge')).map((b) => (b.textContent ?? '').trim()),
        ]),
      ),
    );
    const summary = await page.$$eval('.cards.summary', (e) =>
      e.map((x) => (x as HTMLElement).innerText).join('\n'),
    );
    const footer = await page.$$eval('footer', (e) => e.map((x) => (x as HTMLElement).innerText).join('\n'));
    const probed = probe ? await probe(page) : undefined;
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    return {
      charts,
      consoleErrors,
      requests,
      sections,
      overflowing,
      title,
      badges,
      summary,
      footer,
      probe: probed,
    };
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}
