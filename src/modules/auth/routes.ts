import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import cookie from '@fastify/cookie';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../platform/errors.ts';
import { problems, bearerSecurity } from '../../platform/http.ts';
import { actorOf, metaOf } from './actor.ts';
import * as auth from './service.ts';
import { startMailRequests } from './mail-requests.ts';
import {
  ChangePasswordBody,
  EmailBody,
  LoginBody,
  LoginResponse,
  RefreshBody,
  ResetPasswordBody,
  TokenBody,
  TokenPair,
  UserEnvelope,
} from './schemas.ts';

const tags = ['auth'];
const Accepted = Type.Null({ description: 'Accepted; the answer is the same whether or not the address is registered' });
const NoContent = Type.Null({ description: 'No content' });
const bearer = bearerSecurity;

// Browser mode (contract: Auth). The refresh token lives in an HttpOnly cookie that only the auth routes
// receive; CSRF is a signed double submit: the readable tc_csrf cookie holds an HMAC of the refresh token,
// which cookie-based refresh and logout must echo in X-CSRF-Token (a cross-site page can neither read it
// nor forge it, and it rotates with the refresh token).
const REFRESH_COOKIE = 'tc_refresh';
const CSRF_COOKIE = 'tc_csrf';
const AUTH_PATH = '/api/v1/auth';

export default async function authRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const p = app.platform;
  await app.register(cookie);

  const secure = p.config.publicUrl.startsWith('https:');
  const csrfFor = (refreshToken: string) => createHmac('sha256', p.config.jwtSecret).update(`csrf:${refreshToken}`).digest('base64url');
  const setSessionCookies = (reply: FastifyReply, refreshToken: string) => {
    const maxAge = p.config.refreshTokenTtlDays * 86400;
    reply.setCookie(REFRESH_COOKIE, refreshToken, { path: AUTH_PATH, httpOnly: true, sameSite: 'strict', secure, maxAge });
    reply.setCookie(CSRF_COOKIE, csrfFor(refreshToken), { path: '/', httpOnly: false, sameSite: 'strict', secure, maxAge });
  };
  const clearSessionCookies = (reply: FastifyReply) => {
    reply.clearCookie(REFRESH_COOKIE, { path: AUTH_PATH, httpOnly: true, sameSite: 'strict', secure });
    reply.clearCookie(CSRF_COOKIE, { path: '/', sameSite: 'strict', secure });
  };
  /** The refresh token of a cookie-mode request, after its CSRF header is checked; null without a cookie. */
  const cookieRefreshToken = (req: FastifyRequest): string | null => {
    const token = req.cookies[REFRESH_COOKIE];
    if (!token) return null;
    const sent = Buffer.from(String(req.headers['x-csrf-token'] ?? ''));
    const expected = Buffer.from(csrfFor(token));
    if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
      throw new AppError('FORBIDDEN', 'The X-CSRF-Token header is missing or does not match the session');
    }
    return token;
  };
  const browserModeNote =
    'With `session: "cookie"` (browser mode) the refresh token is read from its HttpOnly cookie and the `X-CSRF-Token` header must equal the `tc_csrf` cookie (else 403 FORBIDDEN); the new refresh token is set as a cookie, not returned.';

  // Forgot-password and resend-verification are handled off the request path (no enumeration by timing).
  let stopMailRequests: (() => Promise<void>) | null = null;
  app.addHook('onReady', async () => {
    stopMailRequests = startMailRequests(p);
  });
  app.addHook('preClose', async () => {
    await stopMailRequests?.();
  });

  app.post(
    '/auth/verify-email',
    {
      schema: {
        operationId: 'verifyEmail',
        tags,
        summary: 'Verify an email address with the token from the mail',
        body: TokenBody,
        response: { 200: UserEnvelope, ...problems(400, 401) },
      },
    },
    async (req) => auth.verifyEmail(p, metaOf(req), req.body.token),
  );

  app.post(
    '/auth/resend-verification',
    {
      schema: {
        operationId: 'resendVerification',
        tags,
        summary: 'Send the verification mail again (at most once a minute)',
        body: EmailBody,
        response: { 202: Accepted, ...problems(400) },
      },
    },
    async (req, reply) => {
      await auth.resendVerification(p, metaOf(req), req.body.email);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/auth/login',
    {
      onRequest: app.hashingRateLimit,
      schema: {
        operationId: 'login',
        tags,
        summary: 'Log in with username or email',
        description:
          'After 5 failures on one account from one client address within 15 minutes, that address answers 429 with Retry-After for that account; after 50 on the account from anywhere, everyone does; one address gets at most 100 failures per window over all accounts.',
        body: LoginBody,
        response: { 200: LoginResponse, ...problems(400, 401, 403, 429, 503) },
      },
    },
    async (req, reply) => {
      const result = await auth.login(p, metaOf(req), req.body.login, req.body.password);
      if (req.body.session !== 'cookie') return result;
      setSessionCookies(reply, result.refreshToken);
      const { refreshToken: _inCookie, ...rest } = result;
      return rest;
    },
  );

  app.post(
    '/auth/refresh',
    {
      schema: {
        operationId: 'refreshTokens',
        tags,
        summary: 'Rotate a refresh token; a replayed one revokes its session',
        description: browserModeNote,
        body: RefreshBody,
        response: { 200: TokenPair, ...problems(400, 401, 403) },
      },
    },
    async (req, reply) => {
      if ('refreshToken' in req.body) return auth.refresh(p, metaOf(req), req.body.refreshToken);
      const token = cookieRefreshToken(req);
      if (!token) throw new AppError('INVALID_TOKEN', 'No session cookie');
      const result = await auth.refresh(p, metaOf(req), token);
      setSessionCookies(reply, result.refreshToken);
      const { refreshToken: _inCookie, ...rest } = result;
      return rest;
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        operationId: 'logout',
        tags,
        summary: 'Revoke the session of this refresh token (idempotent)',
        description: `${browserModeNote} Browser mode also clears both cookies.`,
        body: RefreshBody,
        response: { 204: NoContent, ...problems(400, 403) },
      },
    },
    async (req, reply) => {
      if ('refreshToken' in req.body) {
        await auth.logout(p, metaOf(req), req.body.refreshToken);
        return reply.code(204).send(null);
      }
      const token = cookieRefreshToken(req);
      if (token) await auth.logout(p, metaOf(req), token);
      clearSessionCookies(reply);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/forgot-password',
    {
      schema: {
        operationId: 'forgotPassword',
        tags,
        summary: 'Send a password reset mail',
        body: EmailBody,
        response: { 202: Accepted, ...problems(400) },
      },
    },
    async (req, reply) => {
      await auth.forgotPassword(p, metaOf(req), req.body.email);
      return reply.code(202).send(null);
    },
  );

  app.post(
    '/auth/reset-password',
    {
      onRequest: app.hashingRateLimit,
      schema: {
        operationId: 'resetPassword',
        tags,
        summary: 'Set a new password with the token from the mail; revokes every session',
        body: ResetPasswordBody,
        response: { 204: NoContent, ...problems(400, 401, 429, 503) },
      },
    },
    async (req, reply) => {
      await auth.resetPassword(p, metaOf(req), req.body.token, req.body.password);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/auth/change-password',
    {
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
    },
    async (req, reply) => {
      await auth.changePassword(p, actorOf(req), req.body.currentPassword, req.body.newPassword);
      return reply.code(204).send(null);
    },
  );
}
