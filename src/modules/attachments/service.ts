// Attachments: an upload spooled to a private temporary file (never whole in memory), judged by its bytes,
// images decoded and re-encoded without metadata, stored in chunks in one short transaction under the
// uploader's quota; downloads stream chunk by chunk to whoever the clinical access point lets see them.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, rmSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError, notFound } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import { now } from '../../platform/clock.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import { clinicalAccess, type ClinicalGrant } from '../appointments/index.ts';
import { cursorCodec, toPage } from '../../platform/pagination.ts';
import type { SQL } from 'drizzle-orm';
import * as repo from './repo.ts';
import { toAttachment, type Attachment } from './schemas.ts';
import { SNIFF_BYTES, contentDisposition, isImage, safeFileName, sniff } from './sniff.ts';
import type { AttachmentRow, AttachmentType } from './tables.ts';
import { PollingWorker } from '../../platform/worker.ts';
import { loadSharp } from '../../platform/images.ts';

type Meta = RequestMeta & { actor: Actor };

/**
 * Re-encodes run two at a time per process: applying an EXIF rotation needs the decoded image whole (up to
 * ATTACHMENT_MAX_PIXELS × 4 bytes), so concurrent uploads queue here instead of multiplying that memory.
 */
const REENCODES_AT_ONCE = 2;
let reencoding = 0;
const waiting: Array<() => void> = [];
async function oneOfFew<T>(work: () => Promise<T>): Promise<T> {
  if (reencoding >= REENCODES_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  else reencoding++;
  try {
    return await work();
  } finally {
    const next = waiting.shift();
    if (next) next();
    else reencoding--;
  }
}

/** Where uploads wait while they are received and re-encoded: private to the owner, emptied at start. */
export function spoolDir(p: Platform): string {
  return join(p.config.dataDir, 'uploads');
}

export function prepareSpool(p: Platform): void {
  const dir = spoolDir(p);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/** An upload received into a temporary file. */
export interface Spooled {
  path: string;
  fileName: string | undefined;
}

/** Receives one stream into a new private temporary file; the file is removed if receiving fails. */
export async function spool(p: Platform, stream: NodeJS.ReadableStream, fileName: string | undefined): Promise<Spooled> {
  const path = join(spoolDir(p), randomUUID());
  try {
    await pipeline(stream, createWriteStream(path, { mode: 0o600, flags: 'wx' }));
  } catch (e) {
    await rm(path, { force: true });
    throw e;
  }
  return { path, fileName };
}

async function head(path: string): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

const tooLarge = (p: Platform) => new AppError('PAYLOAD_TOO_LARGE', `An attachment may hold at most ${p.config.attachmentMaxBytes} bytes`);
const unsupported = () =>
  new AppError('UNSUPPORTED_MEDIA_TYPE', 'Accepted are JPEG, PNG and WebP images and PDF documents, judged by their content');
const overQuota = (p: Platform) =>
  new AppError('QUOTA_EXCEEDED', `Stored attachments may not exceed ${p.config.attachmentQuotaBytes} bytes per account`);

/**
 * Decodes the image and writes it anew in its own format: every metadata block (EXIF, GPS, XMP, comments,
 * ICC profiles: pixels are converted to sRGB) and anything appended or smuggled into ancillary chunks is
 * left behind; the orientation EXIF asked for is applied to the pixels first. The pixel limit is checked
 * from the header, before anything is decoded, so a small file that would decode to gigapixels costs nothing.
 */
async function reencode(p: Platform, input: string, type: AttachmentType): Promise<string> {
  const output = `${input}.out`;
  const sharp = await loadSharp();
  try {
    let img = sharp(input, { limitInputPixels: p.config.attachmentMaxPixels, failOn: 'error', sequentialRead: true }).rotate();
    img = type === 'image/jpeg' ? img.jpeg({ quality: 90 }) : type === 'image/png' ? img.png() : img.webp({ quality: 90 });
    await oneOfFew(() => img.toFile(output));
  } catch (e) {
    await rm(output, { force: true });
    const message = (e as Error).message ?? '';
    if (/pixel limit/i.test(message)) {
      throw new AppError('PAYLOAD_TOO_LARGE', `An image may hold at most ${p.config.attachmentMaxPixels} pixels`);
    }
    // Not decodable as what its signature claims: not an accepted file.
    throw unsupported();
  }
  return output;
}

/** Stores a received upload (and removes its temporary files, whatever happens). */
export async function store(p: Platform, meta: Meta, received: Spooled): Promise<Attachment> {
  // Minted first: an unverified doctor is refused here like everywhere patient data is written.
  clinicalAccess(p, meta.actor, 'messages');
  const files = [received.path];
  try {
    const type = sniff(await head(received.path));
    if (!type) throw unsupported();
    const uploaderId = meta.actor.userId;
    // A cheap look before decoding anything: an account at its quota spends no CPU on re-encoding.
    const sent = isImage(type) ? 1 : (await stat(received.path)).size;
    if ((await repo.usage(p.db, uploaderId)) + sent > p.config.attachmentQuotaBytes) throw overQuota(p);
    const path = isImage(type) ? await reencode(p, received.path, type) : received.path;
    if (path !== received.path) files.push(path);
    const size = (await stat(path)).size;
    if (size > p.config.attachmentMaxBytes) throw tooLarge(p);
    if (size === 0) throw unsupported();
    // Both digests in one read of the file: SHA-256 for the record, SHA-1 (base64) for FHIR's Attachment.hash.
    const hash = createHash('sha256');
    const sha1Hash = createHash('sha1');
    for await (const piece of createReadStream(path)) {
      hash.update(piece as Buffer);
      sha1Hash.update(piece as Buffer);
    }
    const sha256 = hash.digest('hex');
    const sha1 = sha1Hash.digest('base64');
    const row = await p.db.transaction(async (tx) => {
      if ((await repo.lockedUsage(tx, uploaderId)) + size > p.config.attachmentQuotaBytes) throw overQuota(p);
      const patientId = meta.actor.role === 'PATIENT' ? uploaderId : null;
      const fileName = safeFileName(received.fileName, type);
      const inserted = await repo.insertAttachment(tx, { uploaderId, patientId, fileName, contentType: type, size, sha256, sha1 });
      let n = 0;
      for await (const piece of createReadStream(path, { highWaterMark: repo.CHUNK_BYTES })) {
        await repo.insertChunk(tx, inserted.id, n++, piece as Buffer);
      }
      await audit(tx, meta, { action: 'attachment.create', resourceType: 'attachment', resourceId: inserted.id, patientId });
      return inserted;
    });
    return toAttachment(row);
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

/**
 * A pull stream over an attachment's chunks: each read fetches the next chunk and nothing more, so a
 * download holds one chunk in memory whatever the file's size, and a slow reader slows the reads.
 */
export function chunkStream(fetch: (n: number) => Promise<Buffer | null>, count: number): Readable {
  let n = 0;
  return new Readable({
    highWaterMark: 1,
    read() {
      if (n >= count) {
        this.push(null);
        return;
      }
      fetch(n++).then(
        (bytes) =>
          bytes
            ? this.push(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
            : this.destroy(new Error('attachment chunk missing')),
        (err: Error) => this.destroy(err),
      );
    },
  });
}

export interface Download {
  attachment: AttachmentRow;
  body: Readable;
}

/**
 * The headers every download of stored bytes carries (GET /attachments/{id} and FHIR's Binary alike): its
 * stored type and length, `attachment` unless an image, never cached, never sniffed, and a sandbox CSP so
 * nothing in it runs in the portal's origin.
 */
export function downloadHeaders(a: AttachmentRow): Record<string, string> {
  return {
    'content-type': a.contentType,
    'content-length': String(a.size),
    'content-disposition': contentDisposition(isImage(a.contentType) ? 'inline' : 'attachment', a.fileName),
    'cache-control': 'private, no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'",
  };
}

/**
 * The attachment's bytes if the caller may see it (the clinical access point's `messages` grant: the
 * uploader, the two parties of the thread its message is in; admins never). Every download is audited,
 * naming the patient, so a download by anyone but the patient is in the patient's access log.
 */
export async function download(p: Platform, meta: Meta, id: string): Promise<Download> {
  const grant = clinicalAccess(p, meta.actor, 'messages');
  const attachment = await p.db.transaction(async (tx) => {
    const row = await repo.findReadable(tx, grant, id);
    if (!row) throw notFound('attachment');
    await audit(tx, meta, { action: 'attachment.read', resourceType: 'attachment', resourceId: row.id, patientId: row.patientId });
    return row;
  });
  const count = Math.ceil(Number(attachment.size) / repo.CHUNK_BYTES);
  return { attachment, body: chunkStream((n) => repo.chunk(p.db, attachment.id, n), count) };
}

/** Removes uploads no message carries once they are older than ATTACHMENT_ORPHAN_TTL_MINUTES; returns how many. */
export async function sweepOrphans(p: Platform): Promise<number> {
  const cutoff = new Date(now(p).getTime() - p.config.attachmentOrphanTtlMinutes * 60_000);
  let total = 0;
  for (;;) {
    const n = await repo.deleteOrphans(p.db, cutoff, 100);
    total += n;
    if (n < 100) return total;
  }
}

/** Runs sweepOrphans now and then (every quarter of the TTL, at most hourly), in every instance. */
export class OrphanSweeper extends PollingWorker {
  constructor(p: Platform) {
    super({
      name: 'attachment sweep',
      log: p.log,
      pass: async () => {
        const n = await sweepOrphans(p);
        if (n) p.log.info({ removed: n }, 'unsent attachments removed');
      },
      // A quarter of the time an upload may wait, between one minute and one hour.
      intervalMs: () => Math.min(3_600_000, Math.max(60_000, (p.config.attachmentOrphanTtlMinutes * 60_000) / 4)),
    });
  }
}

// ---------- what the messages module asks of attachments ----------

/**
 * Ties the sender's unsent uploads to the message being sent, in its transaction: every id must be an upload
 * of the sender that no message carries yet (and, for a patient's, one of theirs), else 400 and the message
 * is not sent. Returns their summaries in the order asked.
 */
export async function attachToMessage(
  tx: Executor,
  grant: Parameters<typeof repo.claimForMessage>[1],
  ids: string[],
  message: { id: string; patientId: string; doctorId: string; senderId: string },
) {
  const claimed = await repo.claimForMessage(tx, grant, ids, message);
  if (claimed.length !== ids.length) {
    const found = new Set(claimed.map((r) => r.id));
    const bad = ids.findIndex((id) => !found.has(id));
    const message = 'is not an upload of yours that no message carries yet';
    throw new AppError('VALIDATION_FAILED', message, [{ path: `/attachmentIds/${bad}`, message }]);
  }
  const byId = new Map(claimed.map((r) => [r.id, r]));
  return ids.map((id) => {
    const r = byId.get(id)!;
    return { id: r.id, fileName: r.fileName, contentType: r.contentType, size: Number(r.size) };
  });
}

/** The attachment summaries of messages the grant covers, by message id. */
export async function summariesByMessage(tx: Executor, grant: Parameters<typeof repo.summariesOf>[1], messageIds: string[]) {
  const out = new Map<string, { id: string; fileName: string; contentType: AttachmentType; size: number }[]>();
  for (const s of await repo.summariesOf(tx, grant, messageIds)) {
    const list = out.get(s.messageId) ?? [];
    list.push({ id: s.id, fileName: s.fileName, contentType: s.contentType, size: s.size });
    out.set(s.messageId, list);
  }
  return out;
}

// ---------- what the FHIR API and the export ask of attachments ----------

/** An attachment of a patient's record, as FHIR's DocumentReference describes it. */
export interface RecordDocument {
  id: string;
  patientId: string;
  doctorId: string;
  uploaderId: string;
  /** The message that carries it (the Communication). */
  messageId: string;
  fileName: string;
  contentType: AttachmentType;
  size: number;
  /** SHA-1 of the bytes, base64 (FHIR's Attachment.hash); null for files stored before migrations/0034. */
  sha1: string | null;
  createdAt: Date;
}

const toDocument = (r: AttachmentRow): RecordDocument => ({
  id: r.id,
  patientId: r.patientId!,
  doctorId: r.doctorId!,
  uploaderId: r.uploaderId,
  messageId: r.messageId!,
  fileName: r.fileName,
  contentType: r.contentType,
  size: Number(r.size),
  sha1: r.sha1,
  createdAt: r.createdAt,
});

/**
 * One attachment of a record by id, under the same `messages` grant as a download (the two parties of its
 * thread; admins never), audited as a download is (`attachment.read` naming the patient): 404 otherwise.
 */
export async function readDocument(p: Platform, meta: Meta, id: string): Promise<RecordDocument> {
  const grant = clinicalAccess(p, meta.actor, 'messages');
  return p.db.transaction(async (tx) => {
    const row = await repo.findDocument(tx, grant, id);
    if (!row) throw notFound('document reference');
    await audit(tx, meta, { action: 'attachment.read', resourceType: 'attachment', resourceId: row.id, patientId: row.patientId });
    return toDocument(row);
  });
}

const DOCUMENT_CURSOR = cursorCodec('instant', 'uuid');

/**
 * A page of the patient's record attachments the caller may see (their threads with the patient), newest
 * first, narrowed by `filter` in the same query. Each attachment shown is audited as a download is; a page
 * that shows nothing writes nothing against the patient (the contract: what was disclosed).
 */
export async function searchDocuments(
  p: Platform,
  meta: Meta,
  patientId: string,
  q: { limit: number; cursor?: string },
  filter?: SQL,
): Promise<{ items: RecordDocument[]; nextCursor: string | null }> {
  const grant = clinicalAccess(p, meta.actor, 'messages', patientId);
  const after = DOCUMENT_CURSOR.decode(q.cursor, '/_cursor');
  return p.db.transaction(async (tx) => {
    const rows = await repo.documentsPage(tx, grant, after && [after[0], after[1]], q.limit, filter);
    const page = toPage(rows, q.limit, (r) => [r.createdAt.toISOString(), r.id], toDocument);
    for (const d of page.items) {
      await audit(tx, meta, { action: 'attachment.read', resourceType: 'attachment', resourceId: d.id, patientId: d.patientId });
    }
    return page;
  });
}

/**
 * Up to `limit + 1` record attachments the grant covers after `key`, newest first, not audited: for a caller
 * that records the disclosure itself ($everything's page event, the export's export.read).
 */
export async function documentPage(
  ex: Executor,
  grant: ClinicalGrant,
  key: [string, string] | null,
  limit: number,
): Promise<{ key: [string, string]; item: RecordDocument }[]> {
  const rows = await repo.documentsPage(ex, grant, key, limit);
  return rows.map((r) => ({ key: [r.createdAt.toISOString(), r.id], item: toDocument(r) }));
}
