import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DOCS_CSP } from '../../src/http/routes/ops/docs.js';
import { type AttackServer, startAttackServer } from '../support/attack-server.js';
import { documentApp } from '../support/document-app.js';

/**
 * /docs in a real browser (Debian's chromium), with the machine's network closed or not: the
 * page must render from what the app serves and ask no other host for anything. The
 * screenshot is kept in test-artifacts/ (not committed).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ARTIFACTS = 'test-artifacts';
const present = existsSync(CHROMIUM);
if (!present) console.warn(`docs-browser: skipped, no Chromium at ${CHROMIUM} (apt-get install chromium)`);

describe.skipIf(!present)(`/docs in Chromium (${CHROMIUM})`, () => {
  let srv: AttackServer;
  let profile: string;
  let browser: BrowserContext;

  beforeAll(async () => {
    srv = await startAttackServer(documentApp());
    profile = mkdtempSync(join(tmpdir(), 'tenantry-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
  });

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('when /docs is opened, then the student operations render and no request leaves the server', async () => {
    const requested: string[] = [];
    const violations: string[] = [];
    browser.on('request', (r) => requested.push(r.url()));
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text());
    });

    const res = await page.goto(`${srv.origin}/docs`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-security-policy']).toBe(DOCS_CSP);
    // The sidebar lists the tags; opening Students shows its operations by their summaries.
    await page.getByText('Students', { exact: true }).first().click({ timeout: 30_000 });
    for (const summary of ['List or search students', 'Create a student', 'Delete a student']) {
      await page.getByText(summary).first().waitFor({ timeout: 20_000 });
    }

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'docs.png'), fullPage: false });

    const origin = new URL(srv.origin).origin;
    const elsewhere = requested.filter(
      (u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin,
    );
    expect(elsewhere).toEqual([]);
    expect(requested).toContain(`${origin}/openapi.json`);
    expect(violations).toEqual([]);
  }, 60_000);
});
