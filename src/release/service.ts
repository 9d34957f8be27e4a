/**
 * Gradual release (灰度发布): a change to the knowledge base or to the answer settings goes to a share of customers
 * first, with the KPIs of both arms side by side, and is then promoted to everyone or rolled back.
 *
 * Design (README.md says why): one index, two views of it. Changes made for a running release are written to the
 * staging folder `kefu-release/` inside the ingest folder (`kefu-release/kefu-answers.csv` is the live file plus the
 * release's entries), which the normal sync indexes like any folder. The **control** arm searches without the staged
 * documents; the **candidate** arm searches without the live documents they supersede (and with the candidate's answer
 * settings). Internal documents are left out of both. Promotion replays the release's changes onto the live files
 * and deletes the staging folder; rollback deletes the staging folder. Until the index has caught up, everyone gets
 * the view the release ended with, so promotion reaches everyone and a rollback nobody, at once.
 *
 * A visitor's arm is sticky: a hash of (release id, visitor id) in [0, 100) below the share is the candidate, so
 * raising the share only moves visitors from control to candidate; a conversation keeps the arm it started with.
 *
 * @example
 *   const releases = createReleaseService({ records, files, answerService, candidateService, documentPaths });
 *   const plan = await releases.forCustomer({ conversationId, visitorId });
 *   const result = await plan.service.answer({ question, filters: plan.filters });
 */
import { createHash, randomUUID } from 'node:crypto';
import type { AnswerFilters, AnswerService } from '../answer/types.ts';
import { KefuError } from '../errors/index.ts';
import { liveOfStaged, type KnowledgeFiles } from '../gaps/knowledge-files.ts';
import { isRecordsFailure } from '../records/failure.ts';
import type { RecordsStore, ReleaseArm, ReleaseRecord } from '../records/types.ts';

/** How long the release state, visibility and the indexed paths are trusted before they are read again. */
const CACHE_MS = 2000;
/** Conversations whose arm is remembered in memory (the records keep all of them). */
const REMEMBERED_ARMS = 10_000;

export interface AnswerPlan {
  service: AnswerService;
  filters: AnswerFilters;
  release?: { id: string; arm: ReleaseArm };
}

export interface ReleaseService {
  /**
   * The answer service and filters for a customer's question (internal documents always left out). Without a
   * conversation (a turn answered while the records are down) the arm comes from the visitor and is not stored.
   */
  forCustomer(input: { conversationId?: string; visitorId?: string }): Promise<AnswerPlan>;
  /** For staff: every document the customers' default view has, internal ones included. */
  forStaff(): Promise<AnswerPlan>;
  /** Whether customers may open a document (customer-visible; staged copies follow their live path). */
  isCustomerVisible(docPath: string): Promise<boolean>;
  /** Internal document paths (live paths). */
  internalPaths(): Promise<Set<string>>;
  setVisibility(input: { path: string; visibility: 'customers' | 'internal'; by?: string }): Promise<void>;
  current(): Promise<ReleaseRecord | undefined>;
  list(): Promise<ReleaseRecord[]>;
  start(input: { share: number; settings?: Record<string, string>; note?: string; by?: string }): Promise<ReleaseRecord>;
  setShare(input: { share: number }): Promise<ReleaseRecord>;
  promote(input: { by?: string }): Promise<{ release: ReleaseRecord; applied: number }>;
  rollback(input: { by?: string }): Promise<{ release: ReleaseRecord; reverted: number }>;
  /** Forget cached state (after a change made by another process). */
  invalidate(): void;
}

/**
 * The arm of a visitor in a release: candidate when the visitor's bucket (0–99.99) is below the share.
 *
 * @example
 *   armFor({ releaseId: 'r1', visitor: 'v-123', share: 20 }) // 'control' or 'candidate', always the same for v-123
 */
export function armFor(options: { releaseId: string; visitor: string; share: number }): ReleaseArm {
  const hash = createHash('sha256').update(`${options.releaseId}:${options.visitor}`).digest();
  const bucket = hash.readUInt32BE(0) % 10_000;
  return bucket < Math.round(options.share * 100) ? 'candidate' : 'control';
}

