import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf } from '../../platform/guards.ts';
import * as auth from './service.ts';
import {
  ChangePasswordBody, EmailBody, LoginBody, LoginResponse, MeResponse, RefreshBody, RegisterDoctorBody,
  RegisterPatientBody, RegisteredDoctor, RegisteredPatient, ResetPasswordBody, TokenBody, TokenPair, UserEnvelope,
} from './schemas.ts';

const tags = ['auth'];
const Accepted = Type.Null({ description: 'Accepted; the answer is the same whether or not the address is registered' });
const NoContent = Type.Null({ description: 'No content' });
const bearer = bearerSecurity;

export default async function authRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;

  app.post('/auth/register/patient', {
    schema: { operationId: 'registerPatient', tags, summary: 'Register a patient; sends a verification mail', body: RegisterPatientBody, response: { 201: RegisteredPatient, ...problems(400, 409) } },
  }, async (req, reply) => reply.code(201).send(await auth.registerPatient(p, metaOf(req), req.body)));

  app.post('/auth/register/doctor', {
    schema: { operationId: 'registerDoctor', tags, summary: 'Register a doctor (verification PENDING); sends a verification mail', body: RegisterDoctorBody, response: { 201: RegisteredDoctor, ...problems(400, 409) } },
  }, async (req, reply) => reply.code(201).send(await auth.registerDoctor(p, metaOf(req), req.body)));

  app.post('/auth/verify-email', {
    schema: { operationId: 'verifyEmail', tags, summary: 'Verify an email address with the token from the mail', body: TokenBody, response: { 200: UserEnvelope, ...problems(400, 401) } },
  }, async (req) => auth.verifyEmail(p, metaOf(req), req.body.token));

  app.post('/auth/resend-verification', {
    schema: { operationId: 'resendVerification', tags, summary: 'Send the verification mail again (at most once a minute)', body: EmailBody, response: { 202: Accepted, ...problems(400) } },
  }, async (req, reply) => {
    await auth.resendVerification(p, metaOf(req), req.body.email);
    return reply.code(202).send(null);
  });

  app.post('/auth/login', {
    schema: {
      operationId: 'login',
      tags,
      summary: 'Log in with username or email',
      description: 'After 5 failures on one account within 15 minutes, attempts answer 429 with Retry-After until the window passes.',
      body: LoginBody,
      response: { 200: LoginResponse, ...problems(400, 401, 403, 429) },
    },
  }, async (req) => auth.login(p, metaOf(req), req.body.login, req.body.password));

  app.post('/auth/refresh', {
    schema: { operationId: 'refreshTokens', tags, summary: 'Rotate a refresh token; a replayed one revokes its session', body: RefreshBody, response: { 200: TokenPair, ...problems(400, 401, 403) } },
  }, async (req) => auth.refresh(p, metaOf(req), req.body.refreshToken));

  app.post('/auth/logout', {
    schema: { operationId: 'logout', tags, summary: 'Revoke the session of this refresh token (idempotent)', body: RefreshBody, response: { 204: NoContent, ...problems(400) } },
  }, async (req, reply) => {
    await auth.logout(p, metaOf(req), req.body.refreshToken);
    return reply.code(204).send(null);
  });

  app.post('/auth/forgot-password', {
    schema: { operationId: 'forgotPassword', tags, summary: 'Send a password reset mail', body: EmailBody, response: { 202: Accepted, ...problems(400) } },
  }, async (req, reply) => {
    await auth.forgotPassword(p, metaOf(req), req.body.email);
    return reply.code(202).send(null);
  });

  app.post('/auth/reset-password', {
    schema: { operationId: 'resetPassword', tags, summary: 'Set a new password with the token from the mail; revokes every session', body: ResetPasswordBody, response: { 204: NoContent, ...problems(400, 401) } },
  }, async (req, reply) => {
    await auth.resetPassword(p, metaOf(req), req.body.token, req.body.password);
    return reply.code(204).send(null);
  });

  app.post('/auth/change-password', {
    onRequest: app.guard(),
    schema: {
      operationId: 'changePassword',
      tags,
      summary: 'Change the password; revokes every other session',
      description: 'A wrong current password answers 401 INVALID_CREDENTIALS and counts toward the login throttle.',
      security: bearer,
      body: ChangePasswordBody,
      response: { 204: NoContent, ...problems(400, 401, 403, 429) },
    },
  }, async (req, reply) => {
    await auth.changePassword(p, actorOf(req), req.body.currentPassword, req.body.newPassword);
    return reply.code(204).send(null);
  });

  app.get('/me', {
    onRequest: app.guard(),
    schema: { operationId: 'getMe', tags, summary: 'The caller with their patient or doctor profile', security: bearer, response: { 200: MeResponse, ...problems(401, 403) } },
  }, async (req) => auth.me(p, actorOf(req)));
}
