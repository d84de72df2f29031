// Journey: every link in every mail the service sends (verification, password reset, each appointment
// change of both parties, the reminder with its join link, the prescription notice, the waitlist offer) and
// in every calendar entry (invitations and the subscription feed: URL and DESCRIPTION) opens a portal page
// in Chromium, signed out (then through sign-in) or signed in; never the API's problem document and never
// the portal's "Page not found". The links are built from the server's page table (portal-pages.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import ical from 'node-ical';
import { build, createPatient, mailbox, PASSWORD, type Mail, type Person, type TestApp } from '../helpers.ts';
import { API, book, pinNow, workingDoctor } from '../fixtures/booking.ts';
import { outboxDrained } from '../fixtures/notifications.ts';
import { item } from '../fixtures/prescriptions.ts';
import { runDueReminders } from '../../src/modules/notifications/service.ts';
import { PORTAL_PAGES, type PortalPage, type PortalPageName } from '../../src/platform/portal-pages.ts';
import { axeResults, check, launch, openTab, type Tab } from './browser.ts';

let app: TestApp;
let browser: Browser;
const started = Date.now();

before(async () => {
  // Reminder passes run here at pinned times; the public URL is the test's, so links are checked as sent.
  [app, browser] = await Promise.all([build(undefined, { reminderPollMs: 3_600_000 }), launch()]);
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await browser?.close();
  await app?.close();
  const serious = axeResults.reduce((n, r) => n + r.serious, 0);
  const all = axeResults.reduce((n, r) => n + r.violations, 0);
  console.log(
    `mail-links journey: ${axeResults.length} page checks with axe-core, ${serious} serious/critical, ${all} violations of any impact; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
});

/** Where the server's clock stands once the 24-hour reminder went out. */
const SERVER_NOW = '2027-01-04T10:00:30.000Z';
const LINK = /https?:\/\/[^\s<>"]+/g;
const post = (path: string, who: Person, body?: unknown) => app.request('POST', `${API}${path}`, { token: who.token, body });

/** Links of a calendar document, read by a real iCalendar parser: each event's URL and those in its DESCRIPTION. */
function calendarLinks(text: string): string[] {
  const events = Object.values(ical.sync.parseICS(text)).filter((c) => c?.type === 'VEVENT') as ical.VEvent[];
  assert.ok(events.length > 0);
  return events.flatMap((e) => {
    const url = typeof e.url === 'string' ? [e.url] : [];
    const description = typeof e.description === 'string' ? e.description : ((e.description as { val?: string })?.val ?? '');
    assert.ok(description.match(LINK), `no link in the DESCRIPTION: ${description}`);
    return [...url, ...(description.match(LINK) ?? [])];
  });
}

function mailLinks(m: Mail): string[] {
  const found: string[] = [...(m.text.match(LINK) ?? [])];
  for (const a of m.attachments.filter((a) => /text\/calendar/i.test(a.contentType))) found.push(...calendarLinks(a.content));
  return found;
}

/** Which page of the table a path opens (the router's match: literal segments equal, `:params` anything). */
function pageOf(path: string): string | undefined {
  const segs = path.split('?')[0].split('/');
  return Object.entries(PORTAL_PAGES).find(([, p]) => {
    const want = p.path.split('/');
    return want.length === segs.length && want.every((w, i) => w.startsWith(':') || w === segs[i]);
  })?.[0];
}

test('every link in every mail and calendar entry opens its portal page, signed in or after sign-in', async () => {
  const doctor = await workingDoctor(app, { body: { firstname: 'Hanna', lastname: 'Hoffmann' } });
  const patient = await createPatient(app, { body: { firstname: 'Lena', lastname: 'Link' } });
  // A second doctor with one bookable time, taken by someone else: the patient waits for it.
  const busy = await workingDoctor(app, { weekly: [{ weekday: 3, start: '10:00', end: '10:30' }], body: { lastname: 'Busy' } });
  const holder = await createPatient(app);

  // Password reset mail.
  assert.equal((await app.request('POST', `${API}/auth/forgot-password`, { body: { email: patient.email } })).status, 202);

  // Booking (received), the patient's own reschedule, confirmation; the reminder with the join link; a prescription.
  const booked = await book(app, patient, doctor.id, '2027-01-05T09:00:00.000Z', { reason: 'Follow-up' });
  assert.equal(booked.status, 201, booked.text);
  const id = booked.body.id;
  // A patient's move needs the doctor's confirmation again.
  assert.equal((await post(`/appointments/${id}/reschedule`, patient, { startsAt: '2027-01-05T10:00:00.000Z' })).status, 200);
  assert.equal((await post(`/appointments/${id}/confirm`, doctor)).status, 200);
  pinNow(app, SERVER_NOW);
  await runDueReminders(app.app.platform);
  const rx = await post('/prescriptions', doctor, { appointmentId: id, items: [item()] });
  assert.equal(rx.status, 201, rx.text);

  // A second appointment the patient cancels themselves (their calendar gets the CANCEL).
  const second = await book(app, patient, doctor.id, '2027-01-06T09:00:00.000Z');
  assert.equal((await post(`/appointments/${second.body.id}/cancel`, patient)).status, 200);

  // The waitlist offer.
  const held = await book(app, holder, busy.id, '2027-01-06T09:00:00.000Z');
  assert.equal(held.status, 201, held.text);
  const window = { from: '2027-01-06T00:00:00.000Z', to: '2027-01-07T00:00:00.000Z' };
  assert.equal((await post('/waitlist', patient, { doctorId: busy.id, ...window })).status, 201);
  assert.equal((await post(`/appointments/${held.body.id}/cancel`, holder)).status, 200);

  await mailbox.waitFor(patient.email, /is free for you/);
  await mailbox.waitFor(patient.email, /^Reset your/);
  await outboxDrained(app);

  // Every link each person was sent, and those of their calendar feed.
  const links = new Map<string, Set<string>>([
    [patient.email, new Set()],
    [doctor.email, new Set()],
  ]);
  const who = new Map([
    [patient.email, patient],
    [doctor.email, doctor],
  ]);
  for (const m of mailbox.mails.filter((m) => links.has(m.to))) for (const l of mailLinks(m)) links.get(m.to)!.add(l);
  for (const person of [patient, doctor]) {
    const feed = await app.request('GET', `${API}/me/calendar`, { token: person.token });
    const res = await fetch(app.url + new URL(feed.body.url).pathname);
    for (const l of calendarLinks(await res.text())) links.get(person.email)!.add(l);
  }

  // Every page a mail or calendar entry names, and nothing outside the public URL or the page table.
  const opened = new Set<string>();
  for (const [email, set] of links) {
    for (const l of set) {
      const url = new URL(l);
      assert.equal(url.origin, new URL(app.config.publicUrl).origin, l);
      assert.ok(pageOf(url.pathname), `${email} was sent ${l}, which is no portal page`);
      opened.add(pageOf(url.pathname)!);
    }
  }
  assert.deepEqual([...opened].sort(), [
    'appointment',
    'doctorVisit',
    'patientPrescriptions',
    'patientVisit',
    'resetPassword',
    'verifyEmail',
    'waitlist',
  ]);

  // Open each in Chromium as its recipient: signed out first (the portal asks to sign in and returns there).
  for (const [email, set] of links) {
    const person = who.get(email)!;
    const tab = await openTab(browser, app.url);
    // The browser's clock starts where the server's is pinned, as in the other journeys.
    await tab.context.clock.install({ time: new Date(SERVER_NOW) });
    let signedIn = false;
    const shot = new Set<string>();
    // Token links first, while signed out; then the others.
    const ordered = [...set].sort((a, b) => Number(!/token=/.test(a)) - Number(!/token=/.test(b)));
    for (const l of ordered) {
      const url = new URL(l);
      const target = url.pathname + url.search;
      const page = pageOf(url.pathname)!;
      const res = await tab.page.goto(target);
      assert.equal(res?.status(), 200, target);
      assert.match(res?.headers()['content-type'] ?? '', /^text\/html/, `${target} answered a document that is not the portal`);
      if ((PORTAL_PAGES[page as PortalPageName] as PortalPage).roles && !signedIn) {
        await tab.page.waitForURL(/\/signin\?next=/);
        await tab.page.getByLabel('Username or email').fill(person.username);
        await tab.page.getByLabel('Password').fill(PASSWORD);
        await tab.page.getByRole('button', { name: 'Sign in' }).click();
        // Back on the page the link named, signed in.
        await tab.page.waitForURL((u) => u.pathname + u.search === target);
        signedIn = true;
      }
      await expectPage(tab, page);
      if (!shot.has(page)) {
        shot.add(page);
        await check(tab, `mail-link-${page}-${person === patient ? 'patient' : 'doctor'}`);
      }
    }
    await tab.context.close();
  }
});

const HEADINGS: Record<string, RegExp> = {
  appointment: /^Appointment$/,
  patientVisit: /^Video visit$/,
  doctorVisit: /^Video visit$/,
  patientPrescriptions: /^Prescriptions$/,
  waitlist: /^Waitlist$/,
  verifyEmail: /^Verify your email$/,
  resetPassword: /^Choose a new password$/,
};

/** The page's own heading, not the router's "Page not found" nor "not available for your account". */
async function expectPage(tab: Tab, page: string) {
  const h1 = tab.page.locator('main h1');
  await h1.waitFor();
  await tab.page.waitForFunction(() => !document.querySelector('main [aria-busy="true"]'));
  const heading = (await h1.textContent())?.trim() ?? '';
  assert.match(heading, HEADINGS[page], `${page}: heading "${heading}"`);
  assert.equal(await tab.page.getByText('This page is not available for your account').count(), 0, page);
  if (page === 'appointment')
    await tab.page
      .getByText(/Hoffmann|Link/)
      .first()
      .waitFor();
}

test('a ?next= that would leave the portal is refused: sign-in lands where it would without one, never stuck or elsewhere', async () => {
  const patient = await createPatient(app);
  const refused = ['//evil.example/x', '/\\evil.example/x', 'https://evil.example/', 'javascript:alert(1)'];
  for (const next of refused) {
    const tab = await openTab(browser, app.url);
    await tab.page.goto(`/signin?next=${encodeURIComponent(next)}`);
    await tab.page.getByLabel('Username or email').fill(patient.username);
    await tab.page.getByLabel('Password').fill(PASSWORD);
    await tab.page.getByRole('button', { name: 'Sign in' }).click();
    // Where the patient lands (no appointment: their appointments), on this origin.
    await tab.page.waitForURL((u) => u.origin === new URL(app.url).origin && u.pathname === '/patient/appointments');
    await tab.page.locator('main h1').waitFor();
    await tab.context.close();
  }
  // A path of the portal is followed, query included.
  const tab = await openTab(browser, app.url);
  await tab.page.goto(`/signin?next=${encodeURIComponent('/patient/prescriptions?x=1')}`);
  await tab.page.getByLabel('Username or email').fill(patient.username);
  await tab.page.getByLabel('Password').fill(PASSWORD);
  await tab.page.getByRole('button', { name: 'Sign in' }).click();
  await tab.page.waitForURL((u) => u.pathname + u.search === '/patient/prescriptions?x=1');
  await tab.context.close();
});
