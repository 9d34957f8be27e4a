/**
 * Knowledge gaps: the questions kefu refused, answered with low confidence, got a thumbs-down for or handed over,
 * grouped by meaning, with what the owner does about each group: answer it (a new FAQ entry whose alternate
 * questions are the customers' wordings), add the wordings to an existing FAQ entry, or dismiss it. Corrections of
 * single answers from a conversation take the same path. Every change is recorded in the journal (records) first,
 * claiming the group's questions in the same transaction (so a gap answered twice at once is written once), then
 * written into the ingest folder (src/gaps/knowledge-files.ts), where the normal sync picks it up.
 *
 * @example
 *   const gaps = createGapService({ records, files, embedder, settings: { lowConfidence: 0.5, windowDays: 90 } });
 *   const { groups } = await gaps.list();
 *   await gaps.answer({ gapId: groups[0].id, answer: 'We ship to Canada in 7–14 days.' });
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Embedder } from '../embeddings/types.ts';
import { KefuError } from '../errors/index.ts';
import type { GapQuestion, KnowledgeChange, RecordsStore } from '../records/types.ts';
import { detectLanguage } from '../text/index.ts';
import { DEFAULT_GROUPING, groupQuestions, questionKey, type GroupingThresholds, type GroupItem } from './group.ts';
import { KEFU_FAQ_FILE, type KnowledgeFiles } from './knowledge-files.ts';
import { createQuestionVectors } from './vectors.ts';

export const MAX_ANSWER_CHARS = 10_000;
const MAX_QUESTION_CHARS = 500;
const MAX_WORDINGS = 30;
/** A listed grouping is reused for actions (and repeated listings) this long, unless something changed. */
const CACHE_MS = 60_000;

export interface GapSettings {
  /** Answers below this confidence count as weak (a gap). */
  lowConfidence: number;
  /** How far back gaps are looked for, by default. */
  windowDays: number;
  grouping?: GroupingThresholds;
}

export interface GapGroup {
  /** Stable while the group's first wording stays in the window: `kefu gaps answer <id>`. */
  id: string;
  /** The most asked wording: the suggested FAQ question. */
  question: string;
  /** How many times it was asked (questions, not wordings). */
  count: number;
  wordings: Array<{ text: string; count: number }>;
  firstSeen: string;
  lastSeen: string;
  languages: string[];
  reasons: { refused: number; lowConfidence: number; thumbsDown: number; handedOver: number };
  /** Comments left with thumbs-down. */
  comments: string[];
  /** What kefu answered (the most frequent first). */
  answers: Array<{ text: string; outcome?: string; confidence?: number; count: number }>;
  /** A few of the conversations, to open them. */
  conversations: string[];
}

export interface GapList {
  since: string;
  computedAt: string;
  /** Open questions behind the groups. */
  questions: number;
  groups: GapGroup[];
  timings: { readMs: number; vectorsMs: number; groupMs: number; embedded: number };
}

interface Grouped {
  list: GapList;
  members: Map<string, { messageIds: string[]; keys: string[]; wordings: string[]; question: string; language: string }>;
  at: number;
  sinceDays: number;
}

export interface GapService {
  list(options?: { sinceDays?: number; fresh?: boolean; onProgress?: (done: number, total: number) => void }): Promise<GapList>;
  /** A new FAQ entry for a gap: the answer, the suggested (or given) question, the other wordings as alternates. */
  answer(options: { gapId: string; answer: string; question?: string; category?: string; by?: string; gradual?: boolean; sinceDays?: number }): Promise<KnowledgeChange>;
  /** The gap's wordings added to an existing FAQ entry (file + entry id, as the index knows it). */
  addWordings(options: { gapId: string; file: string; entryId: string; by?: string; gradual?: boolean; sinceDays?: number }): Promise<KnowledgeChange>;
  dismiss(options: { gapId: string; by?: string; sinceDays?: number }): Promise<void>;
  /** The right answer to a question kefu answered (from a conversation): a new FAQ entry. */
  correct(options: { messageId: string; answer: string; question?: string; by?: string; gradual?: boolean }): Promise<KnowledgeChange>;
  /** Puts kefu's FAQ entries back into its file if a stale copy was saved over them. */
  restore(): Promise<string[]>;
  /** Removes an entry kefu wrote (from its file and the journal). */
  removeChange(options: { id: string }): Promise<void>;
  changes(): Promise<KnowledgeChange[]>;
}

function gapIdOf(seedKey: string): string {
  return `g${createHash('sha256').update(seedKey).digest('hex').slice(0, 10)}`;
}

/** One line, trimmed, within the limit: FAQ questions live in one CSV cell each. */
function cleanQuestion(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, MAX_QUESTION_CHARS);
}

