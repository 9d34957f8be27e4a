import { describe, expect, it } from 'vitest';
import { assignHalves, groupKeys, splitQuestions } from './splits.ts';
import type { EvalQuestion } from './types.ts';

function question(id: string, overrides: Partial<EvalQuestion> = {}): EvalQuestion {
  return { id, question: `question ${id}?`, gold: [], references: [], keyPhrases: [], expected: 'answer', language: 'en', ...overrides };
}

/** 40 threads of 3 paraphrases each, as StackFAQ has. */
const threads = Array.from({ length: 40 }, (_, thread) => [0, 1, 2].map((paraphrase) => question(`t${thread}-${paraphrase}`, { group: `thread-${thread}` }))).flat();

describe('seeded dev/test halves', () => {
  it('splits by group: the paraphrases of one thread never straddle the halves', () => {
    const dev = splitQuestions({ questions: threads, split: 'dev', seed: 42 });
    const test = splitQuestions({ questions: threads, split: 'test', seed: 42 });
    expect(dev.length + test.length).toBe(threads.length);
    expect(new Set([...dev, ...test].map((item) => item.id)).size).toBe(threads.length);
    const devGroups = new Set(dev.map((item) => item.group));
    expect(test.some((item) => devGroups.has(item.group))).toBe(false);
    expect(devGroups.size).toBe(20);
    expect(splitQuestions({ questions: threads, split: 'all' })).toHaveLength(threads.length);
  });

  it('is the same on every call and for any order of the questions, and changes with the seed', () => {
    const first = splitQuestions({ questions: threads, split: 'test', seed: 42 }).map((item) => item.id);
    expect(splitQuestions({ questions: [...threads].reverse(), split: 'test', seed: 42 }).map((item) => item.id).sort()).toEqual([...first].sort());
    expect(splitQuestions({ questions: threads, split: 'test', seed: 7 }).map((item) => item.id)).not.toEqual(first);
  });

  it('balances each kind of question: 9 unanswerable ones split 5/4 or 4/5, not at random', () => {
    const questions = [
      ...Array.from({ length: 30 }, (_, index) => question(`a${index}`)),
      ...Array.from({ length: 9 }, (_, index) => question(`r${index}`, { expected: 'refuse' })),
      ...Array.from({ length: 8 }, (_, index) => question(`z${index}`, { language: 'zh' })),
    ];
    for (const seed of [1, 2, 3, 42]) {
      const test = splitQuestions({ questions, split: 'test', seed });
      expect(test.filter((item) => item.expected === 'refuse').length).toBeGreaterThanOrEqual(4);
      expect(test.filter((item) => item.expected === 'refuse').length).toBeLessThanOrEqual(5);
      expect(test.filter((item) => item.language === 'zh')).toHaveLength(4);
      expect(test.filter((item) => item.expected === 'answer' && item.language === 'en')).toHaveLength(15);
    }
  });

  it('keeps a follow-up with the question that opened its conversation', () => {
    const opener = question('opener', { question: 'How long do I have to return something?' });
    const followUps = [
      question('follow-1', { question: 'and for sale items?', history: [{ role: 'user', text: 'how long do I have to return something' }, { role: 'assistant', text: '30 days.' }] }),
      question('follow-2', { question: 'what about gifts?', history: [{ role: 'user', text: 'How long do I have to return something?' }] }),
    ];
    const others = Array.from({ length: 20 }, (_, index) => question(`other-${index}`));
    const keys = groupKeys([opener, ...followUps, ...others]);
    expect(keys.get('follow-1')).toBe(keys.get('opener'));
    expect(keys.get('follow-2')).toBe(keys.get('opener'));
    expect(keys.get('other-1')).toBe('id:other-1');
    for (const seed of [1, 2, 3, 4, 5]) {
      const halves = assignHalves([opener, ...followUps, ...others], seed);
      const test = splitQuestions({ questions: [opener, ...followUps, ...others], split: 'test', seed }).map((item) => item.id);
      expect(test.includes('opener')).toBe(test.includes('follow-1'));
      expect(test.includes('opener')).toBe(test.includes('follow-2'));
      expect(halves.size).toBe(21);
    }
  });
});
