// Journey: an admin suspends a user, who is shown out with the reason; through the UI only.
import { after, before, test } from 'node:test';
import { createAdminUser, createPatient } from '../helpers.ts';
import { check, journeyFixture, openTab, signIn, landed } from './browser.ts';

const { state, setup, teardown } = journeyFixture('suspension journey');
before(setup);
after(teardown);

test('a suspended user is shown out with the reason', async () => {
  const person = await createPatient(state.app);
  const admin = await createAdminUser(state.app);
  const userTab = await openTab(state.browser, state.app.url);
  const adminTab = await openTab(state.browser, state.app.url);
  await signIn(userTab.page, person.username);
  await landed(userTab.page);

  const ap = adminTab.page;
  await signIn(ap, admin.username);
  await ap.getByRole('link', { name: 'Users' }).click();
  await ap.getByLabel('Name, username or email').fill(person.username);
  await ap.getByRole('button', { name: 'Search' }).click();
  await ap.getByRole('button', { name: `Suspend ${person.username}` }).click();
  await ap.getByRole('button', { name: `Reactivate ${person.username}` }).waitFor();
  await check(adminTab, 'admin-users');
  await ap.getByRole('link', { name: 'Audit trail' }).click();
  await ap.getByRole('table', { name: 'Audit events' }).waitFor();
  await check(adminTab, 'admin-audit');

  await userTab.page.getByRole('link', { name: 'Appointments', exact: true }).click();
  await userTab.page.getByText('Your account has been suspended').waitFor();
  await userTab.page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await check(userTab, 'signin-suspended');
  for (const t of [userTab, adminTab]) await t.context.close();
});
