// The shipped terminology: real RxNorm codes (checked against the public sources they came from), a fast
// prefix search, and the allergy check's measured test set (docs/decisions.md, "allergy cross-reactivity policy").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build, createDoctor, createPatient, expectProblem } from '../../../test/helpers.ts';
import { RXNORM_SUBSTANCES } from './rxnorm-substances.ts';
import {
  allergyTarget,
  itemIngredients,
  matchAllergy,
  RXNORM_SYSTEM,
  searchSubstances,
  substanceByCode,
  type Coded,
} from './terminology.ts';

/**
 * RxCUIs as the public sources print them (docs/decisions.md): NLM RxNorm via the davidanderson3/rxnorm-ingredients
 * extract, cross-checked against CPIC's drug table (cpicpgx/cpic-schema drug.sql) and NLM RxNav properties
 * listings. A code here that differs from the shipped file fails the build.
 */
const KNOWN: Record<string, string> = {
  amoxicillin: '723',
  ampicillin: '733',
  aspirin: '1191',
  ibuprofen: '5640',
  acetaminophen: '161',
  'penicillin G': '7980',
  piperacillin: '8339',
  ciprofloxacin: '2551',
  levofloxacin: '82122',
  erythromycin: '4053',
  azithromycin: '18631',
  codeine: '2670',
  morphine: '7052',
  lisinopril: '29046',
  enalapril: '3827',
  captopril: '1998',
  warfarin: '11289',
  metformin: '6809',
  atorvastatin: '83367',
  celecoxib: '140587',
  diclofenac: '3355',
  naproxen: '7258',
  sulfamethoxazole: '10180',
  amlodipine: '17767',
  allopurinol: '519',
  tramadol: '10689',
  omeprazole: '7646',
  sertraline: '36437',
};

const byDisplay = new Map(RXNORM_SUBSTANCES.map((e) => [e.display, e]));
const coded = (name: string): Coded => {
  const e = byDisplay.get(name);
  assert.ok(e, `${name} is in the terminology`);
  return { system: RXNORM_SYSTEM, code: e.code, display: e.display };
};

test('the terminology ships at least 300 RxNorm ingredients, each with a unique numeric RxCUI, and the known codes match the sources', () => {
  assert.ok(RXNORM_SUBSTANCES.length >= 300, `${RXNORM_SUBSTANCES.length} ingredients`);
  const codes = new Set(RXNORM_SUBSTANCES.map((e) => e.code));
  assert.equal(codes.size, RXNORM_SUBSTANCES.length);
  for (const e of RXNORM_SUBSTANCES) {
    assert.match(e.code, /^\d{1,8}$/);
    assert.ok(e.classes.length >= 1, `${e.display} has a class`);
  }
  for (const [name, code] of Object.entries(KNOWN)) assert.equal(byDisplay.get(name)?.code, code, name);
  assert.ok(RXNORM_SUBSTANCES.filter((e) => e.synonyms.length > 0).length >= 250, 'most ingredients carry brand names');
});

test('prefix search matches ingredient and brand-name words, own names first, case-insensitive, at most 20', () => {
  assert.deepEqual(
    searchSubstances('amox').map((s) => s.code),
    ['723'],
  );
  const advil = searchSubstances('ADVIL');
  assert.ok(advil.some((s) => s.display === 'ibuprofen'));
  // "penicillin G" is found by its second word too.
  assert.ok(searchSubstances('g').length <= 20);
  assert.ok(searchSubstances('penicillin').some((s) => s.code === '7980'));
  const asp = searchSubstances('asp')[0];
  assert.deepEqual(asp, { system: RXNORM_SYSTEM, code: '1191', display: 'aspirin', classes: ['Nonsteroidal Anti-inflammatory Drug'] });
  assert.deepEqual(searchSubstances('zzzz'), []);
  assert.deepEqual(substanceByCode('5640')?.display, 'ibuprofen');
});

type Allergy = Coded;
type Item = { medication: string; medicationCode?: Coded };
const check = (allergy: Allergy, item: Item) =>
  matchAllergy(itemIngredients(item), item.medicationCode?.display ?? item.medication, allergyTarget(allergy));
const rx = (medication: string): Item => ({ medication });

