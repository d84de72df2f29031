// Right-to-left and mixed-direction text for the prescription PDF. pdfkit writes every string left to right
// and leaves shaping to fontkit, which shapes Arabic (joining forms, ligatures, marks) but reverses a whole
// string whose first letter is of a right-to-left script and knows nothing of the Unicode bidirectional
// algorithm. So the PDF wraps a paragraph into lines first (in logical order), then orders each line with
// bidi-js (UAX #9, including its per-line rules for trailing white space) and hands pdfkit the line as runs
// in visual order, each run written so that fontkit's own reversal leaves it the right way round.
import bidiJs from 'bidi-js';

// bidi-js is CommonJS whose module.exports is the factory itself, while its typings call it the default export.
const bidi = (bidiJs as unknown as typeof bidiJs.default)();

export type Direction = 'ltr' | 'rtl';

// fontkit reverses a run whose first character outside Common and Inherited is of one of these scripts
// (the ones a patient's name or our locales may bring; fontkit's own list is longer and all of it is rare).
const RTL_SCRIPT = /[\p{Script=Arabic}\p{Script=Hebrew}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
const NEUTRAL_SCRIPT = /[\p{Script=Common}\p{Script=Inherited}]/u;
// Explicit directional marks and embeddings: UAX #9 (X9) removes them from display once levels are known.
const BIDI_CONTROL = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

/**
 * A text without directional controls: what a person typed into a name or a note needs none (the PDF isolates
 * each value), and a stray one (a U+2069 closing the isolate early, a U+202E reversing the rest of the line)
 * could reorder the printed line around it.
 */
export const withoutBidiControls = (s: string): string => s.replace(new RegExp(BIDI_CONTROL.source, 'gu'), '');

const FSI = '\u2068';
const PDI = '\u2069';
/**
 * A value set into a message as one unit whose direction is its own first strong letter's (UAX #9 first-strong
 * isolate): a code like "7410-6W7T-…" or "500 mg" inside an Arabic sentence keeps its order, an Arabic name
 * inside a German one too, and neither reorders the words around it.
 */
export const isolate = (s: string): string => `${FSI}${withoutBidiControls(s)}${PDI}`;

const fontkitReverses = (s: string): boolean => {
  for (const c of s) if (!NEUTRAL_SCRIPT.test(c)) return RTL_SCRIPT.test(c);
  return false;
};
const reversed = (s: string) => [...s].reverse().join('');
/** Brackets and the like as a right-to-left run shows them: "(" looks like ")" (fontkit does not mirror). */
const mirrored = (s: string) => [...s].map((c) => bidi.getMirroredCharacter(c) ?? c).join('');

/** One piece of a visual line: the string to hand pdfkit so that it prints in the right order. */
export interface VisualRun {
  text: string;
  rtl: boolean;
}

/**
 * The runs of the line `text[start..end]`, left to right as they appear on the page, given the paragraph's
 * resolved levels and the line's visual order of characters.
 */
function visualRuns(text: string, start: number, end: number, levels: Uint8Array, order: number[]): VisualRun[] {
  const runs: { from: number; to: number; rtl: boolean }[] = [];
  for (const i of order) {
    if (i < start || i > end) continue;
    const rtl = (levels[i]! & 1) === 1;
    const last = runs.at(-1);
    if (last && last.rtl === rtl && (rtl ? i === last.from - 1 : i === last.to + 1)) {
      if (rtl) last.from = i;
      else last.to = i;
    } else runs.push({ from: i, to: i, rtl });
  }
  const out: VisualRun[] = [];
  for (const run of runs) {
    const logical = [...text.slice(run.from, run.to + 1)].filter((c) => !BIDI_CONTROL.test(c)).join('');
    if (logical === '') continue;
    if (run.rtl) {
      // An Arabic run goes in logical order (fontkit needs it to pick joining forms, then reverses it);
      // a run of neutrals alone (a full stop, a bracket) fontkit would not reverse, so it is reversed here.
      const m = mirrored(logical);
      out.push({ text: fontkitReverses(m) ? m : reversed(m), rtl: true });
    } else {
      // A left-to-right run can still hold Arabic-Indic digits (script Arabic): fontkit would reverse
      // those, so each such stretch is handed over reversed and comes out the right way round.
      for (const piece of logical.match(/\p{Script=Arabic}+|\P{Script=Arabic}+/gu) ?? []) {
        out.push({ text: fontkitReverses(piece) ? reversed(piece) : piece, rtl: false });
      }
    }
  }
  return out;
}

/** A paragraph with its bidirectional levels resolved once, laid out line by line. */
export class BidiParagraph {
  readonly text: string;
  readonly direction: Direction;
  private readonly embedding: ReturnType<typeof bidi.getEmbeddingLevels>;

  constructor(text: string, direction: Direction) {
    this.text = text;
    this.direction = direction;
    this.embedding = bidi.getEmbeddingLevels(text, direction);
  }

  /** The visual runs of the line text[start..end] (inclusive, UTF-16 indices). */
  line(start = 0, end = this.text.length - 1): VisualRun[] {
    if (end < start) return [];
    const order = bidi.getReorderedIndices(this.text, this.embedding, start, end);
    return visualRuns(this.text, start, end, this.embedding.levels, order);
  }

  /**
   * The lines of the paragraph as [start, end] index pairs: greedy breaks at white space, a word wider
   * than the line broken where it must be. `measure` gives the width of a logical stretch of text.
   */
  wrap(width: number, measure: (s: string) => number): [number, number][] {
    const fits = (from: number, to: number) => measure(this.text.slice(from, to + 1).trimEnd()) <= width;
    const lines: [number, number][] = [];
    let start = 0;
    let end = -1; // the current line is text[start..end]; empty while end < start
    for (const word of this.text.matchAll(/\S+\s*|\s+/g)) {
      const from = word.index;
      const to = from + word[0].length - 1;
      if (end >= start && fits(start, to)) {
        end = to;
        continue;
      }
      if (end >= start) lines.push([start, end]);
      start = from;
      // A word alone wider than the line: as many characters as fit on each line, the rest carries on.
      while (!fits(start, to)) {
        let j = start;
        while (j < to && fits(start, j + 1)) j++;
        lines.push([start, j]);
        start = j + 1;
      }
      end = to;
    }
    if (end >= start) lines.push([start, end]);
    return lines;
  }
}