export function checkShare(share: number): number {
  if (!Number.isInteger(share) || share < 1 || share > 99) throw new KefuError('RELEASE_INVALID', { detail: `share ${share} is not a whole percent from 1 to 99` });
  return share;
}

export function createReleaseService(options: {
  records: RecordsStore;
  files: KnowledgeFiles;
  /** Answers with the settings in force. */
  answerService: AnswerService;
  /** Builds an answer service with some answer settings changed (validated: throws CONFIG_INVALID). */
  candidateService?: (settings: Record<string, string>) => AnswerService;
  /** Every document path in the index (staged copies included), to know which are staged. */
  documentPaths: () => Promise<string[]>;
}): ReleaseService {
  const { records, files } = options;
  let baseService = options.answerService;
  const candidates = new Map<string, AnswerService>();
  const arms = new Map<string, ReleaseArm>();
  let cache: { at: number; release?: ReleaseRecord; ended?: ReleaseRecord; internal: Set<string>; paths: string[] } | undefined;

  async function state() {
    if (cache && Date.now() - cache.at < CACHE_MS) return cache;
    const last = cache;
    const [paths, stored] = await Promise.all([
      options.documentPaths(),
      Promise.all([records.listReleases({ limit: 1 }), records.listDocumentSettings()]).then(
        (values) => ({ values }),
        (error: unknown) => {
          // The records down: the last good view (which documents are internal, the release) keeps customers answered
          // safely and is read again after CACHE_MS. Never read: the error stands, so nobody is answered without it.
          if (last && isRecordsFailure(error)) return { last };
          throw error;
        },
      ),
    ]);
    if ('last' in stored) {
      cache = { ...stored.last, at: Date.now(), paths };
      return cache;
    }
    const [releases, settings] = stored.values;
    const latest = releases[0];
    cache = {
      at: Date.now(),
      ...(latest?.status === 'running' ? { release: latest } : latest ? { ended: latest } : {}),
      internal: new Set(settings.filter((setting) => setting.visibility === 'internal').map((setting) => setting.path)),
      paths,
    };
    return cache;
  }

  function serviceFor(release: ReleaseRecord): AnswerService {
    if (Object.keys(release.settings).length === 0 || !options.candidateService) return baseService;
    let service = candidates.get(release.id);
    if (!service) {
      service = options.candidateService(release.settings);
      candidates.set(release.id, service);
    }
    return service;
  }

  /** Filters of an arm: internal documents out; control without the staged copies, candidate without what they replace. */
  function filtersFor(view: 'control' | 'candidate', current: Awaited<ReturnType<typeof state>>): AnswerFilters {
    const staged = current.paths.filter((docPath) => liveOfStaged(docPath) !== undefined);
    const internal = current.paths.filter((docPath) => current.internal.has(liveOfStaged(docPath) ?? docPath));
    const exclude = new Set(internal);
    if (view === 'control') for (const docPath of staged) exclude.add(docPath);
    else for (const docPath of staged) exclude.add(liveOfStaged(docPath) as string);
    return exclude.size > 0 ? { excludeDocPath: [...exclude] } : {};
  }

  function remember(key: string, arm: ReleaseArm): void {
    arms.set(key, arm);
    if (arms.size > REMEMBERED_ARMS) arms.delete(arms.keys().next().value ?? '');
  }

  /** Stores a conversation's arm so it keeps it; with the records down, the drawn arm serves this turn only. */
  async function keepArm(input: { releaseId: string; conversationId: string; arm: ReleaseArm }): Promise<ReleaseArm> {
    try {
      const arm = await records.assignArm(input);
      remember(`${input.releaseId}:${input.conversationId}`, arm);
      return arm;
    } catch (error) {
      if (isRecordsFailure(error)) return input.arm;
      throw error;
    }
  }

  async function running(): Promise<ReleaseRecord> {
    const release = (await records.listReleases({ limit: 1 }))[0];
    if (!release || release.status !== 'running') throw new KefuError('RELEASE_NOT_RUNNING', { detail: release ? `the last release (${release.id}) was ${release.status}` : 'none was started' });
    return release;
  }

  return {
    async forCustomer({ conversationId, visitorId }) {
      const current = await state();
      const release = current.release;
      if (!release) {
        // A release that just ended: its view stays until the index no longer holds staged copies.
        const settled = !current.paths.some((docPath) => liveOfStaged(docPath) !== undefined);
        const view = !settled && current.ended?.status === 'promoted' ? 'candidate' : 'control';
        return { service: baseService, filters: filtersFor(view, current) };
      }
      const visitor = visitorId ?? conversationId;
      const drawn: ReleaseArm = visitor ? armFor({ releaseId: release.id, visitor, share: release.share }) : 'control';
      const arm = conversationId ? (arms.get(`${release.id}:${conversationId}`) ?? (await keepArm({ releaseId: release.id, conversationId, arm: drawn }))) : drawn;
      return { service: arm === 'candidate' ? serviceFor(release) : baseService, filters: filtersFor(arm, current), release: { id: release.id, arm } };
    },

    async forStaff() {
      const current = await state();
      const view = current.release ? 'control' : current.ended?.status === 'promoted' && current.paths.some((docPath) => liveOfStaged(docPath) !== undefined) ? 'candidate' : 'control';
      const filters = filtersFor(view, { ...current, internal: new Set() });
      return { service: baseService, filters };
    },

    async isCustomerVisible(docPath) {
      const current = await state();
      return !current.internal.has(liveOfStaged(docPath) ?? docPath);
    },

    async internalPaths() {
      return new Set((await state()).internal);
    },

    async setVisibility(input) {
      await records.setDocumentVisibility(input);
      cache = undefined;
    },

    current: async () => (await state()).release,

    list: () => records.listReleases({ limit: 50 }),

    async start(input) {
      const share = checkShare(input.share);
      const settings = input.settings ?? {};
      // Validated before anything is stored (a bad setting never starts a release).
      if (Object.keys(settings).length > 0) {
        if (!options.candidateService) throw new KefuError('RELEASE_INVALID', { detail: 'this kefu cannot change answer settings per release' });
        options.candidateService(settings);
      }
      const release = await records.startRelease({ id: `r-${randomUUID().slice(0, 8)}`, share, settings, ...(input.note ? { note: input.note } : {}), ...(input.by ? { by: input.by } : {}) });
      cache = undefined;
      return release;
    },

    async setShare(input) {
      const release = await running();
      const updated = await records.updateRelease({ id: release.id, share: checkShare(input.share) });
      cache = undefined;
      return updated;
    },

    async promote(input) {
      const release = await running();
      const staged = await records.listKnowledgeChanges({ releaseId: release.id, status: 'staged' });
      for (const change of staged) await files.apply({ ...change, status: 'live' });
      await records.setKnowledgeChangeStatus({ ids: staged.map((change) => change.id), status: 'live' });
      const ended = await records.endRelease({ id: release.id, status: 'promoted', ...(input.by ? { by: input.by } : {}) });
      await files.clearStaging();
      if (Object.keys(release.settings).length > 0) baseService = serviceFor(release);
      cache = undefined;
      return { release: ended, applied: staged.length };
    },

    async rollback(input) {
      const release = await running();
      const staged = await records.listKnowledgeChanges({ releaseId: release.id, status: 'staged' });
      await records.setKnowledgeChangeStatus({ ids: staged.map((change) => change.id), status: 'rolled-back' });
      // The gaps these changes answered are open again.
      for (const change of staged) await records.releaseGapClaims(change.id);
      const ended = await records.endRelease({ id: release.id, status: 'rolled-back', ...(input.by ? { by: input.by } : {}) });
      await files.clearStaging();
      candidates.delete(release.id);
      cache = undefined;
      return { release: ended, reverted: staged.length };
    },

    invalidate() {
      cache = undefined;
    },
  };
}

/**
 * The answer settings promoted releases put in force, oldest first (a later release's value wins), to apply over
 * the environment's at start.
 *
 * @example
 *   const config = withAnswerSettings(loadConfig(), await promotedSettings(records));
 */
export async function promotedSettings(records: RecordsStore): Promise<Record<string, string>> {
  const releases = (await records.listReleases({ limit: 1000 })).filter((release) => release.status === 'promoted').reverse();
  return Object.assign({}, ...releases.map((release) => release.settings)) as Record<string, string>;
}
