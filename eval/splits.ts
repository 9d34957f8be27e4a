/**
 * Seeded dev/test halves. Every public set is split once, by group, so related questions never
 * straddle the halves (a thread's paraphrases, a paragraph's questions, the questions citing one
 * page, a follow-up and its first turn): tune on `dev`, report `test`. The corpus is never split;
 * only the questions are.
 *
 * The rule (eval/README.md): groups are stratified by the expected outcome and language of their
 * first question; inside a stratum the group keys are sorted, shuffled with the seed, and dealt
 * alternately to dev and test. So the halves are balanced per stratum, the same on every machine,
 * and independent of the order the dataset lists its questions in.
 *
 * @example
 *   const test = splitQuestions({ questions, split: 'test', seed: 42 });
 */
import { seededRandom } from '../src/intents/random.ts';
import type { EvalQuestion } from './types.ts';

export type EvalSplit = 'dev' | 'test' | 'all';
export const SPLITS: readonly EvalSplit[] = ['dev', 'test', 'all'];
export const DEFAULT_SEED = 42;

/** The one seeded generator (mulberry32), shared with intent training and the benchmarks. */
export { seededRandom };

/** Fisher–Yates with a seeded generator; returns a new array. */
export function seededShuffle<T>(items: readonly T[], seed: number): T[] {
  const random = seededRandom(seed);
  const shuffled = [...items];
  for (let index = shuffled.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other] as T, shuffled[index] as T];
  }
  return shuffled;
}

/** A small string hash (FNV-1a), to derive per-stratum seeds from a name. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Text compared loosely: case, width, spacing and punctuation ignored. */
export function looseText(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[\s\p{P}\p{S}]+/gu, '');
}

/**
 * The group each question belongs to: its `group` field when the dataset gives one; otherwise a
 * follow-up (a question with history) joins its first user turn, and a question whose text is some
 * follow-up's first turn joins that follow-up; otherwise the question is its own group.
 */
export function groupKeys(questions: readonly EvalQuestion[]): Map<string, string> {
  const firstTurn = (question: EvalQuestion) => {
    const turn = question.history?.find((candidate) => candidate.role === 'user');
    return turn ? looseText(turn.text) : undefined;
  };
  const openers = new Set(questions.flatMap((question) => {
    const turn = firstTurn(question);
    return turn ? [turn] : [];
  }));
  const keys = new Map<string, string>();
  for (const question of questions) {
    if (question.group !== undefined) {
      keys.set(question.id, `group:${question.group}`);
      continue;
    }
    const turn = firstTurn(question);
    if (turn) keys.set(question.id, `turn:${turn}`);
    else if (openers.has(looseText(question.question))) keys.set(question.id, `turn:${looseText(question.question)}`);
    else keys.set(question.id, `id:${question.id}`);
  }
  return keys;
}

/** Which half each group falls in, for a seed. */
export function assignHalves(questions: readonly EvalQuestion[], seed = DEFAULT_SEED): Map<string, 'dev' | 'test'> {
  const keys = groupKeys(questions);
  const stratumOf = new Map<string, string>();
  for (const question of questions) {
    const key = keys.get(question.id) ?? question.id;
    if (!stratumOf.has(key)) stratumOf.set(key, `${question.expected}/${question.language ?? ''}/${question.offTopic ? 'off-topic' : ''}`);
  }
  const strata = new Map<string, string[]>();
  for (const [key, stratum] of stratumOf) strata.set(stratum, [...(strata.get(stratum) ?? []), key]);
  const halves = new Map<string, 'dev' | 'test'>();
  for (const [stratum, members] of [...strata].sort(([left], [right]) => left.localeCompare(right))) {
    const stratumSeed = (seed ^ hashString(stratum)) >>> 0;
    const shuffled = seededShuffle([...members].sort(), stratumSeed);
    // which half receives the odd one out is seeded too, so small strata do not all lean to dev
    const offset = seededRandom(stratumSeed ^ 0x9e3779b9)() < 0.5 ? 0 : 1;
    shuffled.forEach((key, index) => halves.set(key, (index + offset) % 2 === 0 ? 'dev' : 'test'));
  }
  return halves;
}

/** The questions of one half (`all`: every question), in dataset order. */
export function splitQuestions<T extends EvalQuestion>(options: { questions: readonly T[]; split: EvalSplit; seed?: number }): T[] {
  const { questions, split } = options;
  if (split === 'all') return [...questions];
  const keys = groupKeys(questions);
  const halves = assignHalves(questions, options.seed ?? DEFAULT_SEED);
  return questions.filter((question) => halves.get(keys.get(question.id) ?? question.id) === split);
}
