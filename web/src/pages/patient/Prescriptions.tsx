import { ListEnd, Loading, Page, When } from '../../components/ui';
import { PdfButton } from '../../components/PrescriptionPdf';
import { useList } from '../../query';
import { t } from '../../i18n';

export default function Prescriptions() {
  const list = useList('/api/v1/prescriptions', { params: { query: { limit: 100 } } });
  return (
    <Page title={t('nav.prescriptions')}>
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>{t('prescriptions.none')}</p>
          ) : (
            <ul class="stack" aria-label={t('nav.prescriptions')}>
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    {t('patientRecord.rx.issued')} <When iso={p.issuedAt} />{' '}
                    <span class="badge">{p.status === 'ACTIVE' ? t('patientRecord.rx.active') : t('patientRecord.rx.revoked')}</span>
                  </h2>
                  <ul>
                    {p.items.map((i, n) => (
                      <li key={n}>
                        <strong>{i.medication}</strong>{' '}
                        {t('prescriptions.item', { dosage: i.dosage, frequency: i.frequency, days: i.durationDays })}
                        {i.instructions ? ` — ${i.instructions}` : ''}
                      </li>
                    ))}
                  </ul>
                  {p.notes && <p>{p.notes}</p>}
                  {p.revocationReason && <p>{t('patientRecord.rx.revokedReason', { reason: p.revocationReason })}</p>}
                  <PdfButton id={p.id} />
                </li>
              ))}
            </ul>
          )
        }
      </Loading>
      <ListEnd list={list} />
    </Page>
  );
}
