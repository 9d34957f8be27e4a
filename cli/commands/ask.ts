import type { Command } from 'commander';
import { loadConfig } from '../../src/config/index.ts';
import { KefuError } from '../../src/errors/index.ts';
import { openRecords } from '../../src/records/index.ts';
import { toPlainText } from '../../src/text/markdown.ts';
import type { AnswerResult, Turn } from '../../src/answer/types.ts';
import { openKnowledgeBase } from '../knowledge-base.ts';

interface AskOptions {
  json?: boolean;
  conversation?: string;
  sync: boolean;
  mode?: 'hybrid' | 'keyword' | 'vector';
}

function printAnswer(result: AnswerResult, question: string): void {
  console.log(toPlainText(result.answer));
  if (result.citations.length > 0) {
    console.log('\nSources:');
    for (const citation of result.citations) {
      const where = [citation.page ? `page ${citation.page}` : '', citation.headingPath].filter(Boolean).join(', ');
      console.log(`  [${citation.n}] ${citation.title} (${citation.docPath}${where ? `, ${where}` : ''})`);
    }
  }
  const rewritten = result.query !== question.trim() ? result.query : '';
  console.log(`\n${result.outcome} · confidence ${result.confidence.toFixed(2)} · ${Math.round(result.timings.totalMs)} ms${rewritten ? ` · searched: "${rewritten}"` : ''}`);
  if (result.suggestions.length > 0) console.log(`Related: ${result.suggestions.join(' | ')}`);
  console.log(`Conversation: ${result.conversationId} (follow up with --conversation ${result.conversationId})`);
}

export function register(program: Command): void {
  program
    .command('ask')
    .description('answer one question from the indexed documents, with its sources')
    .argument('<question...>', 'the question (quote it, or pass the words)')
    .option('--json', 'print the full result as JSON (answer, citations, outcome, confidence, query, retrieved)')
    .option('-c, --conversation <id>', 'continue a conversation: the question may be a follow-up ("and for newborns?")')
    .option('--no-sync', 'do not bring the index in step with the ingest folder first')
    .option('--mode <mode>', 'retrieval: hybrid (default), keyword or vector')
    .addHelpText('after', '\nExamples:\n  npx kefu ask "How long do I have to return an item?"\n  npx kefu ask "退款多久到账？" --json\n  npx kefu ask "and for refurbished items?" --conversation <id>')
    .action(async (words: string[], options: AskOptions) => {
      const config = loadConfig();
      const question = words.join(' ');
      const knowledgeBase = await openKnowledgeBase({ config, sync: options.sync });
      await knowledgeBase.answerService.prepare();
      const records = openRecords({ url: config.databaseUrl, path: config.databasePath, startupRetryMs: config.databaseStartupRetryMs });
      try {
        let conversationId = options.conversation;
        let history: Turn[] = [];
        if (conversationId) {
          if (!(await records.getConversation(conversationId))) throw new KefuError('CONVERSATION_NOT_FOUND', { detail: conversationId });
          history = (await records.listMessages(conversationId)).filter((message) => message.role !== 'system').map((message) => ({ role: message.role === 'user' ? 'user' : 'assistant', text: message.text }));
        } else {
          conversationId = (await records.createConversation()).id;
        }
        const result = await knowledgeBase.answerService.answer({ question, conversationId, history, retrievalMode: options.mode });
        await records.appendMessages([
          { conversationId, role: 'user', text: question },
          { conversationId, role: 'assistant', text: result.answer, outcome: result.outcome, confidence: result.confidence, citations: result.citations, suggestions: result.suggestions, language: result.language },
        ]);
        if (options.json) console.log(JSON.stringify(result, null, 2));
        else printAnswer(result, question);
      } finally {
        await records.close();
        await knowledgeBase.close();
      }
    });
}
