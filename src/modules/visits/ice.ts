import { createHmac } from 'node:crypto';
import type { Config } from '../../platform/config.ts';

export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/**
 * TURN credentials in coturn's shared-secret scheme ("TURN REST API", `use-auth-secret`): the username
 * is `<expiry unix time>:<user id>` and the password base64(HMAC-SHA1(static-auth-secret, username)),
 * so coturn checks them without asking us and refuses them after the expiry.
 */
export function turnCredential(secret: string, userId: string, expiresAtSeconds: number): { username: string; credential: string } {
  const username = `${expiresAtSeconds}:${userId}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/**
 * The RTCPeerConnection `iceServers` for one participant. The TURN credentials are bound to the visit by
 * a short lifetime: they expire TURN_CREDENTIAL_TTL_SECONDS from now, and never after the visit closes.
 * coturn checks the expiry on every authenticated request (allocation refresh, permission and channel
 * refresh), so a relay outlives its credentials by a few minutes at most. An open visit's portal fetches
 * fresh ones before the expiry and restarts ICE; a cancelled appointment gets none (GET /visit answers
 * 409), so its relay stops at the next refresh. The expiry uses the real clock, which is the one coturn reads.
 */
export function iceServersFor(config: Config, userId: string, closesAt: Date): IceServer[] {
  const stun = config.iceServers.filter((u) => u.startsWith('stun'));
  const turn = config.iceServers.filter((u) => u.startsWith('turn'));
  const out: IceServer[] = [];
  if (stun.length) out.push({ urls: stun });
  if (turn.length && config.turnSecret) {
    const expires = Math.floor(Math.min(Date.now() / 1000 + config.turnCredentialTtlSeconds, closesAt.getTime() / 1000));
    out.push({ urls: turn, ...turnCredential(config.turnSecret, userId, expires) });
  }
  return out;
}
