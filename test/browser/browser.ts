// Browser-test harness: Debian's Chromium (CHROMIUM_PATH or /usr/bin/chromium) driven by playwright-core,
// never a downloaded browser. Every checked page runs axe-core (injected through the DevTools protocol,
// so the portal's CSP stays enforced) and is screenshotted at 1280 and 390 px.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { build, mailbox, PASSWORD, type TestApp } from '../helpers.ts';
import { PORTAL_DIST } from '../../src/platform/static.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = join(import.meta.dirname, '../../docs/screenshots');

export async function launch(): Promise<Browser> {
  assert.ok(existsSync(join(PORTAL_DIST, 'index.html')), 'the portal is not built: run npm run build:web');
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'] });
}

export interface Tab {
  page: Page;
  context: BrowserContext;
  /** CSP violations and uncaught errors seen so far; asserted empty at every check. */
  problems: string[];
}

export async function openTab(browser: Browser, baseURL: string): Promise<Tab> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1280, height: 900 },
    locale: 'en-GB',
    timezoneId: 'Europe/Berlin',
    acceptDownloads: true,
  });
  const page = await context.newPage();
  // The machine is shared and slow; waits are for events, with generous deadlines.
  page.setDefaultTimeout(60_000);
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return { page, context, problems };
}

export const axeResults: Array<{ page: string; violations: number; serious: number }> = [];

/** axe-core's violations on the page as it is now (id, impact, what it asks, the first three nodes). */
export async function axeViolations(page: Page): Promise<Array<{ id: string; impact: string; help: string; targets: string[] }>> {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run: (
            ctx: unknown,
            opts: unknown,
          ) => Promise<{ violations: Array<{ id: string; impact: string; help: string; nodes: Array<{ target: unknown }> }> }>;
        };
      }
    ).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      targets: v.nodes.slice(0, 3).map((n) => JSON.stringify(n.target)),
    }));
  });
}

/** axe-core on the page as it is: no serious or critical violation; then screenshots at both widths. */
export async function check(tab: Tab, name: string): Promise<void> {
  const { page } = tab;
  const result = await axeViolations(page);
  const serious = result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  axeResults.push({ page: name, violations: result.length, serious: serious.length });
  assert.deepEqual(serious, [], `axe: serious or critical violations on ${name}`);
  assert.deepEqual(tab.problems, [], `CSP violations or script errors on ${name}`);
  if (process.env.PORTAL_SCREENSHOTS !== '0') {
    mkdirSync(SHOTS, { recursive: true });
    const size = page.viewportSize()!;
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: join(SHOTS, `${name}-1280.png`) });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(SHOTS, `${name}-390.png`) });
    await page.setViewportSize(size);
  }
}

/** The path and query of a link in a mail, opened on the server under test. */
export function linkFromMail(text: string, path: 'verify-email' | 'reset-password' | 'confirm-email'): string {
  const m = new RegExp(`https?://[^\\s/]+(/${path}\\?token=[A-Za-z0-9_-]+)`).exec(text);
  assert.ok(m, `mail has no ${path} link: ${text}`);
  return m[1];
}

// ---------- journeys' shared steps, through the UI ----------

export async function signIn(page: Page, login: string, password = PASSWORD) {
  await page.goto('/signin');
  await page.getByLabel('Username or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Waits until a sign-in has taken the person from the sign-in page to where they land (signed in). */
export async function landed(page: Page) {
  await page.waitForURL((u) => !u.pathname.startsWith('/signin'));
  // The sign-in form is gone (its password field) and the signed-in shell is there.
  await page.locator('#f-password').waitFor({ state: 'detached' });
  await page.getByRole('button', { name: 'Sign out' }).waitFor();
}

export async function signUp(tab: Tab, role: 'Patient' | 'Doctor', who: { username: string; firstname: string; lastname: string }) {
  const { page } = tab;
  await page.goto('/signup');
  await page.getByRole('radio', { name: role }).check();
  await page.getByLabel('First name').fill(who.firstname);
  await page.getByLabel('Last name').fill(who.lastname);
  await page.getByLabel('Username').fill(who.username);
  await page.getByLabel('Email').fill(`${who.username}@example.test`);
  await page.getByLabel('Password').fill(PASSWORD);
  if (role === 'Patient') {
    await page.getByLabel('Date of birth').fill('1980-02-29');
    await page.getByLabel('Gender').selectOption('female');
  } else {
    await page.getByLabel('Specialization').fill('Cardiology');
    await page.getByLabel('License number').fill(`LIC-${who.username}`);
  }
  await check(tab, `signup-${role.toLowerCase()}`);
  await page.getByRole('button', { name: `Create ${role.toLowerCase()} account` }).click();
  await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
  // Verification through the link the mail carries.
  const mail = await mailbox.waitFor(`${who.username}@example.test`, /verif/i, 60_000);
  await page.goto(linkFromMail(mail.text, 'verify-email'));
  await page.getByText('Your email address is verified.').waitFor();
  await check(tab, 'verify-email');
  await page.getByRole('link', { name: 'Sign in' }).last().click();
  await page.getByText('You can sign in now').waitFor();
}

/** One app and one browser per journey file; the after hook prints the axe summary and the time taken. */
export function journeyFixture(name: string) {
  const started = Date.now();
  const state = {} as { app: TestApp; browser: Browser };
  const setup = async () => {
    [state.app, state.browser] = await Promise.all([build(), launch()]);
  };
  const teardown = async () => {
    await state.browser?.close();
    await state.app?.close();
    const serious = axeResults.reduce((n, r) => n + r.serious, 0);
    const all = axeResults.reduce((n, r) => n + r.violations, 0);
    console.log(
      `${name}: ${axeResults.length} page checks with axe-core, ${serious} serious/critical, ${all} violations of any impact; ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  };
  return { state, setup, teardown };
}
