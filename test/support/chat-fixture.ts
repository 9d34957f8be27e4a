/**
 * A real, small knowledge base for the chat service tests: Markdown documents and an FAQ in a temp
 * inbox, synced with the real ingest pipeline into a real LanceDB index with the bundled model, and the
 * real answer service over it. Nothing of ours is faked.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDocumentServices } from '../../cli/document-services.ts';
import { openKnowledgeBase } from '../../cli/knowledge-base.ts';
import type { DocumentAccess, DocumentReader } from '../../src/server/document-access.ts';
import type { AnswerService } from '../../src/answer/types.ts';
import { loadConfig, type Config } from '../../src/config/index.ts';
import type { Embedder } from '../../src/embeddings/types.ts';
import type { ChunkStore } from '../../src/store/index.ts';

export const fixtureDocuments: Record<string, string> = {
  'returns-policy.md': `# Returns and refunds

## Return window
You can return any unused item within 30 days of delivery for a full refund. Items must be in their original packaging.

## Refund timing
Refunds are issued to the original payment method within 5 business days after we receive the returned item.

## Damaged items
If an item arrives damaged, contact support within 48 hours and include a photo of the damage.
`,
  'shipping.md': `# Shipping

## Delivery times
Standard shipping takes 3 to 5 business days. Express shipping arrives in 1 to 2 business days and costs $12.

## International orders
We ship to Canada and Mexico. International orders take 7 to 14 business days and customs fees are paid by the customer.
`,
  // Plain text keeps markup as written: the chat must show it as text, never run it.
  'tracking.txt': `Parcel tracking

The tracking page <script>window.__kefuInjected = true</script><img src=x onerror="window.__kefuInjected = true"> shows the status of every parcel after it leaves our warehouse.
`,
  '退款政策.md': `# 退款政策

## 退款时间
我们收到退回的商品后，会在5个工作日内将退款退回到原支付方式。

## 退货期限
未使用的商品可以在收货后30天内申请退货。
`,
  'faq.csv': `question,answer,alternates
How do I reset my password?,"Click ""Forgot password"" on the sign-in page and follow the link we email you.",I forgot my password|password reset
`,
};

export interface ChatFixture {
  config: Config;
  dataDir: string;
  store: ChunkStore;
  embedder: Embedder;
  answerService: AnswerService;
  /** What `kefu serve` wires into the app: the indexed documents and their readable view. */
  documents: DocumentAccess;
  documentReader: DocumentReader;
  close(): Promise<void>;
}

/** Builds the index in a fresh temp data dir; `env` adds KEFU_* settings, `documents` adds files to the inbox. */
export async function createChatFixture(env: Record<string, string> = {}, documents: Record<string, string> = {}): Promise<ChatFixture> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'kefu-chat-'));
  const config = loadConfig({ env: { KEFU_DATA_DIR: dataDir, KEFU_LOG_LEVEL: 'warn', ...env }, dotenvDir: null, cwd: dataDir });
  await mkdir(config.inboxDir, { recursive: true });
  for (const [name, text] of Object.entries({ ...fixtureDocuments, ...documents })) await writeFile(path.join(config.inboxDir, name), text);
  let failed: unknown[] = [];
  const knowledgeBase = await openKnowledgeBase({ config, sync: true, onSynced: (summary) => (failed = summary.failed) });
  if (failed.length > 0) throw new Error(`fixture documents failed to index: ${JSON.stringify(failed)}`);
  const { store, embedder, answerService } = knowledgeBase;
  return {
    config,
    dataDir,
    store,
    embedder,
    answerService,
    ...createDocumentServices({ config, store }),
    async close() {
      await knowledgeBase.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
