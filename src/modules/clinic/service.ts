// The clinic's settings: one row an admin edits, read by everyone (the portal's shell, mails, invitations,
// the prescription PDF). The logo is judged by its bytes and re-encoded like an attachment's image.
import { createHash } from 'node:crypto';
import { loadSharp } from '../../platform/images.ts';
import { AppError } from '../../platform/errors.ts';
import { audit } from '../../platform/audit.ts';
import type { Executor } from '../../platform/db/index.ts';
import type { MailBrand } from '../../platform/mail.ts';
import type { Platform } from '../../platform/platform.ts';
import type { Actor, RequestMeta } from '../auth/index.ts';
import * as repo from './repo.ts';
import { contrastWithWhite, MIN_CONTRAST } from './contrast.ts';
import { toClinic, type Clinic, type ClinicSettingsBody } from './schemas.ts';

type Meta = RequestMeta & { actor: Actor };

/** A logo as sent: at most this many bytes (one more answers 413 before anything is decoded). */
export const LOGO_MAX_BYTES = 512 * 1024;
/** …and at most this many pixels, read from its header before it is decoded (413). */
export const LOGO_MAX_PIXELS = 16_000_000;
/** Stored no larger than this box (px), aspect kept: a header logo needs no more. */
export const LOGO_BOX = 512;

/** The clinic as anyone may read it. */
export async function clinic(ex: Executor): Promise<Clinic> {
  return toClinic(await repo.settings(ex));
}

/** What mails say of the clinic (MailWorker's brand). */
export async function mailBrand(ex: Executor): Promise<MailBrand> {
  const s = await repo.settings(ex);
  return { name: s.name, footer: s.mailFooter };
}

function colour(path: string, value: string | null): string | null {
  if (value === null) return null;
  const hex = value.toLowerCase();
  const ratio = contrastWithWhite(hex);
  if (ratio < MIN_CONTRAST) {
    throw new AppError(
      'VALIDATION_FAILED',
      `White text on ${hex} has a contrast of ${ratio.toFixed(2)}:1; at least ${MIN_CONTRAST}:1 is needed`,
      [
        {
          path,
          message: `White text on ${hex} has a contrast of ${ratio.toFixed(2)}:1 (WCAG AA needs ${MIN_CONTRAST}:1): choose a darker colour`,
        },
      ],
    );
  }
  return hex;
}

/** Replaces every setting (the logo aside); nothing is written unless all of it is valid. Audited. */
export async function update(p: Platform, meta: Meta, body: ClinicSettingsBody): Promise<Clinic> {
  const primaryColor = colour('/primaryColor', body.primaryColor);
  const accentColor = colour('/accentColor', body.accentColor);
  const footer = body.mailFooter?.replace(/\r\n/g, '\n').trim() || null;
  const row = await p.db.transaction(async (tx) => {
    const updated = await repo.updateSettings(tx, {
      name: body.name.trim() || body.name,
      addressLines: body.addressLines.map((l) => l.trim()).filter((l) => l !== ''),
      phone: body.phone?.trim() || null,
      contactEmail: body.contactEmail,
      primaryColor,
      accentColor,
      mailFooter: footer,
    });
    await audit(tx, meta, { action: 'clinic.update', resourceType: 'clinic' });
    return updated;
  });
  p.mail.setBrand({ name: row.name, footer: row.mailFooter });
  return toClinic(row);
}

const tooLarge = (detail: string) => new AppError('PAYLOAD_TOO_LARGE', detail);
const unsupported = () => new AppError('UNSUPPORTED_MEDIA_TYPE', 'A logo is a PNG or JPEG image, judged by its content');

function sniffLogo(b: Buffer): 'image/png' | 'image/jpeg' | null {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'image/jpeg';
  if (b.length >= 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return null;
}

/**
 * Decoded and written anew in its own format, no larger than LOGO_BOX: metadata (EXIF, GPS, XMP, ICC,
 * comments) and anything appended are left behind; the pixel limit is checked from the header first.
 */
async function reencode(input: Buffer, type: 'image/png' | 'image/jpeg'): Promise<Buffer> {
  const sharp = await loadSharp();
  try {
    const img = sharp(input, { limitInputPixels: LOGO_MAX_PIXELS, failOn: 'error' })
      .rotate()
      .resize({ width: LOGO_BOX, height: LOGO_BOX, fit: 'inside', withoutEnlargement: true });
    return await (type === 'image/png' ? img.png({ compressionLevel: 9 }) : img.jpeg({ quality: 90 })).toBuffer();
  } catch (e) {
    if (/pixel limit/i.test((e as Error).message ?? '')) throw tooLarge(`A logo may hold at most ${LOGO_MAX_PIXELS} pixels`);
    throw unsupported();
  }
}

export async function setLogo(p: Platform, meta: Meta, sent: Buffer): Promise<Clinic> {
  if (sent.length > LOGO_MAX_BYTES) throw tooLarge(`A logo may hold at most ${LOGO_MAX_BYTES} bytes`);
  const type = sniffLogo(sent);
  if (!type) throw unsupported();
  const logo = await reencode(sent, type);
  const logoSha256 = createHash('sha256').update(logo).digest('hex');
  const row = await p.db.transaction(async (tx) => {
    const updated = await repo.setLogo(tx, { logo, logoType: type, logoSha256 });
    await audit(tx, meta, { action: 'clinic.logo.update', resourceType: 'clinic' });
    return updated;
  });
  return toClinic(row);
}

export async function deleteLogo(p: Platform, meta: Meta): Promise<Clinic> {
  const row = await p.db.transaction(async (tx) => {
    const updated = await repo.setLogo(tx, { logo: null, logoType: null, logoSha256: null });
    await audit(tx, meta, { action: 'clinic.logo.delete', resourceType: 'clinic' });
    return updated;
  });
  return toClinic(row);
}

export const logo = (ex: Executor) => repo.logo(ex);
