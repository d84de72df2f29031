// The patient's own clinical record: allergies, medications and problems (self-reporting allergies and
// medications, shown unconfirmed until a doctor confirms them) and the signed visit notes.
import { useSession } from '../../app';
import { Page } from '../../components/ui';
import { ClinicalRecord, VisitNotes } from '../../components/ClinicalRecord';
import { t } from '../../i18n';

export default function Record() {
  const s = useSession();
  const id = s.me?.user.id;
  return (
    <Page title={t('nav.record')}>
      {id && (
        <>
          <ClinicalRecord patientId={id} role="patient" />
          <VisitNotes patientId={id} />
        </>
      )}
    </Page>
  );
}
