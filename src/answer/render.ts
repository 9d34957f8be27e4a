/**
 * Writes the chosen units as the answer: Markdown of the subset in src/text/markdown.ts, each unit in
 * its own shape (sentences as a paragraph, a list as a list, table rows under their header) followed
 * by its source marker [n]; sources numbered in order of first use. The citation's `quote` is the
 * passage text the answer used.
 */
import type { Candidate } from '../retrieval/index.ts';
import type { Citation } from './types.ts';
import type { Unit } from './units.ts';

export function citationFor(passage: Candidate, n: number, quote: string): Citation {
  return {
    n,
    chunkId: passage.chunk.id,
    docPath: passage.chunk.docPath,
    // An FAQ entry is best named by its question.
    title: passage.chunk.kind === 'faq' ? (passage.chunk.questions.split('\n')[0] || passage.chunk.title) : passage.chunk.title,
    page: passage.chunk.page > 0 ? passage.chunk.page : undefined,
    headingPath: passage.chunk.headingPath,
    quote,
  };
}

/** The Markdown a unit quotes from its passage, without a marker. */
export function unitMarkdown(unit: Unit, chinese: boolean): string {
  const sentences = unit.sentences.join(chinese ? '' : ' ');
  return [sentences, unit.block].filter(Boolean).join('\n\n');
}

/** The unit with its marker, as pieces for streaming (a sentence or a block each). */
function unitPieces(unit: Unit, marker: string, chinese: boolean): string[] {
  const separator = chinese ? '' : ' ';
  if (unit.kind === 'sentences') return unit.sentences.map((sentence, index) => `${index > 0 ? separator : ''}${sentence}${index === unit.sentences.length - 1 ? marker : ''}`);
  if (unit.kind === 'list') {
    // The marker closes the last item, so the list stays one list.
    const intro = unit.sentences.length > 0 ? [`${unit.sentences.join(separator)}\n\n`] : [];
    return [...intro, `${unit.block}${marker}`];
  }
  // A table or code block cannot hold a marker inside: it follows the intro, or stands after the block.
  if (unit.sentences.length > 0) return [`${unit.sentences.join(separator)}${marker}\n\n`, unit.block];
  return [unit.block, `\n\n${marker.trim()}`];
}

/**
 * Renders the main unit and an optional supporting sentence with [n] markers.
 *
 * @example
 *   renderAnswer({ units: [unit], passages, chinese: false }).markdown // "You have 30 days to return an item. [1]"
 */
export function renderAnswer(options: { units: readonly Unit[]; passages: readonly Candidate[]; chinese: boolean }): { markdown: string; pieces: string[]; citations: Citation[] } {
  const numbers = new Map<number, number>();
  const citations: Citation[] = [];
  const pieces: string[] = [];
  let previous: Unit | undefined;
  for (const unit of options.units) {
    const passage = options.passages[unit.passageIndex];
    if (!passage) continue;
    let n = numbers.get(unit.passageIndex);
    const quote = unitMarkdown(unit, options.chinese);
    if (n === undefined) {
      n = citations.length + 1;
      numbers.set(unit.passageIndex, n);
      citations.push(citationFor(passage, n, quote));
    } else {
      const citation = citations[n - 1];
      if (citation) citation.quote = `${citation.quote}\n\n${quote}`;
    }
    const unitParts = unitPieces(unit, ` [${n}]`, options.chinese);
    if (previous) {
      // A sentence after sentences continues the paragraph; anything next to a block starts a new one.
      const joiner = previous.kind === 'sentences' && unit.kind === 'sentences' ? (options.chinese ? '' : ' ') : '\n\n';
      unitParts[0] = `${joiner}${unitParts[0] ?? ''}`;
    }
    pieces.push(...unitParts);
    previous = unit;
  }
  return { markdown: pieces.join(''), pieces, citations };
}
