import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api } from '../../api/client';
import { Field, formValues, Loading, Page, ProblemBanner, useAction, When } from '../../components/ui';
import { SlotPicker } from '../../components/Slots';
import { cancellationPolicy } from '../../components/Appointment';
import { JoinWaitlist, WaitlistEntries } from '../../components/Waitlist';
import { useSession } from '../../app';
import { invalidate, useGet } from '../../query';
import { t, tRich } from '../../i18n';

export default function DoctorProfile() {
  const { params } = useRoute();
  const { route } = useLocation();
  const s = useSession();
  const doctor = useGet('/api/v1/doctors/{doctorId}', { params: { path: { doctorId: params.id } } });
  const posts = useGet('/api/v1/posts', { params: { query: { authorId: params.id, limit: 5 } } });
  const [slot, setSlot] = useState<string | null>(null);
  const book = useAction();
  const [key] = useState(() => crypto.randomUUID());
  const d = doctor.data;
  return (
    <Page title={d ? t('mail.doctorName', { name: `${d.firstname} ${d.lastname}` }) : t('adminUsers.role.DOCTOR')}>
      <Loading loaded={doctor}>
        {() => (
          <>
            <p>
              <span class="badge">{d!.specialization}</span> · {t('doctorProfile.minutes', { n: d!.slotMinutes })}
            </p>
            <p>{d!.bio}</p>
            <p class="banner info" id="cancellation-policy">
              {cancellationPolicy(d!.cancellationNoticeHours)}
            </p>
            {/* Above the free times: an offer held for the patient is the most urgent thing on the page. */}
            {s.me?.user.role === 'PATIENT' && <WaitlistEntries doctorId={d!.id} />}
            <SlotPicker doctorId={d!.id} doctorZone={d!.timezone} selected={slot} onSelect={setSlot} />
            {s.me?.user.role === 'PATIENT' ? (
              <form
                class="stack card"
                onSubmit={async (e) => {
                  const v = formValues(e);
                  if (!slot)
                    return book.setProblem({
                      type: 'about:blank',
                      title: t('doctorProfile.chooseTitle'),
                      status: 400,
                      code: 'VALIDATION_FAILED',
                      detail: t('doctorProfile.chooseDetail'),
                    });
                  // One key per booking attempt: a retried click cannot book twice.
                  const r = await book.run(() =>
                    api.POST('/api/v1/appointments', {
                      body: { doctorId: d!.id, startsAt: slot, ...(v.reason ? { reason: v.reason } : {}) },
                      headers: { 'idempotency-key': key },
                    }),
                  );
                  if (r.ok) route('/patient/appointments?booked=1');
                }}
              >
                <ProblemBanner problem={book.problem} />
                <p>
                  {slot ? (
                    <>
                      {t('doctorProfile.selected')} <When iso={slot} />
                    </>
                  ) : (
                    t('doctorProfile.chooseAbove')
                  )}
                </p>
                <Field label={t('doctorProfile.reason')} name="reason" problem={book.problem} />
                <button type="submit" disabled={book.busy} aria-describedby="cancellation-policy">
                  {t('doctorProfile.book')}
                </button>
              </form>
            ) : !s.me ? (
              <p>{tRich('doctorProfile.signIn', { link: (c) => <a href={`/signin?next=/doctors/${d!.id}`}>{c}</a> })}</p>
            ) : null}
            {s.me?.user.role === 'PATIENT' && <JoinWaitlist doctorId={d!.id} onJoined={() => invalidate('/api/v1/waitlist')} />}
          </>
        )}
      </Loading>
      <section aria-labelledby="posts-h">
        <h2 id="posts-h">{t('doctorProfile.articles')}</h2>
        <Loading loaded={posts}>
          {() =>
            posts.data!.items.length === 0 ? (
              <p>{t('doctorProfile.noArticles')}</p>
            ) : (
              <ul>
                {posts.data!.items.map((p) => (
                  <li key={p.id}>
                    <a href={`/articles/${p.id}`}>{p.title}</a> · <When iso={p.publishedAt} />
                  </li>
                ))}
              </ul>
            )
          }
        </Loading>
      </section>
    </Page>
  );
}
