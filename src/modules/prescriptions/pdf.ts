import { existsSync } from 'node:fs';
import { oneLine } from '../../platform/text.ts';
import { instantText, t, type Locale } from '../../platform/i18n.ts';
import type { Clinic } from '../clinic/index.ts';
import type { PrescriptionRow } from './repo.ts';

export interface PdfParties {
  doctor: { firstname: string; lastname: string; specialization: string; licenseNumber: string; timeZone: string };
  patient: { firstname: string; lastname: string; dateOfBirth: string; locale: Locale; timeZone: string };
}

/** What the page prints besides the prescription and its parties: the practice, and how to verify the paper. */
export interface PdfFrame {
  clinic: Pick<Clinic, 'name' | 'addressLines' | 'phone' | 'contactEmail'>;
  /** The stored (re-encoded PNG or JPEG) logo, or null. */
  logo: Buffer | null;
  verification: { code: string; url: string };
}

/**
 * The language the PDF is printed in: the patient's. Arabic is printed in English: pdfkit lays text out left
 * to right without the Unicode bidirectional algorithm, so Arabic words would print in reverse order beside
 * the Latin names and numbers (docs/decisions.md, "The prescription PDF's languages").
 */
export const pdfLocale = (l: Locale): Locale => (l === 'ar' ? 'en' : l);

/**
 * The zone the PDF's times are printed in: the patient's own; the doctor's when the patient's is still the
 * account default (UTC), which for most patients means they never set one.
 */
export const pdfZone = (parties: PdfParties): string =>
  parties.patient.timeZone === 'UTC' && parties.doctor.timeZone !== 'UTC' ? parties.doctor.timeZone : parties.patient.timeZone;

// pdfkit's built-in Helvetica only covers Latin-1; a Unicode TrueType font, when the host has one, prints
// names like "Łukasz" or "Jürgen Müller" correctly. Helvetica remains the fallback.
const FONT_CANDIDATES: [string, string][] = [
  ['/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf', '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf'],
  ['/usr/share/fonts/dejavu/DejaVuSans.ttf', '/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf'],
];
const FONTS = FONT_CANDIDATES.find(([r, b]) => existsSync(r) && existsSync(b)) ?? null;

// Characters the standard fonts' WinAnsi encoding can print: Latin-1 plus a few typographic extras.
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');
const NO_DECOMPOSITION: Record<string, string> = { Ł: 'L', ł: 'l', Đ: 'D', đ: 'd', ı: 'i', Ħ: 'H', ħ: 'h', Ŧ: 'T', ŧ: 't' };
const winAnsi = (c: string) => (c >= ' ' && c <= '~') || (c >= '\u00a0' && c <= '\u00ff') || c === '\n' || WIN_ANSI_EXTRA.has(c);

/**
 * Without a Unicode font, text is folded to what Helvetica can print ("Łukasz Żółć" → "Lukasz Zólc"),
 * never garbled; a character with no Latin equivalent becomes "?".
 */
export function winAnsiSafe(text: string): string {
  let out = '';
  for (const c of text) {
    if (winAnsi(c)) {
      out += c;
      continue;
    }
    const folded = NO_DECOMPOSITION[c] ?? c.normalize('NFKD').replace(/\p{M}/gu, '');
    out += [...folded].every(winAnsi) && folded !== '' ? folded : '?';
  }
  return out;
}

type Parts = { rx: PrescriptionRow; parties: PdfParties; clinic: PdfFrame['clinic'] };

/** Applies `line` to every printed single-line text field and `multi` to the multi-line notes. */
function mapTextFields({ rx, parties, clinic }: Parts, line: (s: string) => string, multi: (s: string) => string): Parts {
  const opt = (v: string | undefined) => (v === undefined ? undefined : line(v));
  const person = <T extends { firstname: string; lastname: string }>(p: T) => ({
    ...p,
    firstname: line(p.firstname),
    lastname: line(p.lastname),
  });
  return {
    rx: {
      ...rx,
      notes: rx.notes === null ? null : multi(rx.notes),
      revocationReason: rx.revocationReason === null ? null : line(rx.revocationReason),
      allergyOverrideReason: rx.allergyOverrideReason === null ? null : line(rx.allergyOverrideReason),
      items: rx.items.map((i) => ({
        ...i,
        medication: line(i.medication),
        strength: opt(i.strength),
        dosage: line(i.dosage),
        frequency: line(i.frequency),
        route: opt(i.route),
        instructions: opt(i.instructions),
      })),
    },
    parties: {
      doctor: {
        ...person(parties.doctor),
        specialization: line(parties.doctor.specialization),
        licenseNumber: line(parties.doctor.licenseNumber),
      },
      patient: { ...person(parties.patient), dateOfBirth: line(parties.patient.dateOfBirth) },
    },
    clinic: {
      name: line(clinic.name),
      addressLines: clinic.addressLines.map(line),
      phone: clinic.phone === null ? null : line(clinic.phone),
      contactEmail: clinic.contactEmail === null ? null : line(clinic.contactEmail),
    },
  };
}

