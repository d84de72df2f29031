import { Page } from '../../components/ui';
import { t } from '../../i18n';

export default function NotFound() {
  return (
    <Page title={t('notFound.title')}>
      <p>
        {t('notFound.body')} <a href="/">{t('notFound.home')}</a>
      </p>
    </Page>
  );
}