/** Known conflicts: [allergy, prescribed item, expected match]. */
const CONFLICTS: [Allergy, Item, 'substance' | 'class'][] = [
  [coded('amoxicillin'), rx('Amoxicillin 500 mg'), 'substance'],
  [coded('penicillin G'), rx('amoxicillin'), 'class'],
  [coded('penicillin G'), rx('Ampicillin'), 'class'],
  [coded('penicillin G'), rx('piperacillin / tazobactam'), 'class'],
  [{ display: 'Penicillin' }, rx('Amoxicillin'), 'class'],
  [{ display: 'Penicillin allergy' }, rx('Augmentin 875 mg'), 'class'],
  [coded('amoxicillin'), rx('dicloxacillin'), 'class'],
  [coded('ampicillin'), rx('nafcillin'), 'class'],
  [coded('penicillin V'), rx('oxacillin'), 'class'],
  [coded('amoxicillin'), rx('cephalexin'), 'class'],
  [coded('ampicillin'), rx('cefaclor'), 'class'],
  [coded('amoxicillin'), rx('cefadroxil'), 'class'],
  [coded('amoxicillin'), rx('cefprozil'), 'class'],
  [coded('cephalexin'), rx('ceftriaxone'), 'class'],
  [coded('cefazolin'), rx('cefuroxime'), 'class'],
  [coded('ceftriaxone'), rx('cefepime'), 'class'],
  [coded('cephalexin'), rx('amoxicillin'), 'class'],
  [coded('sulfamethoxazole'), rx('sulfadiazine'), 'class'],
  [{ display: 'sulfa' }, rx('Bactrim'), 'class'],
  [coded('sulfadiazine'), rx('sulfamethoxazole / trimethoprim'), 'class'],
  [coded('aspirin'), rx('Ibuprofen 400 mg'), 'class'],
  [coded('ibuprofen'), rx('naproxen'), 'class'],
  [{ display: 'NSAIDs' }, rx('diclofenac'), 'class'],
  [coded('naproxen'), rx('Advil'), 'class'],
  [coded('ibuprofen'), rx('aspirin'), 'class'],
  [coded('diclofenac'), rx('ketorolac'), 'class'],
  [coded('aspirin'), rx('celecoxib'), 'class'],
  [coded('ibuprofen'), rx('meloxicam'), 'class'],
  [coded('erythromycin'), rx('azithromycin'), 'class'],
  [coded('azithromycin'), rx('clarithromycin'), 'class'],
  [coded('clarithromycin'), rx('erythromycin'), 'class'],
  [coded('ciprofloxacin'), rx('levofloxacin'), 'class'],
  [coded('levofloxacin'), rx('moxifloxacin'), 'class'],
  [{ display: 'quinolones' }, rx('ofloxacin'), 'class'],
  [coded('codeine'), rx('morphine'), 'class'],
  [coded('morphine'), rx('hydromorphone'), 'class'],
  [coded('oxycodone'), rx('hydrocodone'), 'class'],
  [{ display: 'opiates' }, rx('tramadol'), 'class'],
  [coded('fentanyl'), rx('methadone'), 'class'],
  [coded('lisinopril'), rx('enalapril'), 'class'],
  [coded('enalapril'), rx('ramipril'), 'class'],
  [coded('captopril'), rx('benazepril'), 'class'],
  [coded('doxycycline'), rx('minocycline'), 'class'],
  [coded('atorvastatin'), rx('simvastatin'), 'class'],
  [coded('diazepam'), rx('lorazepam'), 'class'],
  [coded('lidocaine'), rx('bupivacaine'), 'class'],
  [coded('gentamicin'), rx('tobramycin'), 'class'],
  [coded('amoxicillin'), rx('Augmentin'), 'substance'],
  [coded('ibuprofen'), rx('Motrin 400 mg tablet'), 'substance'],
  [coded('amoxicillin'), { medication: 'Bicillin L-A', medicationCode: coded('penicillin G') }, 'class'],
  [{ display: 'Zorbexil' }, rx('zorbexil'), 'substance'],
  [coded('heparin'), rx('enoxaparin'), 'class'],
  [coded('acyclovir'), rx('valacyclovir'), 'class'],
  [coded('omeprazole'), rx('pantoprazole'), 'class'],
  [coded('fluconazole'), rx('itraconazole'), 'class'],
  [coded('lisinopril'), rx('Zestoretic'), 'substance'],
];

