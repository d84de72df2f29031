// What an upload is, decided by its first bytes (its magic number), never by its name or declared type.
import type { AttachmentType } from './tables.ts';

/** Bytes needed to decide. */
export const SNIFF_BYTES = 16;

const startsWith = (b: Uint8Array, sig: number[], at = 0) => b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/**
 * JPEG (SOI + a marker), PNG (its 8-byte signature), WebP (a RIFF container of form WEBP) and PDF (`%PDF-` at
 * the very start: readers accept it later in the first kilobyte, which is how PDF polyglots hide; this does
 * not). Anything else, SVG and HTML included, is null.
 */
export function sniff(head: Uint8Array): AttachmentType | null {
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8)) return 'image/webp';
  if (startsWith(head, ascii('%PDF-'))) return 'application/pdf';
  return null;
}

export const EXTENSION: Record<AttachmentType, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
};

export const isImage = (t: AttachmentType) => t !== 'application/pdf';

/**
 * The name the file is listed and downloaded under: the client's name without any path, control or
 * separator characters, at most 200 characters, ending in the extension of what the bytes are (a JPEG
 * sent as `x.html` is `x.html.jpg`), so that no saved copy opens as something else.
 */
export function safeFileName(raw: string | undefined, type: AttachmentType): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  // Control characters, quotes and separators, and the bidirectional overrides that make `gpj.exe` read as `exe.jpg`.
  // eslint-disable-next-line no-control-regex
  const unsafe = /[\u0000-\u001f\u007f-\u009f"<>|:*?\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
  let name = base.normalize('NFC').replace(unsafe, '').trim();
  name = name.replace(/^\.+/, '').slice(0, 200);
  const ext = EXTENSION[type];
  if (!name) name = 'attachment';
  if (!name.toLowerCase().endsWith(`.${ext}`) && !(ext === 'jpg' && /\.jpe?g$/i.test(name))) name = `${name}.${ext}`;
  return name;
}

/** A Content-Disposition value: an ASCII fallback name and the exact name in RFC 5987 form. */
export function contentDisposition(kind: 'inline' | 'attachment', name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%]/g, '_');
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
