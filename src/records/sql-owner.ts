/**
 * The owner console's records over any `SqlDatabase` (portable SQL): document visibility, the journal of knowledge
 * changes kefu made (FAQ answers, wordings, uploads), which knowledge-gap questions were handled, cached question
 * vectors, gradual releases and their arms, and the reads behind the KPI report and the knowledge gaps.
 *
 * Claims are rows keyed by the customer question's message id, inserted with `ON CONFLICT DO NOTHING` inside the
 * change's transaction: two people answering one gap at once both try to insert the same keys, and the one that
 * inserts fewer rows than it asked for rolls back with GAP_ALREADY_HANDLED, on SQLite and PostgreSQL alike.
 */
import { KefuError } from '../errors/index.ts';
import { toEvent } from './sql-conversations.ts';
import { optionalNumber, optionalText, parseJson, placeholders, text, type SqlDatabase, type SqlExecutor, type SqlRow, type SqlValue } from './sql-database.ts';
import type {
  Channel,
  DocumentSetting,
  GapQuestion,
  KnowledgeChange,
  KnowledgeChangeKind,
  KnowledgeChangeStatus,
  RecordsStore,
  ReleaseArm,
  ReleaseRecord,
  ReleaseStatus,
  TicketReason,
  Visibility,
} from './types.ts';

type OwnerMethods = Pick<
  RecordsStore,
  | 'listDocumentSettings'
  | 'setDocumentVisibility'
  | 'recordKnowledgeChange'
  | 'listKnowledgeChanges'
  | 'setKnowledgeChangeStatus'
  | 'listGapQuestions'
  | 'claimedGapMessages'
  | 'dismissGap'
  | 'dismissedQuestionKeys'
  | 'releaseGapClaims'
  | 'questionVectors'
  | 'saveQuestionVectors'
  | 'startRelease'
  | 'updateRelease'
  | 'endRelease'
  | 'getRelease'
  | 'listReleases'
  | 'assignArm'
  | 'releaseArms'
  | 'reportData'
  | 'waitingTickets'
>;

/** Far enough in the future for "no end" in a text comparison of ISO times. */
const END_OF_TIME = '9999-12-31T23:59:59.999Z';
/** Placeholders per statement: well below SQLite's and PostgreSQL's limits. */
const SLICE = 500;

function toSetting(row: SqlRow): DocumentSetting {
  const setting: DocumentSetting = { path: text(row.path), visibility: text(row.visibility) === 'internal' ? 'internal' : 'customers', updatedAt: text(row.updated_at) };
  const by = optionalText(row.updated_by);
  if (by !== undefined) setting.updatedBy = by;
  return setting;
}

