// The terminology the server ships (RxNorm ingredients with their brand names and drug classes), held
// in memory: a sorted token index answers prefix searches in O(log n + hits), and the allergy check
// resolves prescription items and allergy substances through the same tables.
import { RXNORM_SUBSTANCES, type SubstanceEntry } from './rxnorm-substances.ts';

export const RXNORM_SYSTEM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const MAX_QUERY_LENGTH = 100;
export const MAX_RESULTS = 20;

export interface Substance {
  system: string;
  code: string;
  display: string;
  classes: string[];
}

export interface Coded {
  system?: string;
  code?: string;
  display: string;
}

/**
 * The classes that cross-react for an allergy check (docs/decisions.md, "allergy cross-reactivity
 * policy"). Other classes describe the drug but sharing one is not a conflict: a beta blocker allergy
 * is recorded against the substance, and sharing "Calcium Channel Blocker" is no reason to warn.
 */
export const CROSS_REACTIVE_CLASSES = new Set([
  'Penicillin-class Antibacterial',
  'Cephalosporin Antibacterial',
  'Aminobenzyl-side-chain Beta-lactam',
  'Carbapenem',
  'Sulfonamide Antibacterial',
  'Macrolide Antimicrobial',
  'Fluoroquinolone Antibacterial',
  'Tetracycline-class Drug',
  'Aminoglycoside Antibacterial',
  'Lincosamide Antibacterial',
  'Glycopeptide Antibacterial',
  'Nitroimidazole Antimicrobial',
  'Rifamycin Antibacterial',
  'Polymyxin-class Antibacterial',
  'Nonsteroidal Anti-inflammatory Drug',
  'Opioid Agonist',
  'Angiotensin Converting Enzyme Inhibitor',
  'HMG-CoA Reductase Inhibitor',
  'Benzodiazepine',
  'Proton Pump Inhibitor',
  'Azole Antifungal',
  'Herpesvirus Nucleoside Analog',
  'Heparin-class Anticoagulant',
  'Amide Local Anesthetic',
  'Ester Local Anesthetic',
]);

/** Class words people write for an allergy ("Penicillin allergy", "sulfa"), mapped to a class of the terminology. */
const CLASS_ALIASES: Record<string, string> = {
  penicillin: 'Penicillin-class Antibacterial',
  penicillins: 'Penicillin-class Antibacterial',
  cephalosporin: 'Cephalosporin Antibacterial',
  cephalosporins: 'Cephalosporin Antibacterial',
  carbapenem: 'Carbapenem',
  carbapenems: 'Carbapenem',
  sulfa: 'Sulfonamide Antibacterial',
  'sulfa drugs': 'Sulfonamide Antibacterial',
  sulfonamide: 'Sulfonamide Antibacterial',
  sulfonamides: 'Sulfonamide Antibacterial',
  macrolide: 'Macrolide Antimicrobial',
  macrolides: 'Macrolide Antimicrobial',
  fluoroquinolone: 'Fluoroquinolone Antibacterial',
  fluoroquinolones: 'Fluoroquinolone Antibacterial',
  quinolone: 'Fluoroquinolone Antibacterial',
  quinolones: 'Fluoroquinolone Antibacterial',
  tetracyclines: 'Tetracycline-class Drug',
  aminoglycoside: 'Aminoglycoside Antibacterial',
  aminoglycosides: 'Aminoglycoside Antibacterial',
  nsaid: 'Nonsteroidal Anti-inflammatory Drug',
  nsaids: 'Nonsteroidal Anti-inflammatory Drug',
  opioid: 'Opioid Agonist',
  opioids: 'Opioid Agonist',
  opiate: 'Opioid Agonist',
  opiates: 'Opioid Agonist',
  'ace inhibitor': 'Angiotensin Converting Enzyme Inhibitor',
  'ace inhibitors': 'Angiotensin Converting Enzyme Inhibitor',
  statin: 'HMG-CoA Reductase Inhibitor',
  statins: 'HMG-CoA Reductase Inhibitor',
  benzodiazepine: 'Benzodiazepine',
  benzodiazepines: 'Benzodiazepine',
};

const norm = (s: string) => s.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();

const toSubstance = (e: SubstanceEntry): Substance => ({ system: RXNORM_SYSTEM, code: e.code, display: e.display, classes: e.classes });

const byCode = new Map<string, SubstanceEntry>();
/** Exact names (ingredient names and brand names) → the ingredients they name; a brand of a combination names several. */
const byName = new Map<string, SubstanceEntry[]>();
/** [token, entry index, rank] sorted by token: every word start of every name, for prefix search. */
const tokens: [string, number, number][] = [];

