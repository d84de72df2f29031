// The rules of a questionnaire's items and of the answers to them (pure: no database).
import { AppError, validation, type FieldError } from '../../platform/errors.ts';
import { isMultiLine, isSingleLine } from '../../platform/text.ts';
import type { Answer, ItemInput } from './schemas.ts';
import type { AnswerValue, QuestionnaireItem } from './tables.ts';

/** Items as stored: `required` spelled out, options only on choice items (distinct), linkIds unique. */
export function checkItems(items: ItemInput[]): QuestionnaireItem[] {
  const seen = new Set<string>();
  return items.map((it, i) => {
    if (seen.has(it.linkId)) throw validation(`/items/${i}/linkId`, `linkId "${it.linkId}" is used by an earlier item`);
    seen.add(it.linkId);
    if (it.type === 'choice') {
      if (!it.options?.length) throw validation(`/items/${i}/options`, 'a choice item needs options');
      if (new Set(it.options).size !== it.options.length) throw validation(`/items/${i}/options`, 'options must be distinct');
      return { linkId: it.linkId, text: it.text, type: it.type, required: it.required ?? false, options: it.options };
    }
    if (it.options) throw validation(`/items/${i}/options`, `only choice items have options, this one is ${it.type}`);
    return { linkId: it.linkId, text: it.text, type: it.type, required: it.required ?? false };
  });
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
function isDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

/** Why a value does not answer the item, or null when it does. */
export function answerProblem(item: QuestionnaireItem, value: AnswerValue): string | null {
  switch (item.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'must be true or false';
    case 'integer':
      return typeof value === 'number' && Number.isSafeInteger(value) ? null : 'must be an integer';
    case 'string':
      return typeof value === 'string' && value.length <= 1000 && isSingleLine(value)
        ? null
        : 'must be one line of at most 1000 characters';
    case 'text':
      return typeof value === 'string' && isMultiLine(value) ? null : 'must be text';
    case 'date':
      return typeof value === 'string' && isDate(value) ? null : 'must be a date YYYY-MM-DD';
    case 'choice':
      return typeof value === 'string' && item.options?.includes(value) ? null : `must be one of: ${item.options?.join(', ')}`;
  }
}

/** The answers as stored ({linkId: value}); an empty string leaves the item unanswered. Every problem is named. */
export function checkAnswers(items: QuestionnaireItem[], answers: Answer[]): Record<string, AnswerValue> {
  const byId = new Map(items.map((it) => [it.linkId, it]));
  const out: Record<string, AnswerValue> = {};
  const errors: FieldError[] = [];
  answers.forEach((a, i) => {
    const item = byId.get(a.linkId);
    if (!item) return errors.push({ path: `/answers/${i}/linkId`, message: `"${a.linkId}" is not an item of this questionnaire` });
    if (Object.hasOwn(out, a.linkId)) return errors.push({ path: `/answers/${i}/linkId`, message: `"${a.linkId}" is answered twice` });
    if (a.value === '') return;
    const problem = answerProblem(item, a.value);
    if (problem) return errors.push({ path: `/answers/${i}/value`, message: `"${a.linkId}" ${problem}` });
    out[a.linkId] = a.value;
  });
  if (errors.length) throw new AppError('VALIDATION_FAILED', errors.map((e) => e.message).join('; '), errors);
  return out;
}

/** The required items without an answer, in the questionnaire's order. */
export const missingRequired = (items: QuestionnaireItem[], answers: Record<string, AnswerValue>): QuestionnaireItem[] =>
  items.filter((it) => it.required && !Object.hasOwn(answers, it.linkId));
