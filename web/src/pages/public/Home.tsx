import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { Page } from '../../components/ui';
import { useSession } from '../../app';
import { menus } from '../../routes';
import { t } from '../../i18n';

export default function Home() {
  const s = useSession();
  const { route } = useLocation();
  useEffect(() => {
    if (s.me) route(menus[s.me.user.role][0][0], true);
  }, [s.me]);
  return (
    <Page title={t('home.title')}>
      <p>{t('home.intro')}</p>
      <div class="actions">
        <a class="button" href="/doctors">
          {t('nav.findDoctor')}
        </a>
        <a class="button secondary" href="/signup">
          {t('signin.createAccount')}
        </a>
        <a class="button secondary" href="/articles">
          {t('home.readArticles')}
        </a>
      </div>
    </Page>
  );
}
