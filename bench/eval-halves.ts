/**
 * Strict hit@1 and hit@5 of `kefu eval --json` reports on the seeded dev and test halves of their questions
 * (the same FNV-1a split by question id, seed 42, as bench/keyword-retrieval.ts), side by side for several
 * reports (e.g. before and after a change). Refusal recall is added for hybrid-adaptive.
 *
 *   node bench/eval-halves.ts eval/reports/northwind-before.json eval/reports/northwind-latest.json
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

interface Levels {
  strict?: { firstRank?: number | null };
}
interface Report {
  dataset: string;
  questions: Array<{ id: string; expected?: string; results: Record<string, { levels?: Levels; outcome?: string }> }>;
}

function seededHalf(id: string, seed = 42): 'dev' | 'test' {
  let hash = 2166136261 ^ seed;
  for (const character of id) hash = Math.imul(hash ^ character.charCodeAt(0), 16777619);
  return (hash >>> 0) % 2 === 0 ? 'dev' : 'test';
}

for (const file of process.argv.slice(2)) {
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report;
  console.log(`${path.basename(file)} (${report.dataset})`);
  const configurations = [...new Set(report.questions.flatMap((question) => Object.keys(question.results)))];
  for (const half of ['dev', 'test'] as const) {
    const questions = report.questions.filter((question) => seededHalf(question.id) === half);
    for (const configuration of configurations) {
      const ranks = questions.flatMap((question) => {
        const rank = question.results[configuration]?.levels?.strict?.firstRank;
        return question.results[configuration]?.levels?.strict ? [rank ?? Infinity] : [];
      });
      const rate = (k: number) => (ranks.length === 0 ? NaN : ranks.filter((rank) => rank <= k).length / ranks.length);
      const unanswerable = questions.filter((question) => question.expected === 'refuse' && question.results[configuration]?.outcome);
      const refused = unanswerable.filter((question) => ['refused', 'handoff'].includes(question.results[configuration]?.outcome ?? ''));
      const refusal = unanswerable.length > 0 ? `  refusal recall ${(refused.length / unanswerable.length).toFixed(3)} (${unanswerable.length})` : '';
      console.log(`  ${half.padEnd(4)} ${configuration.padEnd(16)} hit@1 ${rate(1).toFixed(3)}  hit@5 ${rate(5).toFixed(3)}  (${ranks.length})${refusal}`);
    }
  }
}
