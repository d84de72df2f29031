// Journey: the portal in the pseudo-locale en-XA (web/src/pseudo.ts: every catalogue message accented, about 40 %
// longer, bracketed ⟦…⟧). A patient, a doctor and an admin each open every page of the one page table
// (src/platform/portal-pages.ts) their role can open, at 390 px (the pages open to anyone, once, as the patient). A page fails when the text of its navigation or
// main content has a word of plain ASCII letters — English that did not come through the catalogue — or when
// the layout scrolls sideways, or when axe finds a serious or critical violation there (longer words at 390 px
// must not break what assistive technology reads). What is not the catalogue's is left out by rule, not by
// page: the data this test seeded (names, usernames, addresses, titles, texts it sent), the clinic's name, and what Intl formats (month
// and weekday names, time-zone names) — dates and zones are data in the reader's locale, not messages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { appointmentFixture, createAdminUser, createDoctor, createPatient, type Person } from '../helpers.ts';
import { PORTAL_PAGES, portalPath, type PortalPageName, type PortalRole } from '../../src/platform/portal-pages.ts';
import { axeViolations, journeyFixture, landed, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('pseudo-locale journey');
before(setup);
after(teardown);

/**
 * The words of the page's navigation and main content that are plain ASCII, and how far it scrolls sideways.
 * Plain JavaScript in a string: tsx would wrap named functions of a callback in a helper the page lacks.
 */
const SCAN = `(() => {
  const words = [];
  const skip = (el) => !!el && !!el.closest('time, [translate="no"], [data-server-text], script, style, [hidden]');
  const add = (s) => { for (const w of (s || '').match(/[A-Za-z]{2,}/g) || []) words.push(w); };
  for (const root of document.querySelectorAll('header nav, main')) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!skip(n.parentElement)) add(n.nodeValue);
    for (const el of root.querySelectorAll('[aria-label], [placeholder], [title], [alt]'))
      if (!skip(el)) for (const a of ['aria-label', 'placeholder', 'title', 'alt']) add(el.getAttribute(a));
  }
  const main = document.querySelector('main');
  return {
    words,
    overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    mainOverflow: main.scrollWidth - main.clientWidth,
  };
})()`;
async function scan(page: import('playwright-core').Page) {
  return page.evaluate<{ words: string[]; overflow: number; mainOverflow: number }>(SCAN);
}

/** Words Intl writes in en-GB (months, weekdays, day periods, zone names): data formatted for the reader. */
function intlWords(zones: string[]): Set<string> {
  const out = new Set<string>();
  const add = (s: string) => (s.match(/[A-Za-z]{2,}/g) ?? []).forEach((w) => out.add(w));
  for (let m = 0; m < 12; m++)
    for (const month of ['long', 'short'] as const)
      add(new Intl.DateTimeFormat('en-GB', { month, timeZone: 'UTC' }).format(Date.UTC(2026, m, 15)));
  for (let d = 0; d < 7; d++)
    for (const weekday of ['long', 'short'] as const)
      add(new Intl.DateTimeFormat('en-GB', { weekday, timeZone: 'UTC' }).format(Date.UTC(2026, 0, 5 + d)));
  // The languages' own names in the language menu (English, Deutsch, Español): written in themselves on purpose.
  for (const l of ['en', 'de', 'es']) {
    const own = new Intl.DisplayNames(l, { type: 'language' }).of(l)!;
    add(own);
    add(own[0].toUpperCase() + own.slice(1));
  }
  for (const z of zones) {
    add(z);
    for (const at of [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)])
      add(new Intl.DateTimeFormat('en-GB', { timeZone: z, timeZoneName: 'short' }).format(at));
  }
  return out;
}

