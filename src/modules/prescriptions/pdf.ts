import { existsSync } from 'node:fs';
import PDFDocument from 'pdfkit';
import { oneLine } from '../../platform/text.ts';
import type { PrescriptionRow } from './repo.ts';

export interface PdfParties {
  doctor: { firstname: string; lastname: string; specialization: string; licenseNumber: string };
  patient: { firstname: string; lastname: string; dateOfBirth: string };
}

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

type Parts = { rx: PrescriptionRow; parties: PdfParties };

/** Applies `line` to every printed single-line text field and `multi` to the multi-line notes. */
function mapTextFields({ rx, parties }: Parts, line: (s: string) => string, multi: (s: string) => string): Parts {
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
  };
}

const dateUtc = (d: Date) => d.toISOString().slice(0, 10);
const dateTimeUtc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Every single-line field as exactly one line: a control character or line separator that reached the
 * database before the schemas refused them prints as U+FFFD, never as a line break (a patient named
 * "Jane\nRx 2. Oxycodone" once printed a forged item on their own prescription). Notes may span lines.
 */
const singleLineFields = (parts: Parts): Parts => mapTextFields(parts, oneLine, (notes) => notes);
/** Without a Unicode font every field, notes too, is folded to what Helvetica prints (winAnsiSafe). */
const foldForStandardFont = (parts: Parts): Parts => mapTextFields(parts, winAnsiSafe, winAnsiSafe);

/** Renders a printable A4 prescription. A revoked one carries a red REVOKED stamp and the reason. */
export function renderPrescriptionPdf(original: PrescriptionRow, originalParties: PdfParties): Promise<Buffer> {
  const safe = singleLineFields({ rx: original, parties: originalParties });
  const { rx, parties } = FONTS ? safe : foldForStandardFont(safe);
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    bufferPages: true,
    info: {
      Title: `Prescription ${rx.id}`,
      Author: `Dr. ${parties.doctor.firstname} ${parties.doctor.lastname}`,
      Subject: 'Medical prescription',
      Creator: 'Telecare',
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

  doc.font(bold).fontSize(20).text('Prescription', { align: 'left' });
  doc.font(regular).fontSize(9).fillColor('#555').text(`Prescription ID: ${rx.id}`);
  doc.moveDown(0.8).fillColor('black');

  const top = doc.y;
  const col = left + width / 2;
  const colWidth = width / 2 - 12;
  doc.font(bold).fontSize(11).text('Prescriber', left, top);
  fitLine(`Dr. ${doctor.firstname} ${doctor.lastname}`, left, colWidth, regular, 10);
  fitLine(`Specialization: ${doctor.specialization}`, left, colWidth, regular, 10);
  fitLine(`License number: ${doctor.licenseNumber}`, left, colWidth, regular, 10);
  const afterDoctor = doc.y;
  doc.font(bold).fontSize(11).text('Patient', col, top);
  fitLine(`${patient.firstname} ${patient.lastname}`, col, colWidth, regular, 10);
  fitLine(`Date of birth: ${patient.dateOfBirth}`, col, colWidth, regular, 10);
  fitLine(`Issued: ${dateUtc(rx.issuedAt)} (${dateTimeUtc(rx.issuedAt)})`, col, colWidth, regular, 10);
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
      .text(`Status: REVOKED on ${dateTimeUtc(rx.revokedAt ?? rx.issuedAt)}. Do not dispense.`, left, doc.y, { width });
    // Long free text wraps, but only inside its own indented block, under its label.
    if (rx.revocationReason)
      doc
        .font(regular)
        .fontSize(10)
        .text(`Reason: ${rx.revocationReason}`, left + 14, doc.y, { width: width - 14 });
    doc.fillColor('black').moveDown(0.8);
  }

  doc.font(bold).fontSize(13).text('Rx', left, doc.y);
  doc.moveDown(0.3);
  rx.items.forEach((item, i) => {
    fitLine(`${i + 1}. ${item.medication} ${item.dosage}`, left, width, bold, 11);
    const lines = [
      item.route ? `Route: ${item.route}` : null,
      `Frequency: ${item.frequency}`,
      `Duration: ${item.durationDays} day${item.durationDays === 1 ? '' : 's'}`,
      item.quantity !== undefined ? `Quantity: ${item.quantity}` : null,
    ].filter((l): l is string => l !== null);
    fitLine(lines.join('   ·   '), left + 14, width - 14, regular, 10);
    if (item.instructions) doc.text(`Instructions: ${item.instructions}`, left + 14, doc.y, { width: width - 14 });
    doc.moveDown(0.5);
  });

  if (rx.allergyOverrideReason) {
    // Issued over an allergy conflict: the pharmacist sees that the prescriber knew, and why.
    doc.moveDown(0.4).font(bold).fontSize(11).fillColor('#c00').text('Allergy override', left, doc.y);
    doc
      .font(regular)
      .fontSize(10)
      .text(`Issued despite a recorded allergy. Reason: ${rx.allergyOverrideReason}`, left + 14, doc.y, { width: width - 14 });
    doc.fillColor('black');
  }

  if (rx.notes) {
    doc.moveDown(0.4).font(bold).fontSize(11).text('Notes', left, doc.y);
    doc
      .font(regular)
      .fontSize(10)
      .text(rx.notes, left + 14, doc.y, { width: width - 14 });
  }

  doc.moveDown(2).font(regular).fontSize(10).text('Signature: ______________________________', left, doc.y);
  doc
    .moveDown(0.3)
    .fontSize(8)
    .fillColor('#555')
    .text(
      `Issued electronically through Telecare by Dr. ${doctor.firstname} ${doctor.lastname} (license ${doctor.licenseNumber}). Prescription ID ${rx.id}.`,
      { width },
    );

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
