/**
 * The citation of an answer: one TypeBox schema for the answer service (its `Citation` type), the records (what
 * is stored with each answer) and the HTTP API (validation, serialisation and the OpenAPI document).
 *
 * @example
 *   import { Citation } from '../schemas/citation.ts';
 *   const citation: Citation = { n: 1, chunkId: 'c1', docPath: 'returns.md', title: 'Returns', headingPath: 'Returns', quote: '…' };
 */
import Type, { type Static } from 'typebox';

export const Citation = Type.Object(
  {
    n: Type.Integer({ description: 'The [n] used in the answer text (1-based)' }),
    chunkId: Type.String(),
    docPath: Type.String({ description: 'Document path; open it at /api/documents/<docPath>' }),
    title: Type.String(),
    page: Type.Optional(Type.Integer({ description: '1-based page, for paged formats' })),
    headingPath: Type.String(),
    quote: Type.String({ description: 'The passage sentence(s) the answer took from this source' }),
  },
  { description: 'A source of an answer' },
);

export type Citation = Static<typeof Citation>;