function toChange(row: SqlRow): KnowledgeChange {
  const change: KnowledgeChange = {
    id: text(row.id),
    kind: text(row.kind) as KnowledgeChangeKind,
    file: text(row.file),
    entryId: text(row.entry_id),
    question: text(row.question),
    answer: text(row.answer),
    wordings: parseJson<string[]>(row.wordings, []),
    category: text(row.category),
    status: text(row.status) as KnowledgeChangeStatus,
    createdAt: text(row.created_at),
    updatedAt: text(row.updated_at),
  };
  const optional = { releaseId: optionalText(row.release_id), gapId: optionalText(row.gap_id), messageId: optionalText(row.message_id), createdBy: optionalText(row.created_by) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(change, { [key]: value });
  return change;
}

function toRelease(row: SqlRow): ReleaseRecord {
  const release: ReleaseRecord = {
    id: text(row.id),
    share: Number(row.share),
    status: text(row.status) as ReleaseStatus,
    settings: parseJson<Record<string, string>>(row.settings, {}),
    note: text(row.note),
    startedAt: text(row.started_at),
  };
  const optional = { startedBy: optionalText(row.started_by), endedAt: optionalText(row.ended_at), endedBy: optionalText(row.ended_by) };
  for (const [key, value] of Object.entries(optional)) if (value !== undefined) Object.assign(release, { [key]: value });
  return release;
}

/** Inserts claims for a gap's questions; throws GAP_ALREADY_HANDLED (rolling the transaction back) if any was claimed. */
async function claim(tx: SqlExecutor, input: { gapId: string; messageIds: string[]; action: string; changeId?: string; at: string; by?: string }): Promise<void> {
  const unique = [...new Set(input.messageIds)];
  if (unique.length === 0) throw new KefuError('GAP_NOT_FOUND', { detail: `${input.gapId} (it has no open questions)` });
  let inserted = 0;
  for (const messageId of unique) {
    const { changes } = await tx.run('INSERT INTO gap_claims (message_id, gap_id, action, change_id, at, by_user) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING', [
      messageId,
      input.gapId,
      input.action,
      input.changeId ?? null,
      input.at,
      input.by ?? null,
    ]);
    inserted += changes;
  }
  if (inserted < unique.length) throw new KefuError('GAP_ALREADY_HANDLED', { detail: input.gapId });
}

/**
 * The owner-console half of a `RecordsStore` over a migrated database.
 *
 * @example
 *   const owner = createSqlOwner({ database, now: () => new Date() });
 *   await owner.setDocumentVisibility({ path: 'pricing-internal.pdf', visibility: 'internal' });
 */
export function createSqlOwner(options: { database: SqlDatabase; now: () => Date }): OwnerMethods {
  const { database } = options;
  const timestamp = (): string => options.now().toISOString();

  async function releaseById(executor: SqlExecutor, id: string): Promise<ReleaseRecord> {
    const row = await executor.get('SELECT * FROM releases WHERE id = ?', [id]);
    if (!row) throw new KefuError('RELEASE_NOT_RUNNING', { detail: `no release ${id}` });
    return toRelease(row);
  }

  return {
    listDocumentSettings: async () => (await database.all('SELECT * FROM document_settings ORDER BY path')).map(toSetting),

    setDocumentVisibility: async ({ path, visibility, by }) => {
      const at = timestamp();
      await database.run(
        'INSERT INTO document_settings (path, visibility, updated_at, updated_by) VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET visibility = excluded.visibility, updated_at = excluded.updated_at, updated_by = excluded.updated_by',
        [path, visibility satisfies Visibility, at, by ?? null],
      );
      return { path, visibility, updatedAt: at, ...(by ? { updatedBy: by } : {}) };
    },

    recordKnowledgeChange: ({ change, claim: claimed }) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        if (claimed) await claim(tx, { ...claimed, changeId: change.id, at, ...(change.createdBy ? { by: change.createdBy } : {}) });
        await tx.run(
          `INSERT INTO knowledge_changes (id, kind, file, entry_id, question, answer, wordings, category, status, release_id, gap_id, message_id, created_at, updated_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            change.id,
            change.kind,
            change.file,
            change.entryId,
            change.question,
            change.answer,
            JSON.stringify(change.wordings),
            change.category,
            change.status,
            change.releaseId ?? null,
            change.gapId ?? null,
            change.messageId ?? null,
            at,
            at,
            change.createdBy ?? null,
          ],
        );
        return { ...change, createdAt: at, updatedAt: at };
      }),

    listKnowledgeChanges: async (listOptions = {}) => {
      const where: string[] = [];
      const params: SqlValue[] = [];
      if (listOptions.status) {
        where.push('status = ?');
        params.push(listOptions.status);
      }
      if (listOptions.releaseId) {
        where.push('release_id = ?');
        params.push(listOptions.releaseId);
      }
      if (listOptions.file) {
        where.push('file = ?');
        params.push(listOptions.file);
      }
      const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
      return (await database.all(`SELECT * FROM knowledge_changes ${clause} ORDER BY created_at, id`, params)).map(toChange);
    },

    setKnowledgeChangeStatus: async ({ ids, status }) => {
      const at = timestamp();
      for (let start = 0; start < ids.length; start += SLICE) {
        const slice = ids.slice(start, start + SLICE);
        await database.run(`UPDATE knowledge_changes SET status = ?, updated_at = ? WHERE id IN (${placeholders(slice.length)})`, [status, at, ...slice]);
      }
    },

    listGapQuestions: async ({ since, until = END_OF_TIME, lowConfidence }) => {
      // Conversations with something to look at: a refusal, a weak answer or a "did you mean", a thumbs-down, a hand-over.
      const rows = await database.all(
        `SELECT m.seq, m.id, m.conversation_id, m.role, m.text, m.created_at, m.outcome, m.confidence, m.language, c.channel
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.role IN ('user', 'assistant') AND m.created_at >= ? AND m.created_at < ? AND m.conversation_id IN (
           SELECT conversation_id FROM messages WHERE role = 'assistant' AND created_at >= ? AND created_at < ? AND (outcome IN ('refused', 'clarify') OR (outcome = 'answered' AND confidence < ?))
           UNION SELECT fm.conversation_id FROM feedback f JOIN messages fm ON fm.id = f.message_id WHERE f.rating = 'down' AND f.created_at >= ?
           UNION SELECT conversation_id FROM tickets WHERE created_at >= ? AND created_at < ?)
         ORDER BY m.conversation_id, m.seq`,
        [since, until, since, until, lowConfidence, since, since, until],
      );
      const thumbsDown = new Map<string, string>();
      for (const row of await database.all("SELECT message_id, comment FROM feedback WHERE rating = 'down' AND created_at >= ? ORDER BY created_at", [since])) {
        thumbsDown.set(text(row.message_id), text(row.comment));
      }
      const tickets = new Map<string, Array<{ reason: TicketReason; at: string }>>();
      for (const row of await database.all('SELECT conversation_id, reason, created_at FROM tickets WHERE created_at >= ? AND created_at < ? ORDER BY id', [since, until])) {
        const list = tickets.get(text(row.conversation_id)) ?? [];
        list.push({ reason: text(row.reason) as TicketReason, at: text(row.created_at) });
        tickets.set(text(row.conversation_id), list);
      }

      const found: GapQuestion[] = [];
      // Questions asked in the same millisecond keep the order they were written in (the message's seq).
      const seqOf = new WeakMap<GapQuestion, number>();
      let index = 0;
      while (index < rows.length) {
        const conversationId = text(rows[index]?.conversation_id);
        const pairs: Array<{ question: SqlRow; answer?: SqlRow }> = [];
        let pending: SqlRow | undefined;
        for (; index < rows.length && text(rows[index]?.conversation_id) === conversationId; index += 1) {
          const row = rows[index] as SqlRow;
          if (row.role === 'user') {
            if (pending) pairs.push({ question: pending });
            pending = row;
          } else if (pending) {
            pairs.push({ question: pending, answer: row });
            pending = undefined;
          }
        }
        if (pending) pairs.push({ question: pending });
        const flagged = new Map<number, GapQuestion>();
        const gapOf = (position: number): GapQuestion => {
          let gap = flagged.get(position);
          if (gap) return gap;
          const { question, answer } = pairs[position] as { question: SqlRow; answer?: SqlRow };
          gap = {
            messageId: text(question.id),
            conversationId,
            text: text(question.text),
            askedAt: text(question.created_at),
            channel: (optionalText(question.channel) ?? 'web') as Channel,
            refused: false,
            lowConfidence: false,
          };
          const language = optionalText(answer?.language) ?? optionalText(question.language);
          if (language !== undefined) gap.language = language;
          if (answer) {
            gap.answer = { messageId: text(answer.id), text: text(answer.text) };
            const outcome = optionalText(answer.outcome);
            const confidence = optionalNumber(answer.confidence);
            if (outcome !== undefined) gap.answer.outcome = outcome;
            if (confidence !== undefined) gap.answer.confidence = confidence;
          }
          flagged.set(position, gap);
          seqOf.set(gap, Number(question.seq));
          return gap;
        };
        pairs.forEach((pair, position) => {
          const outcome = optionalText(pair.answer?.outcome);
          const confidence = optionalNumber(pair.answer?.confidence);
          if (outcome === 'refused') gapOf(position).refused = true;
          // A "did you mean …?" (clarify) is kefu not sure enough to answer: a weak answer, like one below the threshold.
          if ((outcome === 'answered' && confidence !== undefined && confidence < lowConfidence) || outcome === 'clarify') gapOf(position).lowConfidence = true;
          const comment = pair.answer ? thumbsDown.get(text(pair.answer.id)) : undefined;
          if (comment !== undefined) gapOf(position).thumbsDown = { comment };
        });
        // A hand-over points at the last real question before it (not the "talk to a person" request itself).
        for (const ticket of tickets.get(conversationId) ?? []) {
          for (let position = pairs.length - 1; position >= 0; position -= 1) {
            const pair = pairs[position] as { question: SqlRow; answer?: SqlRow };
            if (!pair.answer || text(pair.answer.created_at) > ticket.at) continue;
            if (pair.answer.outcome === 'handoff') continue;
            gapOf(position).handedOver ??= ticket.reason;
            break;
          }
        }
        found.push(...[...flagged.entries()].sort((a, b) => a[0] - b[0]).map(([, gap]) => gap));
      }
      return found.sort((a, b) => (a.askedAt < b.askedAt ? -1 : a.askedAt > b.askedAt ? 1 : (seqOf.get(a) ?? 0) - (seqOf.get(b) ?? 0)));
    },

    claimedGapMessages: async ({ since }) => new Set((await database.all('SELECT message_id FROM gap_claims g JOIN messages m ON m.id = g.message_id WHERE m.created_at >= ?', [since])).map((row) => text(row.message_id))),

    dismissGap: ({ gapId, messageIds, questionKeys, by }) =>
      database.transaction(async (tx) => {
        const at = timestamp();
        await claim(tx, { gapId, messageIds, action: 'dismissed', at, ...(by ? { by } : {}) });
        for (const key of new Set(questionKeys)) {
          await tx.run('INSERT INTO gap_dismissed (question_key, gap_id, at, by_user) VALUES (?, ?, ?, ?) ON CONFLICT (question_key) DO NOTHING', [key, gapId, at, by ?? null]);
        }
      }),

    dismissedQuestionKeys: async () => new Set((await database.all('SELECT question_key FROM gap_dismissed')).map((row) => text(row.question_key))),

    releaseGapClaims: async (changeId) => {
      await database.run('DELETE FROM gap_claims WHERE change_id = ?', [changeId]);
    },

    questionVectors: async (keys) => {
      const found = new Map<string, string>();
      for (let start = 0; start < keys.length; start += SLICE) {
        const slice = keys.slice(start, start + SLICE);
        for (const row of await database.all(`SELECT key, vector FROM question_vectors WHERE key IN (${placeholders(slice.length)})`, slice)) found.set(text(row.key), text(row.vector));
      }
      return found;
    },

    saveQuestionVectors: async (entries) => {
      if (entries.length === 0) return;
      const at = timestamp();
      await database.transaction(async (tx) => {
        for (const entry of entries) {
          await tx.run('INSERT INTO question_vectors (key, vector, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING', [entry.key, entry.vector, at]);
        }
      });
    },

    startRelease: ({ id, share, settings, note, by }) =>
      database.transaction(async (tx) => {
        const running = await tx.get("SELECT id FROM releases WHERE status = 'running'");
        if (running) throw new KefuError('RELEASE_RUNNING', { detail: text(running.id) });
        const { changes } = await tx.run(
          "INSERT INTO releases (id, share, status, settings, note, started_at, started_by) VALUES (?, ?, 'running', ?, ?, ?, ?) ON CONFLICT DO NOTHING",
          [id, share, JSON.stringify(settings), note ?? '', timestamp(), by ?? null],
        );
        // The unique index on the running release: another process started one between our read and our insert.
        if (changes === 0) throw new KefuError('RELEASE_RUNNING', { detail: 'another release started at the same moment' });
        return releaseById(tx, id);
      }),

    updateRelease: ({ id, share }) =>
      database.transaction(async (tx) => {
        const { changes } = await tx.run("UPDATE releases SET share = ? WHERE id = ? AND status = 'running'", [share, id]);
        if (changes === 0) throw new KefuError('RELEASE_NOT_RUNNING', { detail: id });
        return releaseById(tx, id);
      }),

    endRelease: ({ id, status, by }) =>
      database.transaction(async (tx) => {
        const { changes } = await tx.run("UPDATE releases SET status = ?, ended_at = ?, ended_by = ? WHERE id = ? AND status = 'running'", [status, timestamp(), by ?? null, id]);
        if (changes === 0) throw new KefuError('RELEASE_NOT_RUNNING', { detail: id });
        return releaseById(tx, id);
      }),

    getRelease: async (id) => {
      const row = await database.get('SELECT * FROM releases WHERE id = ?', [id]);
      return row ? toRelease(row) : undefined;
    },

    listReleases: async (listOptions = {}) => (await database.all('SELECT * FROM releases ORDER BY started_at DESC, id LIMIT ?', [listOptions.limit ?? 50])).map(toRelease),

    assignArm: async ({ releaseId, conversationId, arm }) => {
      await database.run('INSERT INTO release_assignments (release_id, conversation_id, arm, at) VALUES (?, ?, ?, ?) ON CONFLICT (release_id, conversation_id) DO NOTHING', [
        releaseId,
        conversationId,
        arm,
        timestamp(),
      ]);
      const row = await database.get('SELECT arm FROM release_assignments WHERE release_id = ? AND conversation_id = ?', [releaseId, conversationId]);
      return (optionalText(row?.arm) ?? arm) as ReleaseArm;
    },

    releaseArms: async (releaseId) =>
      new Map((await database.all('SELECT conversation_id, arm FROM release_assignments WHERE release_id = ?', [releaseId])).map((row) => [text(row.conversation_id), text(row.arm) as ReleaseArm])),

    reportData: async ({ since, until, types }) => {
      const conversations = (await database.all('SELECT id, created_at, channel, language FROM conversations WHERE created_at >= ? AND created_at < ? ORDER BY created_at', [since, until])).map((row) => {
        const conversation: { id: string; createdAt: string; channel: Channel; language?: string } = { id: text(row.id), createdAt: text(row.created_at), channel: (optionalText(row.channel) ?? 'web') as Channel };
        const language = optionalText(row.language);
        if (language !== undefined) conversation.language = language;
        return conversation;
      });
      const events = (
        await database.all(
          `SELECT e.seq, e.conversation_id, e.type, e.at, e.actor_type, e.actor_id, e.data FROM conversation_events e JOIN conversations c ON c.id = e.conversation_id WHERE c.created_at >= ? AND c.created_at < ?${types && types.length > 0 ? ` AND e.type IN (${placeholders(types.length)})` : ''} ORDER BY e.seq`,
          [since, until, ...(types ?? [])],
        )
      ).map(toEvent);
      return { conversations, events };
    },

    waitingTickets: async () => {
      const row = await database.get("SELECT COUNT(*) AS count, MIN(t.created_at) AS oldest FROM tickets t JOIN conversations c ON c.id = t.conversation_id WHERE t.status = 'open' AND c.state = 'waiting'");
      const oldest = optionalText(row?.oldest);
      return { count: Number(row?.count ?? 0), ...(oldest ? { oldestCreatedAt: oldest } : {}) };
    },
  };
}
