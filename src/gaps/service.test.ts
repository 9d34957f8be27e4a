/**
 * The knowledge-gap service over real records (SQLite, and PostgreSQL when installed) and real files, grouping by words and character pairs (no
 * model in the fast tests; the embedding path runs in the HTTP and browser tests): which questions are gaps, how
 * they group, answering (once, even when asked twice at once), adding wordings, dismissing, correcting, and the bad
 * inputs of the issue.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeOnEachEngine, type RecordsEngine } from '../../test/support/records-engines.ts';
import type { RecordsStore } from '../records/types.ts';
import { DEFAULT_GROUPING } from './group.ts';
import { createKnowledgeFiles, KEFU_FAQ_FILE } from './knowledge-files.ts';
import { createGapService, type GapService } from './service.ts';

let directory: string;
let engine: RecordsEngine;
let records: RecordsStore;
let gaps: GapService;

async function ask(question: string, answer: { text: string; outcome: string; confidence: number }): Promise<{ conversationId: string; answerId: string; questionId: string }> {
  const conversation = await records.createConversation({ channel: 'web' });
  const [asked, answered] = await records.appendMessages([
    { conversationId: conversation.id, role: 'user', text: question },
    { conversationId: conversation.id, role: 'assistant', text: answer.text, outcome: answer.outcome, confidence: answer.confidence, language: /\p{Script=Han}/u.test(question) ? 'zh' : 'en' },
  ]);
  return { conversationId: conversation.id, answerId: answered?.id ?? '', questionId: asked?.id ?? '' };
}
const refused = { text: 'Sorry, I could not find that.', outcome: 'refused', confidence: 0.1 };

beforeEach(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'kefu-gaps-'));
  records = await engine.open();
  // No model here, so English goes the lexical path too; these tests are about the service, so a looser lexical
  // threshold than the default (tuned for Chinese, precision first: bench/gaps.ts) lets "ship"/"deliver" wordings meet.
  gaps = createGapService({ records, files: createKnowledgeFiles({ inboxDir: path.join(directory, 'inbox'), records }), settings: { lowConfidence: 0.5, windowDays: 90, grouping: { ...DEFAULT_GROUPING, lexical: 0.5 } } });
});

afterEach(async () => {
  await records.close();
  await rm(directory, { recursive: true, force: true });
});

async function kefuRows(): Promise<string[][]> {
  return (parseCsv(await readFile(path.join(directory, 'inbox', KEFU_FAQ_FILE), 'utf8'), { bom: true, relax_column_count: true }) as string[][]).slice(1);
}

// The gap queries (sql-owner.ts) run on every records engine.
describeOnEachEngine({ title: 'gaps', started: (candidate) => (engine = candidate), suite: defineSuite });

function defineSuite(): void {
  describe('which questions are gaps', () => {
    it('collects refusals, weak answers and "did you mean", thumbs-down (with the comment) and hand-overs, not good answers', async () => {
      await ask('Do you ship to Iceland?', refused);
      await ask('Do you deliver to Iceland', refused);
      const weak = await ask('Can I pay with bitcoin?', { text: 'Maybe.', outcome: 'answered', confidence: 0.3 });
      await ask('Do you sell wool socks?', { text: 'Did you mean one of these?', outcome: 'clarify', confidence: 0.8 });
      await ask('How long do refunds take?', { text: 'Five days.', outcome: 'answered', confidence: 0.9 });
      const disliked = await ask('What is the warranty on batteries?', { text: 'Two years.', outcome: 'answered', confidence: 0.8 });
      await records.addFeedback({ messageId: disliked.answerId, rating: 'down', comment: 'Batteries only have one year!' });
      const handed = await ask('My parcel arrived broken', { text: 'Contact support.', outcome: 'answered', confidence: 0.7 });
      await records.appendMessages([
        { conversationId: handed.conversationId, role: 'user', text: 'I want a person' },
        { conversationId: handed.conversationId, role: 'assistant', text: 'Connecting you.', outcome: 'handoff', confidence: 1 },
      ]);
      await records.openTicket({ conversationId: handed.conversationId, reason: 'customer-request' });

      const list = await gaps.list();
      expect(list.questions).toBe(6);
      const byQuestion = new Map(list.groups.map((group) => [group.wordings.map((wording) => wording.text).sort().join(' | '), group]));
      const iceland = byQuestion.get('Do you deliver to Iceland | Do you ship to Iceland?');
      expect(iceland).toMatchObject({ count: 2, reasons: { refused: 2, lowConfidence: 0, thumbsDown: 0, handedOver: 0 } });
      expect(iceland?.answers[0]).toMatchObject({ text: 'Sorry, I could not find that.', outcome: 'refused', count: 2 });
      expect(list.groups[0]?.id).toBe(iceland?.id);
      expect(byQuestion.get('Can I pay with bitcoin?')?.reasons.lowConfidence).toBe(1);
      expect(byQuestion.get('Can I pay with bitcoin?')?.conversations).toEqual([weak.conversationId]);
      // "Did you mean …?" is kefu not sure enough to answer: a gap like a weak answer.
      expect(byQuestion.get('Do you sell wool socks?')?.reasons.lowConfidence).toBe(1);
      expect(byQuestion.get('What is the warranty on batteries?')).toMatchObject({ reasons: { thumbsDown: 1 }, comments: ['Batteries only have one year!'] });
      // The hand-over points at the question before "I want a person", which is no gap itself.
      expect(byQuestion.get('My parcel arrived broken')?.reasons.handedOver).toBe(1);
      expect([...byQuestion.keys()].some((key) => key.includes('I want a person'))).toBe(false);
    });

    it('groups Chinese questions by words and character pairs', async () => {
      await ask('退款多久到账？', refused);
      await ask('退款要多久才能到账', refused);
      await ask('可以开发票吗', refused);
      const groups = (await gaps.list()).groups;
      expect(groups.map((group) => group.count).sort()).toEqual([1, 2]);
      expect(groups.find((group) => group.count === 2)?.languages).toEqual(['zh']);
    });
  });

  describe('closing a gap', () => {
    it('answers a group once: a new FAQ entry with the wordings as alternates; the gap is gone; markup stays text', async () => {
      await ask('Do you ship to Iceland?', refused);
      await ask('do you ship to iceland', refused);
      await ask('Do you deliver to Iceland', refused);
      const [gap] = (await gaps.list()).groups;
      const answer = 'Yes: 7–14 days. <script>alert("x")</script>';
      const results = await Promise.allSettled([gaps.answer({ gapId: gap?.id ?? '', answer, by: 'olivia' }), gaps.answer({ gapId: gap?.id ?? '', answer, by: 'oscar' })]);
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      const failure = results.find((result) => result.status === 'rejected') as PromiseRejectedResult;
      expect(failure.reason).toMatchObject({ code: 'GAP_ALREADY_HANDLED', status: 409 });
      const rows = await kefuRows();
      expect(rows).toHaveLength(1);
      expect(rows[0]?.[1]).toBe('Do you ship to Iceland?');
      expect(rows[0]?.[2]).toBe(answer);
      expect(rows[0]?.[3]).toBe('Do you deliver to Iceland');
      expect((await gaps.list({ fresh: true })).groups).toEqual([]);
      const [change] = await gaps.changes();
      expect(change).toMatchObject({ kind: 'faq-entry', status: 'live', gapId: gap?.id, createdBy: expect.stringMatching(/olivia|oscar/) });
    });

    it('refuses an empty answer and an unknown gap, writing nothing', async () => {
      await ask('Do you ship to Iceland?', refused);
      const [gap] = (await gaps.list()).groups;
      await expect(gaps.answer({ gapId: gap?.id ?? '', answer: '  \n ' })).rejects.toMatchObject({ code: 'ANSWER_EMPTY', status: 400 });
      await expect(gaps.answer({ gapId: 'gnothere', answer: 'Yes.' })).rejects.toMatchObject({ code: 'GAP_NOT_FOUND', status: 404 });
      await expect(gaps.answer({ gapId: gap?.id ?? '', answer: 'x'.repeat(10_001) })).rejects.toMatchObject({ code: 'ANSWER_TOO_LONG' });
      expect((await gaps.list({ fresh: true })).groups).toHaveLength(1);
      expect(await gaps.changes()).toEqual([]);
    });

    it('adds wordings to an existing entry of a person\'s FAQ file; a deleted file leaves the gap open with a clear error', async () => {
      const inbox = path.join(directory, 'inbox');
      await rm(inbox, { recursive: true, force: true });
      await import('node:fs/promises').then((fs) => fs.mkdir(inbox, { recursive: true }));
      await writeFile(path.join(inbox, 'faq.csv'), 'id,question,answer\nship,Where do you ship?,Europe and Iceland.\n');
      await ask('Do you ship to Iceland?', refused);
      const [gap] = (await gaps.list()).groups;
      await rm(path.join(inbox, 'faq.csv'));
      await expect(gaps.addWordings({ gapId: gap?.id ?? '', file: 'faq.csv', entryId: 'ship' })).rejects.toMatchObject({ code: 'FAQ_ENTRY_NOT_FOUND', status: 404 });
      expect((await gaps.list({ fresh: true })).groups.map((group) => group.id)).toEqual([gap?.id]);
      await writeFile(path.join(inbox, 'faq.csv'), 'id,question,answer\nship,Where do you ship?,Europe and Iceland.\n');
      await gaps.addWordings({ gapId: gap?.id ?? '', file: 'faq.csv', entryId: 'ship' });
      expect(await readFile(path.join(inbox, 'faq.csv'), 'utf8')).toContain('ship,Where do you ship?,Europe and Iceland.,Do you ship to Iceland?');
      expect((await gaps.list({ fresh: true })).groups).toEqual([]);
    });

    it('dismisses a gap: its wordings stay hidden when asked again, other questions do not', async () => {
      await ask('What is the meaning of life?', refused);
      const [gap] = (await gaps.list()).groups;
      await gaps.dismiss({ gapId: gap?.id ?? '' });
      await ask('what is the meaning of life', refused);
      await ask('Do you sell gift cards?', refused);
      expect((await gaps.list({ fresh: true })).groups.map((group) => group.question)).toEqual(['Do you sell gift cards?']);
      await expect(gaps.dismiss({ gapId: gap?.id ?? '' })).rejects.toMatchObject({ code: 'GAP_NOT_FOUND' });
    });

    it('corrects an answer from a conversation with the customer\'s question; the question leaves the gaps', async () => {
      const weak = await ask('Can I pay with bitcoin?', { text: 'Maybe.', outcome: 'answered', confidence: 0.3 });
      await gaps.correct({ messageId: weak.answerId, answer: 'No, we accept cards and PayPal.', by: 'alice' });
      expect((await kefuRows()).map((row) => [row[1], row[2]])).toEqual([['Can I pay with bitcoin?', 'No, we accept cards and PayPal.']]);
      expect((await gaps.list({ fresh: true })).groups).toEqual([]);
      await expect(gaps.correct({ messageId: weak.questionId, answer: 'x' })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    });

    it('stages a change for a running release in kefu-release/, seeded from the live file', async () => {
      await ask('Do you ship to Iceland?', refused);
      const [first] = (await gaps.list()).groups;
      await gaps.answer({ gapId: first?.id ?? '', answer: 'Live answer.' });
      await records.startRelease({ id: 'r1', share: 50, settings: {} });
      await ask('Do you sell gift cards?', refused);
      const [second] = (await gaps.list({ fresh: true })).groups;
      const change = await gaps.answer({ gapId: second?.id ?? '', answer: 'Staged answer.' });
      expect(change).toMatchObject({ status: 'staged', releaseId: 'r1' });
      const staged = await readFile(path.join(directory, 'inbox', 'kefu-release', KEFU_FAQ_FILE), 'utf8');
      expect(staged).toContain('Live answer.');
      expect(staged).toContain('Staged answer.');
      expect((await kefuRows()).map((row) => row[2])).toEqual(['Live answer.']);
      await expect(gaps.correct({ messageId: 'nope', answer: 'x', gradual: false })).rejects.toMatchObject({ code: 'MESSAGE_NOT_FOUND' });
    });
  });

  describe('answers staged in a gradual release', () => {
    it('does not show the control arm\'s refusals of a question already answered (staged, then promoted), but does show it again when refused after going live', async () => {
      await ask('Do you repair umbrellas?', refused);
      const [gap] = (await gaps.list({ fresh: true })).groups;
      await records.startRelease({ id: 'release-1', share: 50, settings: {} });
      const change = await gaps.answer({ gapId: gap?.id ?? '', answer: 'Yes, for $8.', gradual: true });
      expect(change.status).toBe('staged');
      // A customer on the control arm is refused by design while the answer is staged: not a new gap.
      await ask('Do you repair umbrellas?', refused);
      expect((await gaps.list({ fresh: true })).groups).toEqual([]);
      // Promoted: still nothing open for the questions asked before.
      await records.setKnowledgeChangeStatus({ ids: [change.id], status: 'live' });
      await records.endRelease({ id: 'release-1', status: 'promoted' });
      expect((await gaps.list({ fresh: true })).groups).toEqual([]);
      // Refused again after it went live: something is wrong with the answer, and the owner should see it.
      await new Promise((resolve) => setTimeout(resolve, 5));
      await ask('Do you repair umbrellas?', refused);
      const again = await gaps.list({ fresh: true });
      expect(again.groups.map((group) => group.count)).toEqual([1]);
    });
  });
}
