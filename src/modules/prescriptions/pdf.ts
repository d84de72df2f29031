import { createRequire } from 'node:module';
import { oneLine } from '../../platform/text.ts';
import { directionOf, instantText, t, type Locale } from '../../platform/i18n.ts';
import { BidiParagraph, isolate, withoutBidiControls, type VisualRun } from './bidi-text.ts';
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
 * The zone the PDF's times are printed in: the patient's own; the doctor's when the patient's is still the
 * account default (UTC), which for most patients means they never set one.
 */
export const pdfZone = (parties: PdfParties): string =>
  parties.patient.timeZone === 'UTC' && parties.doctor.timeZone !== 'UTC' ? parties.doctor.timeZone : parties.patient.timeZone;

// The one font every PDF is printed in, shipped as a dependency so the page never depends on the host's fonts:
// Vazirmatn (SIL Open Font License 1.1), which carries Latin, Latin Extended and Arabic with OpenType shaping,
// and gives every Arabic letter form a glyph of its own, so the text copied or extracted from the PDF is the
// text printed (docs/decisions.md, "The prescription PDF's languages").
const require = createRequire(import.meta.url);
export const PDF_FONTS = {
  regular: require.resolve('vazirmatn/fonts/ttf/Vazirmatn-Regular.ttf'),
  bold: require.resolve('vazirmatn/fonts/ttf/Vazirmatn-Bold.ttf'),
};
// Vazirmatn has no Greek, Cyrillic, Armenian, Georgian, Hebrew or CJK: a character it lacks is printed in the
// first font of the chain that has it, DejaVu Sans (its own free licence) then Noto Sans SC (SIL OFL 1.1: Chinese
// and Japanese kana), both shipped as dependencies, so a patient named "Δημήτρης", "Иван", "王芳" or "さくら" reads
// as named on their prescription rather than as empty boxes. Only the characters Vazirmatn lacks switch font.
export const PDF_FALLBACK_FONTS = [
  {
    regular: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'),
    bold: require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'),
  },
  {
    regular: require.resolve('@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf'),
    bold: require.resolve('@expo-google-fonts/noto-sans-sc/700Bold/NotoSansSC_700Bold.ttf'),
  },
];
const CHAIN = [PDF_FONTS.regular, ...PDF_FALLBACK_FONTS.map((f) => f.regular)];
/** The chain's fonts as fontkit reads them, each opened the first time a character is looked up in it (Noto Sans SC is 10 MB). */
const chainFonts: Array<import('fontkit').Font | null> = CHAIN.map(() => null);
let fontkit: typeof import('fontkit') | null = null;
/** The index in the chain of the first font that prints the character; 0 (Vazirmatn's empty box) when none does. */
function fontFor(codePoint: number): number {
  for (let i = 0; i < CHAIN.length; i++) {
    const font = (chainFonts[i] ??= fontkit!.openSync(CHAIN[i]!) as import('fontkit').Font);
    if (font.hasGlyphForCodePoint(codePoint)) return i;
  }
  return 0;
}

/** A text cut where its font in the chain changes (spaces and marks stay with their neighbour). */
export function fontSegments(text: string, fontOf: (codePoint: number) => number): { text: string; font: number }[] {
  const out: { text: string; font: number }[] = [];
  for (const ch of text) {
    // Whitespace, controls and combining marks never decide the font: they follow what is around them.
    const neutral = /[\s\p{M}\p{Cf}]/u.test(ch);
    const last = out.at(-1);
    const font = neutral ? (last?.font ?? 0) : fontOf(ch.codePointAt(0)!);
    if (last && last.font === font) last.text += ch;
    else out.push({ text: ch, font });
  }
  return out;
}
/** With features given, pdfkit lays a run out whole instead of word by word, which would undo the runs' order. */
const WHOLE_RUN = { features: [] as never[] };

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
const singleLineFields = (parts: Parts): Parts => mapTextFields(parts, (s) => withoutBidiControls(oneLine(s)), withoutBidiControls);

/**
 * Renders a printable A4 prescription in the patient's language, its times in their zone (named): the
 * practice's header, the parties, each item with strength and dose apart, and in place of a handwritten
 * signature the electronic issue with the code and address a pharmacist verifies it at. A revoked one
 * carries a red REVOKED stamp and the reason. Arabic is laid out right to left: the page mirrored, each line
 * right-aligned and ordered by the bidirectional algorithm, so a Latin drug name or a code reads as written.
 */