test('every page each role can open is pseudo-localised (no hard-coded English) and fits 390 px', async () => {
  const { app, browser } = state;
  // Seeded data, with words that English does not use, so that excusing them cannot hide a real text.
  const doctor = await createDoctor(app, {
    credentials: 'VERIFIED',
    body: { firstname: 'Zorabel', lastname: 'Quintavo', specialization: 'Dermatology', bio: 'Skinwise Qorvath' },
  });
  const patient = await createPatient(app, { body: { firstname: 'Yolvanna', lastname: 'Brisquet', medicalHistory: 'Vexmora' } });
  const admin = await createAdminUser(app);
  const appointmentId = await appointmentFixture(app, {
    doctorId: doctor.id,
    patientId: patient.id,
    status: 'CONFIRMED',
    startsAt: new Date(Date.now() + 26 * 3_600_000),
  });
  const post = await app.request('POST', '/api/v1/posts', {
    token: doctor.token,
    body: { title: 'Glimvora Tessit', body: 'Plumdrax quorrel', status: 'PUBLISHED' },
  });
  assert.equal(post.status, 201, post.text);
  const sent = await app.request('POST', `/api/v1/conversations/${doctor.id}/messages`, {
    token: patient.token,
    body: { body: 'Frenzilo' },
  });
  assert.equal(sent.status, 201, sent.text);
  const clinic = await app.request('GET', '/api/v1/clinic');
  const fields = ['firstname', 'lastname', 'specialization', 'bio', 'licenseNumber', 'medicalHistory'];
  const seeded = [doctor, patient, admin].flatMap((p: Person) => [p.username, p.email, ...fields.map((f) => String(p.body?.[f] ?? ''))]);
  seeded.push('Glimvora Tessit', 'Plumdrax quorrel', 'Frenzilo', String(clinic.body.name));
  const zones = (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf('timeZone');
  const excused = new Set([...seeded.flatMap((s) => s.match(/[A-Za-z]{2,}/g) ?? []), ...intlWords(['UTC', ...zones])]);

  const params: Record<string, string> = { id: appointmentId, userId: doctor.id };
  const idsFor: Record<PortalRole, Partial<Record<PortalPageName, Record<string, string>>>> = {
    PATIENT: {
      doctor: { id: doctor.id },
      article: { id: post.body.id },
      appointment: params,
      patientConversation: { userId: doctor.id },
      patientVisit: params,
    },
    DOCTOR: {
      doctor: { id: doctor.id },
      article: { id: post.body.id },
      appointment: params,
      doctorVisit: params,
      doctorPatient: { id: patient.id },
      doctorConversation: { userId: patient.id },
      doctorPost: { id: post.body.id },
    },
    ADMIN: { doctor: { id: doctor.id }, article: { id: post.body.id } },
  };
  const findings: string[] = [];
  let pages = 0;
  let axeChecked = 0;
  // The three roles side by side (one browser context each): the pages wait on the server more than on the CPU.
  const visitAll = async (role: PortalRole, person: Person) => {
    const tab = await openTab(browser, app.url);
    const { page } = tab;
    // Signed in in English (the shared step's labels), then the pseudo-locale switched on for this browser.
    await signIn(page, person.username);
    await landed(page);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.evaluate(() => localStorage.setItem('telecare.pseudoLocale', 'en-XA'));
    // The browser's own zone ids (the zone pickers list them): Intl's names, like its month names.
    const browserZones = await page.evaluate(() =>
      (Intl as unknown as { supportedValuesOf: (k: string) => string[] }).supportedValuesOf('timeZone'),
    );
    for (const w of intlWords(browserZones)) excused.add(w);
    for (const [name, def] of Object.entries(PORTAL_PAGES) as Array<[PortalPageName, (typeof PORTAL_PAGES)[PortalPageName]]>) {
      const roles = 'roles' in def ? (def.roles as readonly PortalRole[]) : undefined;
      if (roles && !roles.includes(role)) continue;
      // The pages anyone may open (no roles) are the same for every role: the patient visits them.
      if (!roles && role !== 'PATIENT') continue;
      if (def.path.includes(':') && !idsFor[role][name]) continue;
      const path = portalPath(name, idsFor[role][name] ?? {});
      await page.goto(path);
      await page.waitForFunction(
        () => document.documentElement.lang === 'en-XA' && !!document.querySelector('main h1, main [role="alert"]'),
      );
      await page.locator('main [aria-busy="true"]').first().waitFor({ state: 'detached' });
      pages += 1;
      const { words, overflow, mainOverflow } = await scan(page);
      const english = [...new Set(words.filter((w) => !excused.has(w)))];
      if (english.length) findings.push(`${role} ${path}: ${english.join(' ')}`);
      if (overflow > 1 || mainOverflow > 1) findings.push(`${role} ${path}: overflows 390 px by ${Math.max(overflow, mainOverflow)} px`);
      // Longer, accented words at 390 px must not break what assistive technology reads (labels, names, contrast).
      for (const v of await axeViolations(page))
        if (v.impact === 'serious' || v.impact === 'critical')
          findings.push(`${role} ${path}: axe ${v.id} (${v.help}) at ${v.targets.join(' ')}`);
      axeChecked += 1;
    }
    assert.deepEqual(tab.problems, [], `script errors or CSP violations as ${role}`);
    await tab.context.close();
  };
  await Promise.all([visitAll('PATIENT', patient), visitAll('DOCTOR', doctor), visitAll('ADMIN', admin)]);
  console.log(`pseudo-locale: ${pages} pages checked, ${axeChecked} of them with axe`);
  assert.deepEqual(findings, [], 'pages with text that is not the catalogue’s, or wider than 390 px');
  assert.ok(pages >= 35, `only ${pages} pages were visited`);
});
