import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import multipart from '@fastify/multipart';
import { rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { Type } from 'typebox';
import { AppError, validation } from '../../platform/errors.ts';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as service from './service.ts';
import { AttachmentIdParams } from './schemas.ts';

const tags = ['attachments'];
const security = bearerSecurity;

/** Multipart errors of @fastify/multipart (busboy's limits) as the contract's problems. */
function multipartProblem(e: unknown, maxBytes: number): unknown {
  switch ((e as { code?: string }).code) {
    case 'FST_REQ_FILE_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', `An attachment may hold at most ${maxBytes} bytes`);
    case 'FST_PARTS_LIMIT':
    case 'FST_FILES_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return new AppError('PAYLOAD_TOO_LARGE', 'An upload is one part named file, and nothing else');
    case 'FST_PROTO_VIOLATION':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_MP_PREMATURE_CLOSE':
      return validation('/', 'The multipart body could not be read');
    default:
      return e;
  }
}

export default async function attachmentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  // Scoped to this module: no other route accepts multipart bodies.
  await app.register(multipart, { throwFileSizeLimit: true });

  const sweeper = new service.OrphanSweeper(p);
  app.addHook('onReady', async () => {
    service.prepareSpool(p);
    sweeper.start();
  });
  app.addHook('onClose', async () => sweeper.stop());

  app.post(
    '/attachments',
    {
      onRequest: app.guard({ roles: ['DOCTOR', 'PATIENT'], verifiedEmail: true, verifiedDoctor: true }),
      schema: {
        operationId: 'uploadAttachment',
        tags,
        security,
        summary: 'Upload a photo or a document',
        description:
          '`multipart/form-data` with exactly one part, a file named `file`, of at most ATTACHMENT_MAX_BYTES (default ' +
          '15 MiB; one byte more answers 413 PAYLOAD_TOO_LARGE, as do more parts). What it is is judged from its bytes, ' +
          'never its name or declared type: JPEG, PNG and WebP images are decoded and stored re-encoded, with every ' +
          'metadata block (EXIF, GPS, XMP, ICC) removed and the EXIF orientation applied; an image of more than ' +
          'ATTACHMENT_MAX_PIXELS (default 40 million) is refused (413) before it is decoded. PDF documents are stored ' +
          "as sent. Anything else is 415 UNSUPPORTED_MEDIA_TYPE. Stored attachments count against the account's " +
          'ATTACHMENT_QUOTA_BYTES (default 500 MiB; 409 QUOTA_EXCEEDED). Only its uploader sees it until a message ' +
          'carries it; one no message carries is removed after ATTACHMENT_ORPHAN_TTL_MINUTES (default a day). ' +
          'The whole request must arrive within REQUEST_TIMEOUT_MS (else 408, connection closed). Audited as attachment.create.',
        consumes: ['multipart/form-data'],
        body: {
          content: {
            'multipart/form-data': {
              // No `type`: the multipart parser hands the parts to the handler as a stream, not as a body.
              schema: Type.Unsafe<unknown>({
                properties: { file: { type: 'string', format: 'binary', description: 'The file (JPEG, PNG, WebP or PDF)' } },
                required: ['file'],
              }),
            },
          },
        },
        response: { 201: Type.Ref('Attachment'), ...problems(400, 401, 403, 409, 413, 415) },
      },
    },
    async (req, reply) => {
      if (!req.isMultipart()) throw validation('/', 'Send multipart/form-data with one file part named file');
      const maxBytes = p.config.attachmentMaxBytes;
      let received: service.Spooled | null = null;
      try {
        const parts = req.parts({
          limits: { fileSize: maxBytes, files: 1, fields: 1, parts: 2, fieldNameSize: 64, fieldSize: 1024, headerPairs: 16 },
        });
        for await (const part of parts) {
          if (part.type !== 'file' || part.fieldname !== 'file' || received) {
            throw validation('/', 'An upload is one part, a file named file');
          }
          received = await service.spool(p, part.file, part.filename);
          if (part.file.truncated) throw new AppError('PAYLOAD_TOO_LARGE', `An attachment may hold at most ${maxBytes} bytes`);
        }
      } catch (e) {
        if (received) await rm(received.path, { force: true });
        throw multipartProblem(e, maxBytes);
      }
      if (!received) throw validation('/file', 'A file part named file is required');
      return reply.code(201).send(await service.store(p, actorOf(req), received));
    },
  );

  app.get(
    '/attachments/:id',
    {
      onRequest: app.guard({ roles: ['DOCTOR', 'PATIENT', 'ADMIN'], verifiedDoctor: true }),
      schema: {
        operationId: 'downloadAttachment',
        tags,
        security,
        summary: 'Download an attachment',
        description:
          'Its uploader, and once a message carries it, the two participants of that conversation (a doctor while ' +
          'verified). Anyone else, admins included, 404. Served with `Content-Disposition: attachment` unless an ' +
          'image (`inline`), `Cache-Control: no-store`, `X-Content-Type-Options: nosniff` and ' +
          "`Content-Security-Policy: sandbox`, so nothing in it runs in the portal's origin. Streamed from the " +
          "database one chunk at a time. Audited as attachment.read naming the patient: it is in the patient's access log.",
        params: AttachmentIdParams,
        produces: ['image/jpeg', 'image/png', 'image/webp', 'application/pdf'],
        response: {
          200: Type.Unsafe<Readable>({ type: 'string', format: 'binary', description: 'The stored bytes' }),
          ...problems(400, 401, 403, 404),
        },
      },
    },
    async (req, reply) => {
      const { attachment, body } = await service.download(p, actorOf(req), req.params.id);
      return reply.headers(service.downloadHeaders(attachment)).send(body);
    },
  );
}