export async function renderPrescriptionPdf(original: PrescriptionRow, originalParties: PdfParties, frame: PdfFrame): Promise<Buffer> {
  // pdfkit (and fontkit under it) loaded with the first PDF, not at start-up: ~0.4 s and ~25 MiB that a
  // server which prints no prescription should not pay (docs/decisions.md, "Start-up time and memory").
  const { default: PDFDocument } = await import('pdfkit');
  const { rx, parties, clinic } = singleLineFields({ rx: original, parties: originalParties, clinic: frame.clinic });
  const locale = originalParties.patient.locale;
  const direction = directionOf(locale);
  const rtl = direction === 'rtl';
  const zone = pdfZone(originalParties);
  /** A message of the catalogue, each text value in it isolated so it keeps its own direction. */
  const say = (key: string, values: Record<string, string | number> = {}) =>
    oneLine(t(locale, key, Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'string' ? isolate(v) : v]))));
  const doctorFull = `${parties.doctor.firstname} ${parties.doctor.lastname}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    bufferPages: true,
    lang: locale,
    info: {
      Title: `${say('pdf.title')} ${rx.id}`,
      Author: oneLine(t(locale, 'pdf.doctor', { name: doctorFull })),
      Subject: say('pdf.subject'),
      Creator: clinic.name,
    },
  });
  const regular = 'body';
  const bold = 'bold';
  doc.registerFont(regular, PDF_FONTS.regular);
  doc.registerFont(bold, PDF_FONTS.bold);
  // The fallbacks are registered, not read: pdfkit opens a font file the first time a piece is set in it.
  const chainOf: Record<string, string[]> = { [regular]: [regular], [bold]: [bold] };
  PDF_FALLBACK_FONTS.forEach((f, i) => {
    doc.registerFont(`body-${i + 1}`, f.regular);
    doc.registerFont(`bold-${i + 1}`, f.bold);
    chainOf[regular]!.push(`body-${i + 1}`);
    chainOf[bold]!.push(`bold-${i + 1}`);
  });
  fontkit ??= await import('fontkit');
  /** The font the text is set in (regular or bold); a run's characters Vazirmatn lacks go in a fallback. */
  let current = regular;
  const setFont = (name: string) => {
    current = name;
    return doc.font(name);
  };
  /** A run cut into pieces by font, each with its width as printed (the current font left set). */
  const layOut = (text: string) => {
    const pieces = fontSegments(text, fontFor).map((seg) => {
      const font = chainOf[current]![seg.font]!;
      return { text: seg.text, font, width: doc.font(font).widthOfString(seg.text, WHOLE_RUN) };
    });
    doc.font(current);
    return pieces;
  };
  /** The width of a run as printed, each piece in its own font. */
  const measure = (text: string) => layOut(text).reduce((sum, piece) => sum + piece.width, 0);
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const { doctor, patient } = parties;
  const left = doc.page.margins.left;
  const width = doc.page.width - left - doc.page.margins.right;
  /** Where a box laid out from the left edge goes on the page: mirrored for a right-to-left language. */
  const place = (x: number, w: number) => (rtl ? left + width - (x - left) - w : x);

  /** One laid-out line: its runs left to right, from the box's start edge (right for Arabic). */
  const drawRuns = (runs: VisualRun[], x: number, w: number, link?: string) => {
    const laid = runs.map((r) => layOut(r.text));
    let cx = rtl ? x + w - laid.flat().reduce((sum, piece) => sum + piece.width, 0) : x;
    const y = doc.y;
    runs.forEach((r, i) => {
      // A right-to-left run is printed reversed by fontkit: its pieces go on the page last first.
      for (const piece of r.rtl ? laid[i]!.reverse() : laid[i]!) {
        doc.font(piece.font).text(piece.text, cx, y, { ...WHOLE_RUN, lineBreak: false, ...(link ? { link } : {}) });
        cx += piece.width;
      }
    });
    doc.font(current);
    doc.x = x;
    doc.y = y + doc.currentLineHeight(true);
  };

  /**
   * One line that never wraps: a field too long for the width is printed smaller, whole, rather than
   * wrapped onto a line that would look like a line of its own (padding spaces before "Rx 2. …").
   */
  const fitLine = (text: string, x: number, w: number, font: string, size: number) => {
    setFont(font).fontSize(size);
    const runs = new BidiParagraph(text, direction).line();
    const natural = runs.reduce((sum, r) => sum + measure(r.text), 0);
    if (natural > w) doc.fontSize(Math.max(2, (size * w) / natural) * 0.98);
    drawRuns(runs, place(x, w), w);
    doc.fontSize(size);
  };

  /** Text that wraps inside its box: wrapped in logical order first, then each line put in visual order. */
  const paragraph = (text: string, x: number, w: number, font: string, size: number, link?: string) => {
    setFont(font).fontSize(size);
    for (const line of text.split(/\r\n|[\n\r]/)) {
      const p = new BidiParagraph(line, direction);
      const lines = p.wrap(w, measure);
      if (lines.length === 0) doc.y += doc.currentLineHeight(true);
      for (const [from, to] of lines) drawRuns(p.line(from, to), place(x, w), w, link);
    }
  };

  // The practice's header: its logo (if any) at the start edge, its name, address and contact beside it.
  const headerTop = doc.y;
  let textLeft = left;
  if (frame.logo) {
    try {
      doc.image(frame.logo, place(left, 96), headerTop, { fit: [96, 56], ...(rtl ? { align: 'right' as const } : {}) });
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

  paragraph(say('pdf.title'), left, width, bold, 20);
  doc.fillColor('#555');
  paragraph(say('pdf.id', { id: rx.id }), left, width, regular, 9);
  doc.moveDown(0.8).fillColor('black');

  const top = doc.y;
  const col = left + width / 2;
  const colWidth = width / 2 - 12;
  const issuedLocal = instantText(rx.issuedAt, locale, zone);
  fitLine(say('pdf.prescriber'), left, colWidth, bold, 11);
  fitLine(say('pdf.doctor', { name: `${doctor.firstname} ${doctor.lastname}` }), left, colWidth, regular, 10);
  fitLine(say('pdf.specialization', { value: doctor.specialization }), left, colWidth, regular, 10);
  fitLine(say('pdf.license', { value: doctor.licenseNumber }), left, colWidth, regular, 10);
  const afterDoctor = doc.y;
  doc.y = top;
  fitLine(say('pdf.patient'), col, colWidth, bold, 11);
  fitLine(isolate(`${patient.firstname} ${patient.lastname}`), col, colWidth, regular, 10);
  fitLine(say('pdf.dateOfBirth', { value: patient.dateOfBirth }), col, colWidth, regular, 10);
  fitLine(say('pdf.issued', { when: issuedLocal }), col, colWidth, regular, 10);
  doc.fillColor('#555');
  fitLine(`(${isolate(dateTimeUtc(rx.issuedAt))})`, col, colWidth, regular, 8);
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
    doc.fillColor('#c00');
    paragraph(say('pdf.revoked', { when: dateTimeUtc(rx.revokedAt ?? rx.issuedAt) }), left, width, bold, 12);
    // Long free text wraps, but only inside its own indented block, under its label.
    if (rx.revocationReason) paragraph(say('pdf.reason', { reason: rx.revocationReason }), left + 14, width - 14, regular, 10);
    doc.fillColor('black').moveDown(0.8);
  }

  fitLine('Rx', left, width, bold, 13);
  doc.moveDown(0.3);
  rx.items.forEach((item, i) => {
    // With a strength, strength and dose are two fields; an item written before strengths existed holds
    // both in its dosage and prints as it always did ("Amoxicillin 500 mg").
    const strength = item.strength;
    // The drug and its strength as one left-to-right unit, whatever the page's direction.
    fitLine(`${i + 1}. ${isolate(`${item.medication} ${strength ?? item.dosage}`)}`, left, width, bold, 11);
    const lines = [
      strength ? say('pdf.strength', { value: strength }) : null,
      strength ? say('pdf.dose', { value: item.dosage }) : null,
      item.route ? say('pdf.route', { value: item.route }) : null,
      say('pdf.frequency', { value: item.frequency }),
      say('pdf.duration', { n: item.durationDays }),
      item.quantity !== undefined ? say('pdf.quantity', { n: item.quantity }) : null,
    ].filter((l): l is string => l !== null);
    fitLine(lines.join('   ·   '), left + 14, width - 14, regular, 10);
    if (item.instructions) paragraph(say('pdf.instructions', { value: item.instructions }), left + 14, width - 14, regular, 10);
    doc.moveDown(0.5);
  });

  if (rx.allergyOverrideReason) {
    // Issued over an allergy conflict: the pharmacist sees that the prescriber knew, and why.
    doc.moveDown(0.4).fillColor('#c00');
    paragraph(say('pdf.allergyOverride'), left, width, bold, 11);
    paragraph(say('pdf.allergyOverrideText', { reason: rx.allergyOverrideReason }), left + 14, width - 14, regular, 10);
    doc.fillColor('black');
  }

  if (rx.notes) {
    doc.moveDown(0.4);
    paragraph(say('pdf.notes'), left, width, bold, 11);
    paragraph(rx.notes, left + 14, width - 14, regular, 10);
  }

  // Issued electronically: no handwritten signature line, but who issued it, when, and where a pharmacist
  // checks that the paper matches a valid prescription.
  doc.moveDown(2);
  paragraph(say('pdf.issuedBy', { doctor: doctorFull, license: doctor.licenseNumber, when: issuedLocal }), left, width, regular, 10);
  doc.moveDown(0.3);
  paragraph(say('pdf.verify', { code: frame.verification.code }), left, width, bold, 10);
  doc.fillColor('#333');
  paragraph(frame.verification.url, left, width, regular, 9, frame.verification.url);
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
