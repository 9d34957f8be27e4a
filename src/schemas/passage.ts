/**
 * A passage kefu retrieved for an answer, as the records keep it and agents see it: which chunk, from which
 * document, how it scored, and the start of its text (the full text is one look-up away by `chunkId`).
 * Shared by the records and the HTTP API.
 */
import Type, { type Static } from 'typebox';

/** Characters of passage text kept with each answer: enough to judge the passage, small enough to store per answer. */
export const STORED_PASSAGE_CHARS = 600;

export const StoredPassage = Type.Object(
  {
    chunkId: Type.String(),
    docPath: Type.String(),
    title: Type.String(),
    page: Type.Optional(Type.Integer()),
    headingPath: Type.String(),
    kind: Type.Union([Type.Literal('passage'), Type.Literal('faq')]),
    score: Type.Number({ description: 'Fused retrieval score' }),
    text: Type.String({ description: `The passage text, cut at ${STORED_PASSAGE_CHARS} characters` }),
  },
  { description: 'A passage retrieved for an answer' },
);

export type StoredPassage = Static<typeof StoredPassage>;

/**
 * The stored form of retrieved passages (any object with these fields, e.g. the answer service's
 * `RetrievedPassage`): text cut to STORED_PASSAGE_CHARS, scores rounded to 4 decimals.
 *
 * @example
 *   toStoredPassages(result.retrieved) // [{ chunkId, docPath, title, headingPath, kind, score, text }]
 */
export function toStoredPassages(passages: ReadonlyArray<StoredPassage>): StoredPassage[] {
  return passages.map((passage) => {
    const stored: StoredPassage = {
      chunkId: passage.chunkId,
      docPath: passage.docPath,
      title: passage.title,
      headingPath: passage.headingPath,
      kind: passage.kind,
      score: Math.round(passage.score * 10_000) / 10_000,
      text: passage.text.length > STORED_PASSAGE_CHARS ? `${passage.text.slice(0, STORED_PASSAGE_CHARS - 1)}…` : passage.text,
    };
    if (passage.page !== undefined) stored.page = passage.page;
    return stored;
  });
}
