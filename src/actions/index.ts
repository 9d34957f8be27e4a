/** Business actions (actions.yaml): see README.md in this folder. */
export { DEFAULT_FAILURE, loadActions, parseActionsFile, type ParsedActionsFile } from './actions-file.ts';
export { callAction, type ActionCallOutcome } from './http.ts';
export { createActionRunner, type ActionRunner, type HistoryTurn, type PendingAction } from './runner.ts';
export { extractSlot } from './slots.ts';
export type { ActionCatalogue, ActionDefinition, ActionLanguage, ActionTurn } from './types.ts';
