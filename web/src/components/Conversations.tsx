// Conversations for doctors and patients: the list, one thread, live updates over the tab's WebSocket.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api/client';
import { onRealtime, connected as initiallyConnected } from '../realtime';
import { useSession } from '../app';
import { Field, ListEnd, Loading, ProblemBanner, useAction, When } from './ui';
import type { components } from '../api/schema';
import { AttachmentPicker, AttachmentView, type Pending } from './Attachments';
import { invalidate, prependItem, useList } from '../query';
import { t } from '../i18n';

type Message = components['schemas']['Message'];

export function Conversations({ base, userId, peerLabel }: { base: string; userId?: string; peerLabel: string }) {
  const list = useList('/api/v1/conversations', { params: { query: { limit: 50 } } });
  const [live, setLive] = useState(initiallyConnected);
  useEffect(
    () =>
      onRealtime((e) => {
        if (e.type === 'status') setLive(e.connected);
      }),
    [],
  );
  return (
    <div class="split">
      <nav aria-label={t('conversations.label')}>
        <p class="muted" role="status">
          {live ? t('conversations.live') : t('call.state.reconnecting')}
        </p>
        <Loading loaded={list}>
          {() =>
            list.items.length === 0 ? (
              <p>{peerLabel === 'doctor' ? t('conversations.noneDoctor') : t('conversations.nonePatient')}</p>
            ) : (
              <ul>
                {list.items.map((c) => (
                  <li key={c.participant.id}>
                    <a href={`${base}/${c.participant.id}`} aria-current={c.participant.id === userId ? 'page' : undefined}>
                      {c.participant.role === 'DOCTOR'
                        ? t('mail.doctorName', { name: `${c.participant.firstname} ${c.participant.lastname}` })
                        : `${c.participant.firstname} ${c.participant.lastname}`}
                    </a>
                    {c.unreadCount > 0 && <span class="badge">{t('conversations.unread', { n: c.unreadCount })}</span>}
                  </li>
                ))}
              </ul>
            )
          }
        </Loading>
        <ListEnd list={list} />
      </nav>
      {userId ? <Thread userId={userId} onChange={list.reload} /> : <p>{t('conversations.choose')}</p>}
    </div>
  );
}

export function Thread({ userId, onChange }: { userId: string; onChange: () => void }) {
  const s = useSession();
  const me = s.me!.user.id;
  const init = { params: { path: { userId }, query: { limit: 50 } } };
  // Newest first, as the API pages them; shown oldest first with "Load earlier messages" above.
  const thread = useList('/api/v1/conversations/{userId}/messages', init);
  const messages = thread.loading ? null : thread.items;
  const add = (m: Message) => prependItem('/api/v1/conversations/{userId}/messages', init, m);
  const send = useAction();
  const [text, setText] = useState('');
  const [pending, setPending] = useState<Pending[]>([]);
  const ready = pending.filter((p) => p.attachment).map((p) => p.attachment!.id);
  const uploading = pending.some((p) => !p.attachment && !p.problem);
  const listRef = useRef<HTMLOListElement>(null);

  const markRead = (msgs: Message[]) => {
    const lastIncoming = msgs.find((m) => m.senderId === userId && !m.readAt);
    if (lastIncoming)
      void api
        .POST('/api/v1/conversations/{userId}/read', { params: { path: { userId } }, body: { upTo: lastIncoming.id } })
        .then(onChange);
  };
  // The newest message from the other party is marked read once it is on screen (first load, or live).
  const newest = thread.items[0];
  useEffect(() => {
    if (newest) markRead([newest]);
  }, [newest?.id]);
  useEffect(
    () =>
      onRealtime((e) => {
        if (e.type === 'message.created' && (e.message.senderId === userId || e.message.recipientId === userId)) add(e.message);
        if (e.type === 'message.read') invalidate('/api/v1/conversations/{userId}/messages');
      }),
    [userId],
  );
  // Follows the conversation to its newest message, but not when earlier ones are being loaded above.
  useEffect(() => {
    listRef.current?.scrollTo(0, listRef.current.scrollHeight);
  }, [newest?.id]);

  return (
    <section aria-labelledby="thread-h">
      <h2 id="thread-h">{t('conversations.thread')}</h2>
      <ProblemBanner problem={thread.problem} />
      {thread.hasMore && (
        <button type="button" class="secondary" disabled={thread.busy} onClick={thread.loadMore}>
          {t('conversations.earlier')}
        </button>
      )}
      {messages === null ? (
        <p aria-busy="true">{t('shell.loading')}</p>
      ) : (
        <ol class="messages" ref={listRef} aria-label={t('nav.messages')} aria-live="polite" tabIndex={0}>
          {[...messages].reverse().map((m) => (
            <li key={m.id} class={m.senderId === me ? 'mine' : ''}>
              <span class="visually-hidden">{m.senderId === me ? t('conversations.you') : t('conversations.they')}</span>
              <span class="body">{m.body}</span>
              {m.attachments.length > 0 && (
                <ul class="attachments" aria-label={t('conversations.attachments')}>
                  {m.attachments.map((a) => (
                    <li key={a.id}>
                      <AttachmentView a={a} />
                    </li>
                  ))}
                </ul>
              )}
              <br />
              <small class="muted">
                <When iso={m.createdAt} />
                {m.senderId === me && m.readAt ? ` · ${t('conversations.read')}` : ''}
              </small>
            </li>
          ))}
        </ol>
      )}
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          const r = await send.run(() =>
            api.POST('/api/v1/conversations/{userId}/messages', {
              params: { path: { userId } },
              body: { ...(text ? { body: text } : {}), ...(ready.length ? { attachmentIds: ready } : {}) },
            }),
          );
          if (r.ok && r.data) {
            const sent = r.data;
            setText('');
            setPending([]);
            add(sent);
            onChange();
          }
        }}
      >
        <ProblemBanner problem={send.problem} />
        <Field
          label={t('conversations.yourMessage')}
          name="body"
          multiline
          value={text}
          onInput={(e: Event) => setText((e.target as HTMLTextAreaElement).value)}
          problem={send.problem}
          required={ready.length === 0}
        />
        <AttachmentPicker pending={pending} setPending={setPending} />
        <button type="submit" disabled={send.busy || uploading}>
          {t('conversations.send')}
        </button>
      </form>
    </section>
  );
}
