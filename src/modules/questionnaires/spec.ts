/**
 * Owlmetry's questionnaire schema (`{version: 1, questions}`) and answers, checked with its limits
 * and in its words: the SDKs decode a spec strictly, so only well-formed specs are stored.
 */
const QUESTION_TYPES = ["text", "single_choice", "multi_choice", "rating", "nps"] as const;
type QuestionType = (typeof QUESTION_TYPES)[number];

export interface Question {
  id: string;
  type: QuestionType;
  title: string;
  subtitle?: string;
  required: boolean;
  placeholder?: string;
  multiline?: boolean;
  options?: Array<{ id: string; label: string }>;
  scale?: number;
}
export interface QuestionnaireSchema {
  version: 1;
  questions: Question[];
}
export type Answer = string | string[] | number;
export type Answers = Record<string, Answer>;

const MAX_QUESTIONS = 30;
const MAX_OPTIONS = 20;
const MAX_TEXT_ANSWER = 4000;
const ID = /^[a-z0-9_]{1,32}$/;

export class SpecError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** A checked copy holding only the known fields, or a SpecError that says what is wrong. */
export function checkSchema(raw: unknown): QuestionnaireSchema {
  if (!isObject(raw)) throw new SpecError("schema must be an object");
  if (raw.version !== 1) throw new SpecError("schema.version must be 1");
  if (!Array.isArray(raw.questions)) throw new SpecError("schema.questions must be an array");
  if (raw.questions.length === 0) throw new SpecError("schema must have at least one question");
  if (raw.questions.length > MAX_QUESTIONS) {
    throw new SpecError(`schema may not have more than ${MAX_QUESTIONS} questions`);
  }
  const seen = new Set<string>();
  const questions = raw.questions.map((q, i) => {
    const question = checkQuestion(q, `questions[${i}]`);
    if (seen.has(question.id)) throw new SpecError(`duplicate question id "${question.id}"`);
    seen.add(question.id);
    return question;
  });
  return { version: 1, questions };
}

function checkQuestion(q: unknown, where: string): Question {
  if (!isObject(q)) throw new SpecError(`${where} must be an object`);
  if (!(QUESTION_TYPES as readonly unknown[]).includes(q.type)) {
    throw new SpecError(`${where}.type must be one of ${QUESTION_TYPES.join(", ")}`);
  }
  const type = q.type as QuestionType;
  if (typeof q.id !== "string" || !ID.test(q.id)) {
    throw new SpecError(`${where}.id must be lowercase letters/digits/underscores (1-32 chars)`);
  }
  if (typeof q.title !== "string" || q.title.trim().length === 0 || q.title.length > 200) {
    throw new SpecError(`${where}.title must be 1-200 chars`);
  }
  if (q.subtitle !== undefined && (typeof q.subtitle !== "string" || q.subtitle.length > 500)) {
    throw new SpecError(`${where}.subtitle must be a string up to 500 chars`);
  }
  if (typeof q.required !== "boolean") throw new SpecError(`${where}.required must be a boolean`);
  const question: Question = { id: q.id, type, title: q.title, required: q.required };
  if (typeof q.subtitle === "string") question.subtitle = q.subtitle;
  if (type === "text") {
    if (q.placeholder !== undefined) {
      if (typeof q.placeholder !== "string" || q.placeholder.length > 200) {
        throw new SpecError(`${where}.placeholder must be a string up to 200 chars`);
      }
      question.placeholder = q.placeholder;
    }
    if (q.multiline !== undefined) {
      if (typeof q.multiline !== "boolean") throw new SpecError(`${where}.multiline must be a boolean`);
      question.multiline = q.multiline;
    }
  }
  if (type === "single_choice" || type === "multi_choice") question.options = checkOptions(q.options, where);
  if (type === "rating") {
    if (q.scale !== 5) throw new SpecError(`${where}.scale must be 5 (V1 only supports 5-point ratings)`);
    question.scale = 5;
  }
  return question;
}

