import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { Page } from '../../components/ui';
import { useSession } from '../../app';
import { menus } from '../../routes';

export default function Home() {
  const s = useSession();
  const { route } = useLocation();
  useEffect(() => {
    if (s.me) route(menus[s.me.user.role][0][0], true);
  }, [s.me]);
  return (
    <Page title="Your doctor, online">
      <p>Find a doctor, book a video visit, message your care team and keep your prescriptions in one place.</p>
      <div class="actions">
        <a class="button" href="/doctors">
          Find a doctor
        </a>
        <a class="button secondary" href="/signup">
          Create an account
        </a>
        <a class="button secondary" href="/articles">
          Read health articles
        </a>
      </div>
    </Page>
  );
}