const dateTimeUtc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Every single-line field as exactly one line: a control character or line separator that reached the
 * database before the schemas refused them prints as U+FFFD, never as a line break (a patient named
 * "Jane\nRx 2. Oxycodone" once printed a forged item on their own prescription). Notes may span lines.
 */
const singleLineFields = (parts: Parts): Parts => mapTextFields(parts, oneLine, (notes) => notes);
/** Without a Unicode font every field, notes too, is folded to what Helvetica prints (winAnsiSafe). */
const foldForStandardFont = (parts: Parts): Parts => mapTextFields(parts, winAnsiSafe, winAnsiSafe);

/**
 * Renders a printable A4 prescription in the patient's language, its times in their zone (named): the
 * practice's header, the parties, each item with strength and dose apart, and in place of a handwritten
 * signature the electronic issue with the code and address a pharmacist verifies it at. A revoked one
 * carries a red REVOKED stamp and the reason.
 */
export async function renderPrescriptionPdf(original: PrescriptionRow, originalParties: PdfParties, frame: PdfFrame): Promise<Buffer> {
  // pdfkit (and fontkit under it) loaded with the first PDF, not at start-up: ~0.4 s and ~25 MiB that a
  // server which prints no prescription should not pay (docs/decisions.md, "Start-up time and memory").
  const { default: PDFDocument } = await import('pdfkit');
  const safe = singleLineFields({ rx: original, parties: originalParties, clinic: frame.clinic });
  const { rx, parties, clinic } = FONTS ? safe : foldForStandardFont(safe);
  const locale = pdfLocale(originalParties.patient.locale);
  const zone = pdfZone(originalParties);
  const say = (key: string, values?: Record<string, string | number>) => {
    const text = oneLine(t(locale, key, values));
    return FONTS ? text : winAnsiSafe(text);
  };
  const doctorFull = `${parties.doctor.firstname} ${parties.doctor.lastname}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    bufferPages: true,
    lang: locale,
    info: {
      Title: `${say('pdf.title')} ${rx.id}`,
      Author: `Dr. ${doctorFull}`,
      Subject: say('pdf.subject'),
      Creator: clinic.name,
    },
  });
  const regular = FONTS ? 'body' : 'Helvetica';
  const bold = FONTS ? 'bold' : 'Helvetica-Bold';
  if (FONTS) {
    doc.registerFont('body', FONTS[0]);
    doc.registerFont('bold', FONTS[1]);
  }
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { doctor, patient } = parties;
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;

  /**
   * One line that never wraps: a field too long for the width is printed smaller, whole, rather than
   * wrapped onto a line that would look like a line of its own (padding spaces before "Rx 2. …").
   */
  const fitLine = (text: string, x: number, w: number, font: string, size: number) => {
    doc.font(font).fontSize(size);
    const natural = doc.widthOfString(text);
    if (natural > w) doc.fontSize(Math.max(2, (size * w) / natural) * 0.98);
    doc.text(text, x, doc.y, { width: w, lineBreak: false });
    doc.fontSize(size);
  };

  // The practice's header: its logo (if any) on the left, its name, address and contact beside it.
  const headerTop = doc.y;
  let textLeft = left;
  if (frame.logo) {
    try {
      doc.image(frame.logo, left, headerTop, { fit: [96, 56] });
      textLeft = left + 108;
    } catch {
      // A stored logo is a re-encoded PNG or JPEG; one pdfkit cannot read is left out rather than failing the document.
    }
  }
  doc.y = headerTop;
  fitLine(clinic.name, textLeft, left + width - textLeft, bold, 15);
  const contact = [
    ...clinic.addressLines,
    [clinic.phone ? say('pdf.phone', { value: clinic.phone }) : null, clinic.contactEmail].filter(Boolean).join('   ·   '),
  ].filter((l) => l !== '');
  doc.fillColor('#444');
  for (const l of contact) fitLine(l, textLeft, left + width - textLeft, regular, 9);
  doc.fillColor('black');
  doc.x = left;
  doc.y = Math.max(doc.y, frame.logo ? headerTop + 58 : doc.y) + 8;
  doc
    .moveTo(left, doc.y)
    .lineTo(left + width, doc.y)
    .strokeColor('#999')
    .stroke();
  doc.moveDown(0.8);

  doc.font(bold).fontSize(20).text(say('pdf.title'), left, doc.y, { align: 'left' });
  doc
    .font(regular)
    .fontSize(9)
    .fillColor('#555')
    .text(say('pdf.id', { id: rx.id }));
  doc.moveDown(0.8).fillColor('black');

  const top = doc.y;
  const col = left + width / 2;
  const colWidth = width / 2 - 12;
  const issuedText = instantText(rx.issuedAt, locale, zone);
  const issuedLocal = FONTS ? issuedText : winAnsiSafe(issuedText);
  doc.font(bold).fontSize(11).text(say('pdf.prescriber'), left, top);
  fitLine(`Dr. ${doctor.firstname} ${doctor.lastname}`, left, colWidth, regular, 10);
  fitLine(say('pdf.specialization', { value: doctor.specialization }), left, colWidth, regular, 10);
  fitLine(say('pdf.license', { value: doctor.licenseNumber }), left, colWidth, regular, 10);
  const afterDoctor = doc.y;
  doc.font(bold).fontSize(11).text(say('pdf.patient'), col, top);
  fitLine(`${patient.firstname} ${patient.lastname}`, col, colWidth, regular, 10);
  fitLine(say('pdf.dateOfBirth', { value: patient.dateOfBirth }), col, colWidth, regular, 10);
  fitLine(say('pdf.issued', { when: issuedLocal }), col, colWidth, regular, 10);
  doc.fillColor('#555');
  fitLine(`(${dateTimeUtc(rx.issuedAt)})`, col, colWidth, regular, 8);
  doc.fillColor('black');
  doc.x = left;
  doc.y = Math.max(afterDoctor, doc.y) + 12;
  doc
    .moveTo(left, doc.y)
    .lineTo(left + width, doc.y)
    .strokeColor('#999')
    .stroke();
  doc.moveDown(0.8);

  if (rx.status === 'REVOKED') {
    doc
      .font(bold)
      .fontSize(12)
      .fillColor('#c00')
      .text(say('pdf.revoked', { when: dateTimeUtc(rx.revokedAt ?? rx.issuedAt) }), left, doc.y, { width });
    // Long free text wraps, but only inside its own indented block, under its label.
    if (rx.revocationReason)
      doc
        .font(regular)
        .fontSize(10)
        .text(say('pdf.reason', { reason: rx.revocationReason }), left + 14, doc.y, { width: width - 14 });
    doc.fillColor('black').moveDown(0.8);
  }

  doc.font(bold).fontSize(13).text('Rx', left, doc.y);
  doc.moveDown(0.3);
  rx.items.forEach((item, i) => {
    // With a strength, strength and dose are two fields; an item written before strengths existed holds
    // both in its dosage and prints as it always did ("Amoxicillin 500 mg").
    const strength = item.strength;
    fitLine(`${i + 1}. ${item.medication} ${strength ?? item.dosage}`, left, width, bold, 11);
    const lines = [
      strength ? say('pdf.strength', { value: strength }) : null,
      strength ? say('pdf.dose', { value: item.dosage }) : null,
      item.route ? say('pdf.route', { value: item.route }) : null,
      say('pdf.frequency', { value: item.frequency }),
      say('pdf.duration', { n: item.durationDays }),
      item.quantity !== undefined ? say('pdf.quantity', { n: item.quantity }) : null,
    ].filter((l): l is string => l !== null);
    fitLine(lines.join('   ·   '), left + 14, width - 14, regular, 10);
    if (item.instructions) doc.text(say('pdf.instructions', { value: item.instructions }), left + 14, doc.y, { width: width - 14 });
    doc.moveDown(0.5);
  });

  if (rx.allergyOverrideReason) {
    // Issued over an allergy conflict: the pharmacist sees that the prescriber knew, and why.
    doc.moveDown(0.4).font(bold).fontSize(11).fillColor('#c00').text(say('pdf.allergyOverride'), left, doc.y);
    doc
      .font(regular)
      .fontSize(10)
      .text(say('pdf.allergyOverrideText', { reason: rx.allergyOverrideReason }), left + 14, doc.y, { width: width - 14 });
    doc.fillColor('black');
  }

  if (rx.notes) {
    doc.moveDown(0.4).font(bold).fontSize(11).text(say('pdf.notes'), left, doc.y);
    doc
      .font(regular)
      .fontSize(10)
      .text(rx.notes, left + 14, doc.y, { width: width - 14 });
  }

  // Issued electronically: no handwritten signature line, but who issued it, when, and where a pharmacist
  // checks that the paper matches a valid prescription.
  doc.moveDown(2);
  doc
    .font(regular)
    .fontSize(10)
    .text(say('pdf.issuedBy', { doctor: doctorFull, license: doctor.licenseNumber, when: issuedLocal }), left, doc.y, { width });
  doc
    .moveDown(0.3)
    .font(bold)
    .fontSize(10)
    .text(say('pdf.verify', { code: frame.verification.code }), left, doc.y, { width });
  doc.font(regular).fontSize(9).fillColor('#333').text(frame.verification.url, left, doc.y, { width, link: frame.verification.url });
  doc.fillColor('black');

  if (rx.status === 'REVOKED') {
    // A diagonal stamp across the page, so a printed copy cannot pass as valid.
    const range = doc.bufferedPageRange();
    for (let p = range.start; p < range.start + range.count; p++) {
      doc.switchToPage(p);
      doc.save();
      doc.rotate(-35, { origin: [doc.page.width / 2, doc.page.height / 2] });
      doc
        .font(bold)
        .fontSize(110)
        .fillColor('#d00', 0.25)
        .text('REVOKED', 0, doc.page.height / 2 - 60, { width: doc.page.width, align: 'center', lineBreak: false });
      doc.restore();
    }
  }
  doc.end();
  return done;
}
