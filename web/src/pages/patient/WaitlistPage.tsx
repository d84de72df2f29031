// The patient's waitlist entries and their live offers: the page the waitlist offer mail links to
// (PORTAL_PAGES.waitlist).
import { Page } from '../../components/ui';
import { WaitlistEntries } from '../../components/Waitlist';
import { pagePath } from '../../routes';
import { t, tRich } from '../../i18n';

export default function WaitlistPage() {
  return (
    <Page title={t('waitlistPage.title')}>
      <WaitlistEntries />
      <p>{tRich('waitlistPage.other', { link: (c) => <a href={pagePath('doctors')}>{c}</a> })}</p>
    </Page>
  );
}
