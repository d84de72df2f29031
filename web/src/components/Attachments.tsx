// Attachments in the message box: pick, drop or paste files; each uploads at once with its progress; images
// show as thumbnails and documents as downloads. The bytes need the bearer token, so they are fetched
// through the client and shown from object URLs.
import { useEffect, useState } from 'preact/hooks';
import { api, asProblem, type Problem } from '../api/client';
import { session } from '../session';
import type { components } from '../api/schema';
import { t } from '../i18n';

export type AttachmentSummary = components['schemas']['Message']['attachments'][number];
type Uploaded = components['schemas']['Attachment'];

export const MAX_ATTACHMENTS = 5;
const ACCEPT = 'image/jpeg,image/png,image/webp,application/pdf';

/** One file on its way: its upload's progress, then its attachment, or the problem that stopped it. */
export interface Pending {
  key: string;
  name: string;
  progress: number;
  attachment?: Uploaded;
  problem?: Problem;
}

/** POST /attachments with upload progress (fetch has none), refreshing the access token once on 401. */
function uploadFile(file: File, onProgress: (fraction: number) => void, retried = false): Promise<Uploaded> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/v1/attachments');
    if (session.accessToken) xhr.setRequestHeader('authorization', `Bearer ${session.accessToken}`);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(asProblem(null));
    xhr.onload = async () => {
      let body: unknown = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 201) return resolve(body as Uploaded);
      if (xhr.status === 401 && !retried && (await session.refresh())) return uploadFile(file, onProgress, true).then(resolve, reject);
      reject(asProblem(body));
    };
    const form = new FormData();
    form.append('file', file, file.name || 'pasted-image.png');
    xhr.send(form);
  });
}

/** What the person reads when an upload is refused, by the contract's code. */
function explain(p: Problem): Problem {
  const detail: Record<string, string> = {
    PAYLOAD_TOO_LARGE: t('attachments.tooLarge'),
    UNSUPPORTED_MEDIA_TYPE: t('attachments.unsupported'),
    QUOTA_EXCEEDED: t('attachments.quota'),
  };
  return detail[p.code] ? { ...p, detail: detail[p.code] } : p;
}

/** The attachment picker of a message box; `pending` is the parent's state so that sending can read the ids. */
export function AttachmentPicker({ pending, setPending }: { pending: Pending[]; setPending: (f: (p: Pending[]) => Pending[]) => void }) {
  const [over, setOver] = useState(false);
  const add = (files: File[]) => {
    for (const file of files.slice(0, Math.max(0, MAX_ATTACHMENTS - pending.length))) {
      const key = `${Date.now()}-${Math.random()}`;
      const update = (patch: Partial<Pending>) => setPending((ps) => ps.map((p) => (p.key === key ? { ...p, ...patch } : p)));
      setPending((ps) => [...ps, { key, name: file.name || t('attachments.pasted'), progress: 0 }]);
      uploadFile(file, (progress) => update({ progress })).then(
        (attachment) => update({ attachment, progress: 1 }),
        (e: unknown) => update({ problem: explain(asProblem(e)) }),
      );
    }
  };
  // A screenshot pasted anywhere on the page while the message box is shown is attached.
  useEffect(() => {
    const onPaste = (e: ClipboardEvent) => {
      const files = [...(e.clipboardData?.files ?? [])];
      if (files.length) {
        e.preventDefault();
        add(files);
      }
    };
    document.addEventListener('paste', onPaste);
    return () => document.removeEventListener('paste', onPaste);
  });
  return (
    <div
      class={`attach${over ? ' dragover' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(e) => {
        e.preventDefault();
        setOver(false);
        add([...(e.dataTransfer?.files ?? [])]);
      }}
    >
      <label class="button secondary">
        {t('attachments.attach')}
        <input
          type="file"
          accept={ACCEPT}
          multiple
          class="visually-hidden"
          disabled={pending.length >= MAX_ATTACHMENTS}
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            add([...(input.files ?? [])]);
            input.value = '';
          }}
        />
      </label>
      {/* On a phone this opens the camera; elsewhere it is a second picker for images. */}
      <label class="button secondary">
        {t('attachments.photo')}
        <input
          type="file"
          accept="image/*"
          capture="environment"
          class="visually-hidden"
          disabled={pending.length >= MAX_ATTACHMENTS}
          onChange={(e) => {
            const input = e.target as HTMLInputElement;
            add([...(input.files ?? [])]);
            input.value = '';
          }}
        />
      </label>
      <small class="muted"> {t('attachments.drop', { n: MAX_ATTACHMENTS })}</small>
      {pending.length > 0 && (
        <ul class="attachments" aria-label={t('attachments.pending')}>
          {pending.map((p) => (
            <li key={p.key}>
              <span>{p.name}</span>{' '}
              {p.problem ? (
                <span role="alert" class="error">
                  {p.problem.detail ?? p.problem.title}
                </span>
              ) : p.attachment ? (
                <span class="muted">{t('attachments.ready')}</span>
              ) : (
                <progress max={1} value={p.progress} aria-label={t('attachments.uploading', { name: p.name })} />
              )}{' '}
              <button type="button" class="link" onClick={() => setPending((ps) => ps.filter((x) => x.key !== p.key))}>
                {t('attachments.remove')} <span class="visually-hidden">{p.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

async function blobOf(id: string): Promise<Blob | null> {
  const r = await api.GET('/api/v1/attachments/{id}', { params: { path: { id } }, parseAs: 'blob' });
  return r.response.ok ? (r.data as unknown as Blob) : null;
}

/** A sent attachment: an image as a thumbnail (opens full size), a document as a download. */
export function AttachmentView({ a }: { a: AttachmentSummary }) {
  const image = a.contentType.startsWith('image/');
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!image) return;
    let made: string | null = null;
    void blobOf(a.id).then((b) => b && setUrl((made = URL.createObjectURL(b))));
    return () => {
      if (made) URL.revokeObjectURL(made);
    };
  }, [a.id]);
  if (image) {
    return url ? (
      <a href={url} target="_blank" rel="noopener">
        <img class="thumb" src={url} alt={a.fileName} width={160} />
      </a>
    ) : (
      <span aria-busy="true">{a.fileName}</span>
    );
  }
  return (
    <button
      type="button"
      class="secondary"
      onClick={async () => {
        const b = await blobOf(a.id);
        if (!b) return;
        const href = URL.createObjectURL(b);
        const link = document.createElement('a');
        link.href = href;
        link.download = a.fileName;
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(href), 10_000);
      }}
    >
      {t('attachments.download', { name: a.fileName, kb: Math.max(1, Math.round(a.size / 1024)) })}
    </button>
  );
}
