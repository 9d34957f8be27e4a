/** Knowledge gaps and the FAQ answers that close them. See README.md. */
export { createGapService, checkAnswer, MAX_ANSWER_CHARS, type GapGroup, type GapList, type GapService, type GapSettings } from './service.ts';
export { createKnowledgeFiles, checkRelativePath, liveOfStaged, stagedPath, KEFU_FAQ_FILE, STAGING_DIR, type KnowledgeFiles } from './knowledge-files.ts';
export { DEFAULT_GROUPING, groupQuestions, lexicalFeatures, lexicalSimilarity, questionKey, type GroupingThresholds, type GroupItem } from './group.ts';
export { changeFaqFile, parseFaqTable, readFaqTable, serializeFaqTable, upsertRows, addWordingsToRow, type FaqRow, type FaqTable } from './faq-file.ts';
export { createQuestionVectors, quantise, type QuestionVectors } from './vectors.ts';
