import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { AppError } from '../../platform/errors.ts';
import { bearerSecurity, problems } from '../../platform/http.ts';
import { actorOf } from '../auth/index.ts';
import * as service from './service.ts';
import { ClinicSettingsBody } from './schemas.ts';

const tags = ['clinic'];
const security = bearerSecurity;

export default async function clinicRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  const onlyAdmins = app.guard({ roles: ['ADMIN'] });

  // Mails take the clinic's name and footer from here (the platform's outbox knows no module).
  p.mail.useBrand(() => service.mailBrand(p.db));
  app.addHook('onReady', async () => {
    await p.mail.refreshBrand();
  });

  // A logo arrives as the request body itself, whatever its declared type (it is judged by its bytes): read
  // here with its own limit, so one byte too many is 413 PAYLOAD_TOO_LARGE, not the framework's 400.
  // Scoped to this plugin; JSON bodies keep their own parser.
  app.addContentTypeParser('*', (_req, payload, done) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    payload.on('data', (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > service.LOGO_MAX_BYTES) {
        failed = true;
        done(new AppError('PAYLOAD_TOO_LARGE', `A logo may hold at most ${service.LOGO_MAX_BYTES} bytes`), undefined);
        return;
      }
      chunks.push(c);
    });
    payload.on('end', () => {
      if (!failed) done(null, Buffer.concat(chunks));
    });
    payload.on('error', (e: Error) => {
      if (!failed) done(e, undefined);
    });
  });

  app.get(
    '/clinic',
    {
      schema: {
        operationId: 'getClinic',
        tags,
        summary: 'The clinic: its name, address, contact, colours, mail footer and logo address (public)',
        description:
          'What the portal shows in its header and title and what mails and the prescription PDF print. Anyone may ' +
          'read it, signed in or not. Defaults: name "Telecare", no address, no colours (the portal\'s own), no logo.',
        response: { 200: Type.Ref('Clinic') },
      },
    },
    async (_req, reply) => reply.header('cache-control', 'no-cache').send(await service.clinic(p.db)),
  );

  app.put(
    '/admin/clinic',
    {
      onRequest: onlyAdmins,
      schema: {
        operationId: 'updateClinic',
        tags,
        security,
        summary: "Replace the clinic's settings (admin)",
        description:
          'Every field is sent (a PUT); the logo has its own endpoints. Colours are #rrggbb; white text on each must ' +
          'reach WCAG AA contrast (4.5:1), else 400 VALIDATION_FAILED naming the colour and its ratio, and nothing is ' +
          'written. The mail footer (at most 1,000 characters, line breaks kept) closes every mail delivered after ' +
          'the change; the name is the From display name and the name in subjects of mails written after it. ' +
          'Audited as clinic.update.',
        body: ClinicSettingsBody,
        response: { 200: Type.Ref('Clinic'), ...problems(400, 401, 403) },
      },
    },
    async (req) => service.update(p, actorOf(req), req.body),
  );

  app.put(
    '/admin/clinic/logo',
    {
      onRequest: onlyAdmins,
      schema: {
        operationId: 'setClinicLogo',
        tags,
        security,
        summary: "Upload the clinic's logo (admin)",
        description:
          `The body is the image itself (e.g. \`image/png\`), at most ${service.LOGO_MAX_BYTES} bytes (one more: 413 ` +
          `PAYLOAD_TOO_LARGE). PNG or JPEG, judged by its bytes, not its declared type (anything else: 415 ` +
          `UNSUPPORTED_MEDIA_TYPE); at most ${service.LOGO_MAX_PIXELS} pixels, read from its header before decoding ` +
          `(413). Stored re-encoded in its format, without metadata, no larger than ${service.LOGO_BOX}×${service.LOGO_BOX} ` +
          'px. Audited as clinic.logo.update.',
        consumes: ['image/png', 'image/jpeg', 'application/octet-stream'],
        body: {
          content: {
            'image/png': { schema: Type.Unsafe<unknown>({ format: 'binary' }) },
            'image/jpeg': { schema: Type.Unsafe<unknown>({ format: 'binary' }) },
            'application/octet-stream': { schema: Type.Unsafe<unknown>({ format: 'binary' }) },
          },
        },
        response: { 200: Type.Ref('Clinic'), ...problems(400, 401, 403, 413, 415) },
      },
    },
    async (req) => {
      if (!Buffer.isBuffer(req.body)) throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'A logo is a PNG or JPEG image, judged by its content');
      return service.setLogo(p, actorOf(req), req.body);
    },
  );

  app.delete(
    '/admin/clinic/logo',
    {
      onRequest: onlyAdmins,
      schema: {
        operationId: 'deleteClinicLogo',
        tags,
        security,
        summary: "Remove the clinic's logo (admin)",
        description: 'Answers the settings without a logo; removing none is no error. Audited as clinic.logo.delete.',
        response: { 200: Type.Ref('Clinic'), ...problems(401, 403) },
      },
    },
    async (req) => service.deleteLogo(p, actorOf(req)),
  );

  app.get(
    '/clinic/logo',
    {
      schema: {
        operationId: 'getClinicLogo',
        tags,
        summary: "The clinic's logo (public)",
        description:
          'The stored PNG or JPEG, with an ETag (its SHA-256): `If-None-Match` with it answers 304. The address ' +
          "`Clinic.logoUrl` names carries `?v=`, the hash's start, and may be cached for a year; without it (or " +
          'with an old one) it is revalidated. 404 without a logo.',
        querystring: Type.Object(
          {
            v: Type.Optional(
              Type.String({ maxLength: 64, pattern: '^[0-9a-f]*$', description: "The logo hash's start, as logoUrl names it" }),
            ),
          },
          { additionalProperties: false },
        ),
        produces: ['image/png', 'image/jpeg'],
        response: {
          200: Type.Unsafe<Buffer>({ type: 'string', format: 'binary', description: 'The logo' }),
          304: Type.Null({ description: 'Not modified' }),
          ...problems(400, 404),
        },
      },
    },
    async (req, reply) => {
      const found = await service.logo(p.db);
      if (!found) throw new AppError('NOT_FOUND', 'The clinic has no logo');
      const etag = `"${found.logoSha256}"`;
      const pinned = req.query.v !== undefined && found.logoSha256.startsWith(req.query.v) && req.query.v.length >= 16;
      reply
        .header('etag', etag)
        .header('cache-control', pinned ? 'public, max-age=31536000, immutable' : 'public, no-cache')
        .header('cross-origin-resource-policy', 'cross-origin');
      const match = req.headers['if-none-match'];
      if (match && match.split(',').some((m) => m.trim().replace(/^W\//, '') === etag)) return reply.code(304).send(null);
      return reply.type(found.logoType).send(found.logo);
    },
  );
}