RXNORM_SUBSTANCES.forEach((e, i) => {
  byCode.set(e.code, e);
  const names = [e.display, ...e.synonyms];
  names.forEach((name, n) => {
    const key = norm(name);
    const list = byName.get(key) ?? [];
    if (!list.includes(e)) list.push(e);
    byName.set(key, list);
    // Rank: the ingredient's own name before its brand names.
    const rank = n === 0 ? 0 : 1;
    let at = 0;
    for (;;) {
      tokens.push([key.slice(at), i, rank]);
      const next = key.indexOf(' ', at);
      if (next < 0) break;
      at = next + 1;
    }
  });
});
tokens.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));

export const substanceCount = RXNORM_SUBSTANCES.length;

function lowerBound(q: string): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid][0] < q) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Ingredients whose name or a brand name has a word starting with `q`: own-name matches first, then by name. */
export function searchSubstances(q: string, limit = MAX_RESULTS): Substance[] {
  const key = norm(q);
  if (!key) return [];
  const best = new Map<number, number>();
  for (let i = lowerBound(key); i < tokens.length && tokens[i][0].startsWith(key); i++) {
    const [, idx, rank] = tokens[i];
    const prev = best.get(idx);
    if (prev === undefined || rank < prev) best.set(idx, rank);
  }
  return [...best.entries()]
    .sort((a, b) => a[1] - b[1] || RXNORM_SUBSTANCES[a[0]].display.localeCompare(RXNORM_SUBSTANCES[b[0]].display))
    .slice(0, limit)
    .map(([idx]) => toSubstance(RXNORM_SUBSTANCES[idx]));
}

export function substanceByCode(code: string): Substance | null {
  const e = byCode.get(code);
  return e ? toSubstance(e) : null;
}

/** A coded value as stored: a known RxNorm code keeps its system; anything else is free text (display only). */
export function normalizeCoded(v: Coded): Coded {
  if (v.code && (!v.system || v.system === RXNORM_SYSTEM) && byCode.has(v.code)) {
    return { system: RXNORM_SYSTEM, code: v.code, display: v.display };
  }
  return { display: v.display };
}

export function isKnownCode(v: Coded): boolean {
  return !v.code || ((!v.system || v.system === RXNORM_SYSTEM) && byCode.has(v.code));
}

/**
 * The ingredients a free-text drug name names: an ingredient or brand name ("Amoxil"), possibly with a
 * strength ("Amoxicillin 500 mg") or several ingredients ("amoxicillin / clavulanate").
 */
export function resolveName(name: string): SubstanceEntry[] {
  const key = norm(name);
  const whole = byName.get(key) ?? byName.get(stripStrength(key));
  if (whole) return whole;
  const found = new Set<SubstanceEntry>();
  for (const part of key.split(/\s*(?:\/|\+|,|;| and | with )\s*/)) {
    const hit = byName.get(part) ?? byName.get(stripStrength(part));
    hit?.forEach((e) => found.add(e));
  }
  return [...found];
}

/** "amoxicillin 500 mg oral capsule" → "amoxicillin": drops everything from the first word holding a digit. */
function stripStrength(s: string): string {
  const words = s.split(' ');
  const at = words.findIndex((w) => /\d/.test(w));
  return (at < 0 ? words : words.slice(0, at)).join(' ').trim();
}

/** What an allergy is to: the ingredients (by code, or by name) and the classes they or its words name. */
export interface AllergyTarget {
  codes: Set<string>;
  classes: Set<string>;
  /** The free-text name, for a substance the terminology does not know. */
  name: string;
}

export function allergyTarget(substance: Coded): AllergyTarget {
  const entries = substance.code && byCode.has(substance.code) ? [byCode.get(substance.code)!] : resolveName(substance.display);
  const classes = new Set(entries.flatMap((e) => e.classes));
  const words = norm(substance.display)
    .replace(/\b(allergy|allergic|intolerance|to)\b/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const alias = CLASS_ALIASES[words];
  if (alias) classes.add(alias);
  return { codes: new Set(entries.map((e) => e.code)), classes, name: norm(substance.display) };
}

/** What a prescription item contains: ingredients by its code, else by its name. */
export function itemIngredients(item: { medication: string; medicationCode?: Coded }): SubstanceEntry[] {
  const code = item.medicationCode?.code;
  if (code && byCode.has(code)) return [byCode.get(code)!];
  const found = new Set(resolveName(item.medication));
  if (item.medicationCode) resolveName(item.medicationCode.display).forEach((e) => found.add(e));
  return [...found];
}

export type Match = { match: 'substance' } | { match: 'class'; className: string };

/** Whether an item with these ingredients (and this name) conflicts with an allergy target, and how. */
export function matchAllergy(ingredients: SubstanceEntry[], itemName: string, target: AllergyTarget): Match | null {
  if (ingredients.some((e) => target.codes.has(e.code))) return { match: 'substance' };
  if (!ingredients.length && target.codes.size === 0 && norm(itemName) === target.name) return { match: 'substance' };
  for (const e of ingredients) {
    for (const c of e.classes) {
      if (CROSS_REACTIVE_CLASSES.has(c) && target.classes.has(c)) return { match: 'class', className: c };
    }
  }
  return null;
}
