import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

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

  /** Null for anything but a well-formed, unexpired HS256 token signed with our key (so never alg:none). */
  async verify(token: string): Promise<AccessClaims | null> {
    try {
      // A token without an expiry would be valid forever; one without iat or sub is not one we issued.
      const { payload } = await jwtVerify(token, this.key, { algorithms: ['HS256'], requiredClaims: ['exp', 'iat', 'sub'] });
      const { sub, sid, role } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof sid !== 'string' || typeof role !== 'string') return null;
      if (!UUID.test(sub) || !UUID.test(sid)) return null;
      return { sub, sid, role: role as Role };
    } catch (e) {
      if (e instanceof joseErrors.JOSEError || e instanceof TypeError) return null;
      throw e;
    }
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
