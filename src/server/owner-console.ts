/**
 * What the owner console's routes need, as small interfaces the composition root implements
 * (`cli/owner-console.ts`: over the index, the ingest folder, the evaluation harness), so `src/server` imports
 * neither `ingest/` nor `eval/`.
 */
import type { GapService } from '../gaps/index.ts';
import type { ReleaseService } from '../release/index.ts';
import type { ReportService } from '../reports/index.ts';
import type { Visibility } from '../records/types.ts';

/** A document as the console lists it. */
export interface AdminDocument {
  /** The key in the index: the path inside the ingest folder ("kefu-release/…" for a release's staged copy). */
  path: string;
  title: string;
  type: string;
  status: 'indexed' | 'failed' | 'skipped' | 'indexing';
  /** Why it failed, e.g. "INGEST_NO_TEXT: No text found: scan.pdf (…)". */
  reason: string;
  pages: number;
  chunks: number;
  size: number;
  indexedAt: string;
  modifiedAt: string;
  visibility: Visibility;
  /** Staged for the running release (not yet customers' default). */
  staged: boolean;
}

export interface DocumentAdmin {
  list(): Promise<AdminDocument[]>;
  /** Writes an uploaded file into the ingest folder (or the release's staging folder); the sync indexes it. */
  upload(input: { name: string; bytes: Buffer; gradual: boolean; by?: string }): Promise<{ path: string; staged: boolean }>;
  /** Moves a document out of the ingest folder (into the data folder's trash); the sync removes it from the index. */
  remove(input: { path: string; by?: string }): Promise<{ path: string }>;
  /** Largest upload accepted, in bytes. */
  readonly maxBytes: number;
}

/** An FAQ entry of the index, to add a gap's wordings to. */
export interface FaqEntrySummary {
  file: string;
  id: string;
  question: string;
  alternates: number;
  answer: string;
  category: string;
}

/** What the evaluation says about a change before it is published (`kefu eval --compare` of before and after). */
export interface CheckResult {
  dataset: string;
  questions: number;
  before: Record<string, number>;
  after: Record<string, number>;
  metrics: Array<{ metric: string; before?: number; after?: number; delta: number; improved?: boolean }>;
  improved: Array<{ id: string; question: string; change: string }>;
  regressed: Array<{ id: string; question: string; change: string }>;
  milliseconds: number;
}

export interface PublishCheck {
  /** The dataset's name (shown in the console). */
  readonly dataset: string;
  /** Evaluates the knowledge base as it is and with this FAQ entry added, and compares them. */
  check(input: { question: string; answer: string; wordings: string[] }): Promise<CheckResult>;
}

export interface OwnerConsole {
  documents: DocumentAdmin;
  gaps: GapService;
  releases: ReleaseService;
  reports: ReportService;
  faqEntries(): Promise<FaqEntrySummary[]>;
  /** Present when KEFU_EVAL_DATASET names a dataset. */
  check?: PublishCheck;
}