function checkOptions(options: unknown, where: string): Array<{ id: string; label: string }> {
  if (!Array.isArray(options)) throw new SpecError(`${where}.options must be an array`);
  if (options.length < 2) throw new SpecError(`${where}.options must have at least 2 entries`);
  if (options.length > MAX_OPTIONS) {
    throw new SpecError(`${where}.options may not have more than ${MAX_OPTIONS} entries`);
  }
  const ids = new Set<string>();
  return options.map((o, i) => {
    if (!isObject(o)) throw new SpecError(`${where}.options[${i}] must be an object`);
    if (typeof o.id !== "string" || !ID.test(o.id)) {
      throw new SpecError(
        `${where}.options[${i}].id must be lowercase letters/digits/underscores (1-32 chars)`,
      );
    }
    if (ids.has(o.id)) throw new SpecError(`${where}.options has duplicate id "${o.id}"`);
    ids.add(o.id);
    if (typeof o.label !== "string" || o.label.length === 0 || o.label.length > 100) {
      throw new SpecError(`${where}.options[${i}].label must be 1-100 chars`);
    }
    return { id: o.id, label: o.label };
  });
}

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (typeof v === "string" && v.trim() === "") ||
  (Array.isArray(v) && v.length === 0);

/**
 * The answers that are set, each checked against its question. `partial` (a draft) skips the
 * required check; empty values are left out either way.
 */
export function checkAnswers(schema: QuestionnaireSchema, raw: unknown, partial: boolean): Answers {
  if (!isObject(raw)) throw new SpecError("answers must be an object");
  const byId = new Map(schema.questions.map((q) => [q.id, q]));
  for (const key of Object.keys(raw)) {
    if (!byId.has(key)) throw new SpecError(`unknown question id "${key}"`);
  }
  const answers: Answers = {};
  for (const q of schema.questions) {
    const value = raw[q.id];
    if (isEmpty(value)) {
      if (q.required && !partial) throw new SpecError(`"${q.id}" is required`);
      continue;
    }
    answers[q.id] = checkAnswer(q, value);
  }
  return answers;
}

function checkAnswer(q: Question, value: unknown): Answer {
  const options = new Set((q.options ?? []).map((o) => o.id));
  switch (q.type) {
    case "text":
      if (typeof value !== "string") throw new SpecError(`"${q.id}" must be a string`);
      if (value.length > MAX_TEXT_ANSWER) throw new SpecError(`"${q.id}" exceeds ${MAX_TEXT_ANSWER} chars`);
      return value;
    case "single_choice":
      if (typeof value !== "string") throw new SpecError(`"${q.id}" must be a string option id`);
      if (!options.has(value)) throw new SpecError(`"${value}" is not a valid option for "${q.id}"`);
      return value;
    case "multi_choice": {
      if (!Array.isArray(value)) throw new SpecError(`"${q.id}" must be an array`);
      const picked = new Set<string>();
      for (const x of value) {
        if (typeof x !== "string") throw new SpecError(`"${q.id}" entries must be strings`);
        if (!options.has(x)) throw new SpecError(`"${x}" is not a valid option for "${q.id}"`);
        if (picked.has(x)) throw new SpecError(`"${q.id}" has duplicate selection "${x}"`);
        picked.add(x);
      }
      return value as string[];
    }
    case "rating": {
      const scale = q.scale ?? 5;
      if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > scale) {
        throw new SpecError(`"${q.id}" must be an integer 1-${scale}`);
      }
      return value as number;
    }
    case "nps":
      if (!Number.isInteger(value) || (value as number) < 0 || (value as number) > 10) {
        throw new SpecError(`"${q.id}" must be an integer 0-10`);
      }
      return value as number;
  }
}

/** The answers whose question still exists in the schema. */
export function currentAnswers(schema: QuestionnaireSchema, answers: Answers): Answers {
  const ids = new Set(schema.questions.map((q) => q.id));
  return Object.fromEntries(Object.entries(answers).filter(([id]) => ids.has(id)));
}
