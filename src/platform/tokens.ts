import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
  constructor(
    secret: string,
    readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
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
   * Verified by hand with node:crypto (HMAC-SHA256 and a constant-time compare) rather than jose's
   * WebCrypto path, which cost ~21 % of GET /me's CPU: we only ever accept the one algorithm we sign
   * with, so there is no algorithm negotiation to get wrong. The header must say alg HS256 (anything
   * else, `none` included, is refused before any other check), typ if present must be JWT, and the
   * claims are checked as jose checked them: exp, iat and sub required, exp in the future.
   */
  async verify(token: string, now = Date.now()): Promise<AccessClaims | null> {
    return this.verifySync(token, now);
  }

  verifySync(token: string, now = Date.now()): AccessClaims | null {
    if (typeof token !== 'string' || token.length > 4096) return null;
    const dot1 = token.indexOf('.');
    const dot2 = dot1 < 0 ? -1 : token.indexOf('.', dot1 + 1);
    if (dot1 <= 0 || dot2 <= dot1 + 1 || token.indexOf('.', dot2 + 1) !== -1) return null;
    const header = decodeSegment(token.slice(0, dot1));
    if (!header || header.alg !== 'HS256') return null;
    if (header.typ !== undefined && (typeof header.typ !== 'string' || header.typ.toUpperCase() !== 'JWT')) return null;
    // jose refuses a crit header it does not understand; we understand none.
    if (header.crit !== undefined || header.b64 !== undefined) return null;
    const signature = token.slice(dot2 + 1);
    if (!BASE64URL.test(signature)) return null;
    const given = Buffer.from(signature, 'base64url');
    const expected = createHmac('sha256', this.key).update(token.slice(0, dot2)).digest();
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    const payload = decodeSegment(token.slice(dot1 + 1, dot2));
    if (!payload) return null;
    const { sub, sid, role, exp, iat, nbf } = payload;
    // A token without an expiry would be valid forever; one without iat or sub is not one we issued.
    if (!isNumericDate(exp) || !isNumericDate(iat)) return null;
    if (nbf !== undefined && !isNumericDate(nbf)) return null;
    const nowSeconds = Math.floor(now / 1000);
    if (exp <= nowSeconds) return null;
    if (typeof nbf === 'number' && nbf > nowSeconds) return null;
    if (typeof sub !== 'string' || typeof sid !== 'string' || typeof role !== 'string') return null;
    if (!UUID.test(sub) || !UUID.test(sid)) return null;
    return { sub, sid, role: role as Role };
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

const isNumericDate = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A JWS segment's JSON object, or null when it is not base64url of a JSON object. */
function decodeSegment(segment: string): Record<string, unknown> | null {
  if (!BASE64URL.test(segment)) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
