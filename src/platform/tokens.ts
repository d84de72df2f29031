import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createVerifier } from 'fast-jwt';
import { SignJWT } from 'jose';

/** Roles are the identity module's; the platform signs and reads them as opaque strings. */
type Role = string;

export interface AccessClaims {
  sub: string;
  sid: string;
  role: Role;
}

/** Opaque tokens (refresh, mail links) are random; only their SHA-256 is stored. */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}

export class AccessTokens {
  private readonly key: Uint8Array;
  private readonly verifier: (token: string) => unknown;
  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
    this.verifier = createVerifier({
      key: secret,
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'iat', 'sub'],
      complete: true,
    });
  }

  /**
   * Signs an access token. HS256 is deterministic, so the same claims and the same `issuedAt` (seconds)
   * give the very same token: the refresh grace answers a second tab with the pair the first one got.
   */
  sign(claims: AccessClaims, issuedAt = Math.floor(Date.now() / 1000)): Promise<string> {
    return new SignJWT({ sid: claims.sid, role: claims.role })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.ttlSeconds)
      .sign(this.key);
  }

  /**
   * The refresh token that succeeds `token` in its rotation: derived with the signing key rather than
   * drawn at random, so it can be handed out again during the two-tab grace without being stored in
   * clear (only its SHA-256 is kept, like every refresh token). Unpredictable without the key.
   */
  successorOf(token: string): { token: string; hash: string } {
    const next = createHmac('sha256', this.key).update(`refresh-successor\0${token}`).digest('base64url');
    return { token: next, hash: hashToken(next) };
  }

  /**
   * Null for anything but a well-formed, unexpired HS256 token signed with our key (so never alg:none).
   *
   * fast-jwt (the verifier @fastify/jwt uses) checks the compact form, pins the algorithm to HS256 (anything
   * else, `none` and a missing alg included, is refused before the signature), verifies the HMAC with
   * node:crypto in constant time, and refuses an expired or not-yet-valid token or one without exp, iat or
   * sub. It is synchronous: jose's WebCrypto path cost ~21 % of GET /me's CPU. Our own rules follow: typ if
   * present must be JWT, no crit or b64 header (we understand none), exp and iat numbers, sub and sid UUIDs.
   */
  async verify(token: string): Promise<AccessClaims | null> {
    return this.verifySync(token);
  }

  verifySync(token: string): AccessClaims | null {
    if (typeof token !== 'string' || token.length > 4096) return null;
    let decoded: { header: Record<string, unknown>; payload: Record<string, unknown> };
    try {
      decoded = this.verifier(token) as typeof decoded;
    } catch {
      return null;
    }
    const { header, payload } = decoded;
    if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) return null;
    if (header.crit !== undefined || header.b64 !== undefined) return null;
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
    const { sub, sid, role, exp, iat, nbf } = payload;
    if (!isNumericDate(exp) || !isNumericDate(iat)) return null;
    if (nbf !== undefined && !isNumericDate(nbf)) return null;
    // exp is the first second the token is no longer valid (as jose reads it), whatever the milliseconds now.
    if (exp <= Math.floor(Date.now() / 1000)) return null;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof role !== 'string') return null;
    if (!UUID.test(sub) || !UUID.test(sid)) return null;
    return { sub, sid, role: role as Role };
  }
}

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
