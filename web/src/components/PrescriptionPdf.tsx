import { api } from '../api/client';
import { ProblemBanner, useAction } from './ui';

/** The PDF needs the bearer token, so it is fetched through the client and handed over as a file. */
export function PdfButton({ id }: { id: string }) {
  const act = useAction();
  return (
    <>
      <button
        type="button"
        class="secondary"
        disabled={act.busy}
        onClick={async () => {
          const r = await act.run(() => api.GET('/api/v1/prescriptions/{id}/pdf', { params: { path: { id } }, parseAs: 'blob' }));
          if (!r.ok || !r.data) return;
          const url = URL.createObjectURL(r.data as unknown as Blob);
          const a = document.createElement('a');
          a.href = url;
          a.download = `prescription-${id}.pdf`;
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(url), 10_000);
        }}
      >
        Download PDF
      </button>
      <ProblemBanner problem={act.problem} />
    </>
  );
}