/** Combinations that must never be flagged (different classes, or cross-reactivity the policy does not flag). */
const SAFE: [Allergy, Item][] = [
  [coded('penicillin G'), rx('ceftriaxone')],
  [coded('penicillin G'), rx('cefazolin')],
  [{ display: 'Penicillin' }, rx('meropenem')],
  [{ display: 'Penicillin' }, rx('azithromycin')],
  [{ display: 'Penicillin' }, rx('clindamycin')],
  [{ display: 'Penicillin' }, rx('doxycycline')],
  [{ display: 'Penicillin' }, rx('ciprofloxacin')],
  [{ display: 'Penicillin' }, rx('vancomycin')],
  [coded('amoxicillin'), rx('ceftriaxone')],
  [coded('amoxicillin'), rx('cefazolin')],
  [coded('amoxicillin'), rx('cefepime')],
  [coded('sulfamethoxazole'), rx('furosemide')],
  [coded('sulfamethoxazole'), rx('hydrochlorothiazide')],
  [coded('sulfamethoxazole'), rx('celecoxib')],
  [coded('sulfamethoxazole'), rx('glipizide')],
  [{ display: 'sulfa' }, rx('torsemide')],
  [coded('aspirin'), rx('acetaminophen')],
  [coded('ibuprofen'), rx('Tylenol with Codeine')],
  [{ display: 'NSAIDs' }, rx('tramadol')],
  [coded('aspirin'), rx('clopidogrel')],
  [coded('erythromycin'), rx('clindamycin')],
  [coded('azithromycin'), rx('doxycycline')],
  [coded('ciprofloxacin'), rx('nitrofurantoin')],
  [coded('levofloxacin'), rx('trimethoprim')],
  [coded('codeine'), rx('acetaminophen')],
  [coded('codeine'), rx('naloxone')],
  [coded('morphine'), rx('buprenorphine')],
  [coded('morphine'), rx('gabapentin')],
  [coded('lisinopril'), rx('losartan')],
  [coded('lisinopril'), rx('amlodipine')],
  [coded('enalapril'), rx('valsartan')],
  [coded('captopril'), rx('metoprolol')],
  [coded('atorvastatin'), rx('ezetimibe')],
  [coded('diazepam'), rx('zolpidem')],
  [coded('lidocaine'), rx('benzocaine')],
  [coded('benzocaine'), rx('bupivacaine')],
  [coded('gentamicin'), rx('vancomycin')],
  [coded('metformin'), rx('glipizide')],
  [coded('metformin'), rx('insulin glargine')],
  [coded('warfarin'), rx('apixaban')],
  [coded('levothyroxine'), rx('liothyronine')],
  [{ display: 'Peanut' }, rx('amoxicillin')],
  [{ display: 'Latex' }, rx('ibuprofen')],
  [{ display: 'Egg' }, rx('azithromycin')],
  [{ display: 'Shellfish' }, rx('levofloxacin')],
  [coded('ceftriaxone'), rx('penicillin G')],
  [coded('cefazolin'), rx('amoxicillin')],
  [coded('vancomycin'), rx('linezolid')],
  [coded('metronidazole'), rx('ciprofloxacin')],
  [coded('fluconazole'), rx('terbinafine')],
  [coded('omeprazole'), rx('famotidine')],
  [coded('heparin'), rx('warfarin')],
  [coded('acyclovir'), rx('oseltamivir')],
  [coded('hydrochlorothiazide'), rx('furosemide')],
  [coded('carbamazepine'), rx('levetiracetam')],
  [coded('amlodipine'), rx('lisinopril')],
  [coded('sertraline'), rx('bupropion')],
  [coded('prednisone'), rx('montelukast')],
  [coded('allopurinol'), rx('colchicine')],
  [coded('tramadol'), rx('ibuprofen')],
  [{ display: 'Zorbexil' }, rx('amoxicillin')],
  [coded('clindamycin'), rx('amoxicillin')],
  [coded('doxycycline'), rx('azithromycin')],
];

test(`the allergy check flags all ${CONFLICTS.length} known conflicts and none of the ${SAFE.length} safe combinations`, () => {
  assert.ok(CONFLICTS.length >= 40 && SAFE.length >= 60);
  const missed = CONFLICTS.filter(([a, item, match]) => check(a, item)?.match !== match);
  assert.deepEqual(
    missed.map(([a, i, m]) => `${a.display} → ${i.medication} (${m})`),
    [],
    'every known conflict is flagged with its kind of match',
  );
  const flagged = SAFE.filter(([a, item]) => check(a, item) !== null);
  assert.deepEqual(
    flagged.map(([a, i]) => `${a.display} → ${i.medication}`),
    [],
    'no safe combination is flagged',
  );
});

test('GET /terminology/substances: anyone authenticated; q is required and bounded (400), no token 401', async (t) => {
  const app = await build(t);
  const patient = await createPatient(app);
  const doctor = await createDoctor(app);
  const res = await app.request('GET', '/api/v1/terminology/substances?q=amoxi', { token: patient.token });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, [
    {
      system: RXNORM_SYSTEM,
      code: '723',
      display: 'amoxicillin',
      classes: ['Penicillin-class Antibacterial', 'Aminobenzyl-side-chain Beta-lactam'],
    },
  ]);
  assert.equal((await app.request('GET', '/api/v1/terminology/substances?q=Motrin', { token: doctor.token })).body[0].code, '5640');
  expectProblem(await app.request('GET', '/api/v1/terminology/substances?q=amox'), 401, 'UNAUTHENTICATED');
  expectProblem(await app.request('GET', '/api/v1/terminology/substances', { token: patient.token }), 400, 'VALIDATION_FAILED');
  expectProblem(
    await app.request('GET', `/api/v1/terminology/substances?q=${'a'.repeat(101)}`, { token: patient.token }),
    400,
    'VALIDATION_FAILED',
  );
  expectProblem(await app.request('GET', '/api/v1/terminology/substances?q=', { token: patient.token }), 400, 'VALIDATION_FAILED');
});
