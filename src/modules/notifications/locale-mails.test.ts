// Mails and calendar texts in the RECIPIENT's language and time zone (contract: "Languages and time zones"):
// the two parties of one booking each read their own mail in their own language, with times in their zone.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createPatient, mailbox, patientBody, type TestApp } from '../../../test/helpers.ts';
import { API, book, pinNow, workingDoctor } from '../../../test/fixtures/booking.ts';
import { invitationOf } from '../../../test/fixtures/notifications.ts';
import { runDueReminders } from './service.ts';

let app: TestApp;
before(async () => {
  app = await build(undefined, { reminderPollMs: 3_600_000 });
  pinNow(app, '2027-01-04T07:00:00.000Z');
});
after(async () => {
  await app.close();
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('a de patient and an ar doctor book: each mail and invitation is in its reader’s language, times in their own zone', async () => {
  // The doctor works in Berlin (their availability) but reads mail in Riyadh, one hour ahead.
  const d = await workingDoctor(app, { body: { firstname: 'Layla', lastname: 'Haddad' } });
  const p = await createPatient(app, { body: { firstname: 'Jonas', lastname: 'Weber' } });
  // Registered in English (the fixtures read the verification mail), then each chooses their language and zone.
  const choose = async (who: typeof p, body: Record<string, string>) =>
    assert.equal((await app.request('PATCH', `${API}/me`, { token: who.token, body })).status, 200);
  await choose(d, { locale: 'ar', timeZone: 'Asia/Riyadh' });
  await choose(p, { locale: 'de', timeZone: 'America/New_York' });
  const booked = await book(app, p, d.id, '2027-01-05T09:00:00.000Z');
  assert.equal(booked.status, 201, booked.text);

  // The patient: German, New York time (04:00–04:30), the zone named; UTC as well.
  const toPatient = await mailbox.waitFor(p.email, /^Terminanfrage eingegangen: /);
  assert.equal(toPatient.subject, 'Terminanfrage eingegangen: Di., 5. Jan. 2027, 04:00–04:30 Uhr (America/New_York)');
  assert.match(toPatient.text, /^Guten Tag Jonas Weber,$/m);
  assert.match(
    toPatient.text,
    /Wir haben Ihre Terminanfrage bei Dr\. Layla Haddad erhalten; sie wartet noch auf die ärztliche Bestätigung\./,
  );
  assert.match(toPatient.text, /^Wann: Di\., 5\. Jan\. 2027, 04:00–04:30 Uhr \(America\/New_York\)$/m);
  assert.match(toPatient.text, /2027-01-05 09:00–09:30 UTC/);
  assert.match(toPatient.text, /Der angehängte Kalendereintrag trägt den Termin in Ihren Kalender ein\./);
  const patientInvite = invitationOf(toPatient);
  assert.equal(String(patientInvite.event.summary), 'Termin mit Dr. Layla Haddad');
  assert.match(String(patientInvite.event.description), /04:00–04:30 Uhr \(America\/New_York\)/);
  assert.match(patientInvite.raw, /^PRODID:-\/\/Telecare\/\/Telecare\/\/DE/m);

  // The doctor: Arabic, Riyadh time (12:00–12:30), the zone named.
  const arabicSpan = new Intl.DateTimeFormat('ar', {
    timeZone: 'Asia/Riyadh',
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatRange(new Date('2027-01-05T09:00:00Z'), new Date('2027-01-05T09:30:00Z'));
  assert.match(arabicSpan, /12|١٢/);
  const toDoctor = await mailbox.waitFor(d.email, /^موعد جديد: /);
  assert.equal(toDoctor.subject, `موعد جديد: ${arabicSpan} (Asia/Riyadh)`);
  assert.match(toDoctor.text, /^مرحبًا Layla Haddad،$/m);
  assert.match(toDoctor.text, /حجز Jonas Weber موعدًا معك، وهو بانتظار تأكيدك\./);
  assert.match(toDoctor.text, new RegExp(`^الوقت: ${esc(arabicSpan)} \\(Asia/Riyadh\\)$`, 'm'));
  assert.match(toDoctor.text, /2027-01-05 09:00–09:30 UTC/);
  assert.doesNotMatch(toDoctor.text, /Termin|Appointment|Hello/);
  const doctorInvite = invitationOf(toDoctor);
  assert.equal(String(doctorInvite.event.summary), 'موعد مع Jonas Weber');
  assert.match(String(doctorInvite.event.description), /Asia\/Riyadh/);

  // The doctor confirms in their language; the patient is told in theirs.
  assert.equal((await app.request('POST', `${API}/appointments/${booked.body.id}/confirm`, { token: d.token })).status, 200);
  const confirmed = await mailbox.waitFor(p.email, /^Termin bestätigt: /);
  assert.match(confirmed.text, /Dr\. Layla Haddad hat Ihren Termin bestätigt\./);
  const ownConfirm = await mailbox.waitFor(d.email, /^تم تأكيد الموعد: /);
  assert.match(ownConfirm.text, /لقد أكّدت الموعد مع Jonas Weber\./);

  // Reminders too: 24 hours ahead, each in their own language, plural forms from the catalogue.
  pinNow(app, '2027-01-04T09:00:30.000Z');
  await runDueReminders(app.app.platform);
  const remindPatient = await mailbox.waitFor(p.email, /^Erinnerung: /);
  assert.match(remindPatient.text, /Zur Erinnerung: Ihr Termin beginnt in 24 Stunden\./);
  assert.match(remindPatient.text, /\(sie öffnet \d+ Minuten vor Beginn\)/);
  const remindDoctor = await mailbox.waitFor(d.email, /^تذكير: /);
  assert.match(remindDoctor.text, /تذكير: يبدأ موعدك بعد 24 ساعة\./);
});

test('a language chosen later applies to the next mail: the reset mail follows PATCH /me', async () => {
  const p = await createPatient(app);
  assert.equal((await app.request('PATCH', `${API}/me`, { token: p.token, body: { locale: 'es' } })).status, 200);
  assert.equal((await app.request('POST', `${API}/auth/forgot-password`, { body: { email: p.email } })).status, 202);
  const mail = await mailbox.waitFor(p.email, /^Restablezca su contraseña de Telecare$/);
  assert.match(mail.text, /^Hola:$/m);
  assert.match(mail.text, /Alguien ha solicitado restablecer su contraseña de Telecare\./);
  assert.match(mail.text, /http:\/\/telecare\.test\/reset-password\?token=/);
});

test('a registrant whose browser asks for Arabic gets the verification mail in Arabic, right to left', async () => {
  const res = await app.request('POST', `${API}/auth/register/patient`, {
    body: patientBody(),
    headers: { 'accept-language': 'ar-SA,ar;q=0.9,en;q=0.3' },
  });
  assert.equal(res.status, 201, res.text);
  const mail = await mailbox.waitFor(res.body.user.email, /^تأكيد عنوان بريدك الإلكتروني لدى Telecare$/);
  assert.match(mail.text, /يُرجى تأكيد عنوان بريدك الإلكتروني بفتح هذا الرابط خلال 24 ساعة:/);
  assert.match(mail.text, /verify-email\?token=/);
});
