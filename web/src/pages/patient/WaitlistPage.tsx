// The patient's waitlist entries and their live offers: the page the waitlist offer mail links to
// (PORTAL_PAGES.waitlist).
import { Page } from '../../components/ui';
import { WaitlistEntries } from '../../components/Waitlist';
import { pagePath } from '../../routes';

export default function WaitlistPage() {
  return (
    <Page title="Waitlist">
      <WaitlistEntries />
      <p>
        To wait for another doctor, open their page from <a href={pagePath('doctors')}>Find a doctor</a>.
      </p>
    </Page>
  );
}
