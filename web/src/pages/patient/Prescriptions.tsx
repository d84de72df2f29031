import { ListEnd, Loading, Page, When } from '../../components/ui';
import { PdfButton } from '../../components/PrescriptionPdf';
import { useList } from '../../query';

export default function Prescriptions() {
  const list = useList('/api/v1/prescriptions', { params: { query: { limit: 100 } } });
  return (
    <Page title="Prescriptions">
      <Loading loaded={list}>
        {() =>
          list.items.length === 0 ? (
            <p>You have no prescriptions.</p>
          ) : (
            <ul class="stack" aria-label="Prescriptions">
              {list.items.map((p) => (
                <li class="card" key={p.id}>
                  <h2>
                    Issued <When iso={p.issuedAt} /> <span class="badge">{p.status === 'ACTIVE' ? 'Active' : 'Revoked'}</span>
                  </h2>
                  <ul>
                    {p.items.map((i, n) => (
                      <li key={n}>
                        <strong>{i.medication}</strong> {i.dosage}, {i.frequency}, {i.durationDays} days
                        {i.instructions ? ` — ${i.instructions}` : ''}
                      </li>
                    ))}
                  </ul>
                  {p.notes && <p>{p.notes}</p>}
                  {p.revocationReason && <p>Revoked: {p.revocationReason}</p>}
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
