import { useRoute } from 'preact-iso';
import { Page } from '../../components/ui';
import { Conversations } from '../../components/Conversations';
import { t } from '../../i18n';

export default function Messages() {
  const { params } = useRoute();
  return (
    <Page title={t('nav.messages')}>
      <Conversations base="/doctor/messages" userId={params.userId} peerLabel="patient" />
    </Page>
  );
}
