import { useRoute } from 'preact-iso';
import { Page } from '../../components/ui';
import { Conversations } from '../../components/Conversations';

export default function Messages() {
  const { params } = useRoute();
  return (
    <Page title="Messages">
      <Conversations base="/doctor/messages" userId={params.userId} peerLabel="patient" />
    </Page>
  );
}
