// Journey: a patient switches the portal to Arabic on the account page: the page turns right to left, the
// shell (navigation, header, account page) speaks Arabic, the choice survives a reload (it is the account's),
// and switching back restores English; the API's problem titles come in Arabic too. axe finds no violation on
// the Arabic page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'drizzle-orm';
import { createPatient, mailbox } from '../helpers.ts';
import { axeResults, check, journeyFixture, openTab, signIn } from './browser.ts';

const { state, setup, teardown } = journeyFixture('locale journey');
before(setup);
after(teardown);

test('a patient switches to Arabic: dir=rtl, Arabic navigation, kept after a reload; and back to English', async () => {
  const { app, browser } = state;
  const patient = await createPatient(app, { body: { firstname: 'Samir', lastname: 'Nasser' } });
  const tab = await openTab(browser, app.url);
  const { page } = tab;
  await signIn(page, patient.username);
  await page.getByRole('link', { name: 'Account', exact: true }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'en');

  await page.getByRole('combobox', { name: 'Language' }).selectOption('ar');
  await page.getByRole('combobox', { name: 'Your time zone' }).selectOption('Asia/Riyadh');
  await page.getByRole('button', { name: 'Save name, language and time zone' }).click();
  await page.getByRole('heading', { name: 'حسابك' }).waitFor();
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  assert.equal(await page.getAttribute('html', 'lang'), 'ar');
  const nav = page.getByRole('navigation', { name: 'التنقل الرئيسي' });
  for (const name of ['ابحث عن طبيب', 'المواعيد', 'الرسائل', 'الوصفات الطبية', 'الحساب']) await nav.getByRole('link', { name }).waitFor();
  await nav.getByRole('button', { name: 'تسجيل الخروج' }).waitFor();
  await page.getByText('تم الحفظ.').waitFor();
  await check(tab, 'account-ar');
  assert.equal(axeResults.at(-1)!.violations, 0, 'axe: no violation at all on the Arabic account page');

  // The language is the account's: a reload (session restored from the cookie) comes back in Arabic.
  await page.reload();
  await page.getByRole('heading', { name: 'حسابك' }).waitFor();
  assert.equal(await page.getAttribute('html', 'dir'), 'rtl');
  const me = await app.request('GET', '/api/v1/me', { token: patient.token });
  assert.equal(me.body.user.locale, 'ar');

  // The portal asks the API in the account's language: a refused email change is titled in Arabic.
  const emailCard = page.getByRole('region', { name: 'عنوان البريد الإلكتروني' });
  await emailCard.getByLabel('عنوان البريد الإلكتروني الجديد').fill('samir.new@example.test');
  await emailCard.getByLabel('كلمة المرور الحالية').fill('not the password');
  await emailCard.getByRole('button', { name: 'تغيير عنوان البريد الإلكتروني' }).click();
  await emailCard.getByRole('alert').getByText('بيانات الدخول غير صحيحة', { exact: true }).waitFor();
  assert.equal(me.body.user.timeZone, 'Asia/Riyadh');

  await page.getByRole('combobox', { name: 'اللغة' }).selectOption('en');
  await page.getByRole('button', { name: 'حفظ الاسم واللغة والمنطقة الزمنية' }).click();
  await page.getByRole('heading', { name: 'Your account' }).waitFor();
  assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
  assert.equal(await page.getAttribute('html', 'lang'), 'en');
});

test('a Spanish browser in Bogotá signs up in Spanish; the account starts in es and America/Bogota', async () => {
  const { app, browser } = state;
  const context = await browser.newContext({
    baseURL: app.url,
    viewport: { width: 1280, height: 900 },
    locale: 'es-ES',
    timezoneId: 'America/Bogota',
  });
  const page = await context.newPage();
  page.setDefaultTimeout(60_000);
  const tab = { page, context, problems: [] as string[] };
  page.on('pageerror', (e) => tab.problems.push(String(e)));
  await page.goto('/signup');
  await page.getByRole('heading', { name: 'Crear una cuenta' }).waitFor();
  assert.equal(await page.getAttribute('html', 'lang'), 'es');
  assert.equal(await page.getAttribute('html', 'dir'), 'ltr');
  const username = `esp${Date.now().toString(36)}`;
  await page.getByLabel('Nombre', { exact: true }).fill('Lucía');
  await page.getByLabel('Apellidos', { exact: true }).fill('Gómez');
  await page.getByLabel('Nombre de usuario', { exact: true }).fill(username);
  await page.getByLabel('Correo electrónico', { exact: true }).fill(`${username}@example.test`);
  await page.getByLabel('Contraseña', { exact: true }).fill('correct horse battery');
  await page.getByLabel('Fecha de nacimiento').fill('1990-04-12');
  await check(tab, 'signup-es');
  await page.getByRole('button', { name: 'Crear cuenta de paciente' }).click();
  await page.getByRole('heading', { name: 'Revise su correo' }).waitFor();
  const mail = await mailbox.waitFor(`${username}@example.test`, /^Verifique su dirección de correo electrónico para Telecare$/, 60_000);
  assert.match(mail.text, /^Hola:$/m);
  const [user] = await app.database.rows<{ locale: string; time_zone: string }>(
    sql`SELECT locale, time_zone FROM users WHERE username = ${username}`,
  );
  assert.deepEqual(user, { locale: 'es', time_zone: 'America/Bogota' });
  await context.close();
});