/** Throws ANSWER_EMPTY / ANSWER_TOO_LONG; returns the answer trimmed (kept as written: markup stays text). */
export function checkAnswer(answer: string): string {
  const text = answer.replace(/\r\n?/g, '\n').trim();
  if (!text) throw new KefuError('ANSWER_EMPTY');
  if (text.length > MAX_ANSWER_CHARS) throw new KefuError('ANSWER_TOO_LONG', { detail: `${text.length} characters; at most ${MAX_ANSWER_CHARS}` });
  return text;
}

export function createGapService(options: {
  records: RecordsStore;
  files: KnowledgeFiles;
  /** Groups questions by meaning in the languages it understands; without it, by words alone. */
  embedder?: Embedder;
  settings: GapSettings;
  now?: () => Date;
}): GapService {
  const { records, files, embedder, settings } = options;
  const now = options.now ?? (() => new Date());
  const vectors = embedder ? createQuestionVectors({ records, embedder }) : undefined;
  let cached: Grouped | undefined;

  const understood = (language: string): boolean => {
    if (!embedder) return false;
    return embedder.languages === 'all' || (embedder.languages as readonly string[]).includes(language);
  };

  /** The wordings owners have answered (normalised), with when the answer went live or whether it is still staged. */
  function answeredWordings(changes: readonly KnowledgeChange[]): Map<string, { staged: boolean; liveSince: string }> {
    const answered = new Map<string, { staged: boolean; liveSince: string }>();
    for (const change of changes) {
      if (change.kind === 'upload' || (change.status !== 'live' && change.status !== 'staged')) continue;
      for (const text of [change.question, ...change.wordings]) {
        const key = questionKey(text);
        if (!key) continue;
        const known = answered.get(key);
        const staged = change.status === 'staged' || (known?.staged ?? false);
        const liveSince = change.status === 'live' && (!known || change.updatedAt > known.liveSince) ? change.updatedAt : (known?.liveSince ?? '');
        answered.set(key, { staged, liveSince });
      }
    }
    return answered;
  }

  async function runningRelease(): Promise<string | undefined> {
    return (await records.listReleases({ limit: 5 })).find((release) => release.status === 'running')?.id;
  }

  async function group(sinceDays: number, onProgress?: (done: number, total: number) => void): Promise<Grouped> {
    const started = performance.now();
    const since = new Date(now().getTime() - sinceDays * 86_400_000).toISOString();
    const [questions, claimed, dismissed, changes] = await Promise.all([
      records.listGapQuestions({ since, lowConfidence: settings.lowConfidence }),
      records.claimedGapMessages({ since }),
      records.dismissedQuestionKeys(),
      records.listKnowledgeChanges(),
    ]);
    const answeredBy = answeredWordings(changes);
    const open: Array<GapQuestion & { key: string }> = [];
    for (const question of questions) {
      if (claimed.has(question.messageId)) continue;
      const key = questionKey(question.text);
      if (!key || dismissed.has(key)) continue;
      // Already answered by an owner: asked while the answer was staged for part of the customers (the other arm
      // was refused by design), or before it went live. Asked again after it went live and still not handled: a gap.
      const answered = answeredBy.get(key);
      if (answered && (answered.staged || question.askedAt <= answered.liveSince)) continue;
      open.push({ ...question, key });
    }
    const readMs = performance.now() - started;

    // One item per wording (normalised), first seen when it was first asked.
    const byKey = new Map<string, { text: string; firstSeen: string; language: string; questions: Array<GapQuestion & { key: string }> }>();
    for (const question of open) {
      let entry = byKey.get(question.key);
      if (!entry) {
        entry = { text: question.text, firstSeen: question.askedAt, language: question.language ?? detectLanguage(question.text), questions: [] };
        byKey.set(question.key, entry);
      }
      entry.questions.push(question);
    }
    const vectorStarted = performance.now();
    const toEmbed = [...byKey].filter(([, entry]) => understood(entry.language)).map(([key, entry]) => ({ key, text: entry.text }));
    const { vectors: found, embedded } = vectors && toEmbed.length > 0 ? await vectors.vectorsFor(toEmbed, onProgress) : { vectors: new Map<string, Int8Array>(), embedded: 0 };
    const vectorsMs = performance.now() - vectorStarted;
    const items: GroupItem[] = [...byKey].map(([key, entry]) => {
      const vector = found.get(key);
      return { key, text: entry.text, firstSeen: entry.firstSeen, ...(vector ? { vector } : {}) };
    });
    const groupStarted = performance.now();
    const clusters = groupQuestions({ items, thresholds: settings.grouping ?? DEFAULT_GROUPING });
    const groupMs = performance.now() - groupStarted;

    const members: Grouped['members'] = new Map();
    const groups: GapGroup[] = clusters.map((keys) => {
      const entries = keys.map((key) => byKey.get(key) as NonNullable<ReturnType<typeof byKey.get>>);
      const all = entries.flatMap((entry) => entry.questions);
      const wordings = entries.map((entry) => ({ text: cleanQuestion(entry.text), count: entry.questions.length })).sort((a, b) => b.count - a.count);
      const answers = new Map<string, { text: string; outcome?: string; confidence?: number; count: number }>();
      for (const question of all) {
        if (!question.answer) continue;
        const known = answers.get(question.answer.text);
        if (known) known.count += 1;
        else answers.set(question.answer.text, { text: question.answer.text, ...(question.answer.outcome ? { outcome: question.answer.outcome } : {}), ...(question.answer.confidence === undefined ? {} : { confidence: question.answer.confidence }), count: 1 });
      }
      const times = all.map((question) => question.askedAt).sort();
      const id = gapIdOf(keys[0] as string);
      const question = wordings[0]?.text ?? '';
      members.set(id, { messageIds: all.map((item) => item.messageId), keys, wordings: wordings.map((wording) => wording.text), question, language: entries[0]?.language ?? 'en' });
      return {
        id,
        question,
        count: all.length,
        wordings: wordings.slice(0, MAX_WORDINGS),
        firstSeen: times[0] ?? '',
        lastSeen: times.at(-1) ?? '',
        languages: [...new Set(entries.map((entry) => entry.language))],
        reasons: {
          refused: all.filter((item) => item.refused).length,
          lowConfidence: all.filter((item) => item.lowConfidence).length,
          thumbsDown: all.filter((item) => item.thumbsDown).length,
          handedOver: all.filter((item) => item.handedOver).length,
        },
        comments: [...new Set(all.map((item) => item.thumbsDown?.comment ?? '').filter(Boolean))].slice(0, 10),
        answers: [...answers.values()].sort((a, b) => b.count - a.count).slice(0, 3),
        conversations: [...new Set(all.map((item) => item.conversationId))].slice(0, 5),
      };
    });
    groups.sort((a, b) => b.count - a.count || (a.lastSeen < b.lastSeen ? 1 : -1));
    const list: GapList = { since, computedAt: now().toISOString(), questions: open.length, groups, timings: { readMs, vectorsMs, groupMs, embedded } };
    return { list, members, at: Date.now(), sinceDays };
  }

  async function current(sinceDays: number): Promise<Grouped> {
    if (cached && cached.sinceDays === sinceDays && Date.now() - cached.at < CACHE_MS) return cached;
    cached = await group(sinceDays);
    return cached;
  }

  async function findGap(gapId: string, sinceDays: number) {
    let found = (await current(sinceDays)).members.get(gapId);
    if (!found && cached && Date.now() - cached.at > 1000) {
      cached = await group(sinceDays);
      found = cached.members.get(gapId);
    }
    if (!found) throw new KefuError('GAP_NOT_FOUND', { detail: gapId });
    return found;
  }

  /** Writes a recorded change into its file; a failed write undoes the record and the claims. */
  async function write(change: KnowledgeChange): Promise<KnowledgeChange> {
    try {
      await files.apply(change);
    } catch (error) {
      await records.setKnowledgeChangeStatus({ ids: [change.id], status: 'removed' });
      await records.releaseGapClaims(change.id);
      throw error;
    } finally {
      cached = undefined;
    }
    return change;
  }

  async function stage(gradual: boolean | undefined): Promise<{ status: 'live' | 'staged'; releaseId?: string }> {
    const releaseId = await runningRelease();
    const wantsRelease = gradual ?? releaseId !== undefined;
    if (!wantsRelease) return { status: 'live' };
    if (!releaseId) throw new KefuError('RELEASE_NOT_RUNNING', { detail: 'a gradual change needs a running release' });
    return { status: 'staged', releaseId };
  }

  /**
   * Stages (or puts live) one change of the knowledge, records it with the gap messages it answers, and writes the
   * FAQ file: the one path of answer, addWordings and correct.
   */
  async function commitChange(input: {
    fields: Omit<KnowledgeChange, 'id' | 'status' | 'releaseId' | 'createdBy' | 'createdAt' | 'updatedAt'>;
    gradual: boolean | undefined;
    by: string | undefined;
    claim?: { gapId: string; messageIds: string[]; action: 'answered' | 'wordings' };
  }): Promise<KnowledgeChange> {
    const placement = await stage(input.gradual);
    const change = await records.recordKnowledgeChange({
      change: { id: randomUUID(), ...input.fields, ...placement, ...(input.by ? { createdBy: input.by } : {}) },
      ...(input.claim ? { claim: input.claim } : {}),
    });
    return write(change);
  }

  return {
    async list(listOptions = {}) {
      const sinceDays = listOptions.sinceDays ?? settings.windowDays;
      if (!listOptions.fresh && cached && cached.sinceDays === sinceDays && Date.now() - cached.at < CACHE_MS) return cached.list;
      cached = await group(sinceDays, listOptions.onProgress);
      return cached.list;
    },

    async answer(input) {
      const answer = checkAnswer(input.answer);
      const gap = await findGap(input.gapId, input.sinceDays ?? settings.windowDays);
      const question = cleanQuestion(input.question ?? gap.question);
      if (!question) throw new KefuError('REQUEST_INVALID', { detail: 'the question is empty' });
      const seen = new Set([questionKey(question)]);
      const wordings = gap.wordings.filter((wording) => {
        const key = questionKey(wording);
        if (seen.has(key)) return false;
        seen.add(key);
        return true;
      });
      return commitChange({
        fields: {
          kind: 'faq-entry',
          file: KEFU_FAQ_FILE,
          entryId: `kefu-${randomUUID().slice(0, 8)}`,
          question,
          answer,
          wordings: wordings.slice(0, MAX_WORDINGS),
          category: (input.category ?? '').trim().slice(0, 100),
          gapId: input.gapId,
        },
        gradual: input.gradual,
        by: input.by,
        claim: { gapId: input.gapId, messageIds: gap.messageIds, action: 'answered' },
      });
    },

    async addWordings(input) {
      const gap = await findGap(input.gapId, input.sinceDays ?? settings.windowDays);
      const entry = await files.readEntry({ file: input.file, entryId: input.entryId });
      if (!entry) throw new KefuError('FAQ_ENTRY_NOT_FOUND', { detail: `${input.entryId} in ${input.file} (the file or the entry is gone; choose another entry)` });
      return commitChange({
        fields: {
          kind: 'faq-wordings',
          file: input.file,
          entryId: input.entryId,
          question: entry.question,
          answer: entry.answer,
          wordings: gap.wordings.slice(0, MAX_WORDINGS),
          category: entry.category,
          gapId: input.gapId,
        },
        gradual: input.gradual,
        by: input.by,
        claim: { gapId: input.gapId, messageIds: gap.messageIds, action: 'wordings' },
      });
    },

    async dismiss(input) {
      const gap = await findGap(input.gapId, input.sinceDays ?? settings.windowDays);
      await records.dismissGap({ gapId: input.gapId, messageIds: gap.messageIds, questionKeys: gap.keys, ...(input.by ? { by: input.by } : {}) });
      cached = undefined;
    },

    async correct(input) {
      const answer = checkAnswer(input.answer);
      const message = await records.getMessage(input.messageId);
      if (!message || message.role !== 'assistant') throw new KefuError('MESSAGE_NOT_FOUND', { detail: input.messageId });
      const transcript = await records.listMessages(message.conversationId);
      const position = transcript.findIndex((item) => item.id === message.id);
      const asked = transcript.slice(0, position).reverse().find((item) => item.role === 'user');
      const question = cleanQuestion(input.question ?? asked?.text ?? '');
      if (!question) throw new KefuError('REQUEST_INVALID', { detail: 'no question to attach the answer to; give "question"' });
      const claimed = asked ? (await records.claimedGapMessages({ since: asked.createdAt })).has(asked.id) : true;
      return commitChange({
        fields: { kind: 'faq-entry', file: KEFU_FAQ_FILE, entryId: `kefu-${randomUUID().slice(0, 8)}`, question, answer, wordings: [], category: '', messageId: message.id },
        gradual: input.gradual,
        by: input.by,
        ...(asked && !claimed ? { claim: { gapId: 'correction', messageIds: [asked.id], action: 'answered' as const } } : {}),
      });
    },

    async restore() {
      return files.restoreMissing();
    },

    async removeChange({ id }) {
      const change = (await records.listKnowledgeChanges()).find((item) => item.id === id);
      if (!change || change.kind !== 'faq-entry' || change.file !== KEFU_FAQ_FILE || (change.status !== 'live' && change.status !== 'staged')) {
        throw new KefuError('FAQ_ENTRY_NOT_FOUND', { detail: `${id} (only answers kefu wrote can be removed here)` });
      }
      await records.setKnowledgeChangeStatus({ ids: [id], status: 'removed' });
      await files.removeEntry({ entryId: change.entryId, staged: change.status === 'staged' });
      await records.releaseGapClaims(id);
      cached = undefined;
    },

    changes: () => records.listKnowledgeChanges(),
  };
}
