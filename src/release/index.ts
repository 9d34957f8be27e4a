/** Gradual release: two arms over one index, sticky per visitor; promote or roll back. See README.md. */
export { armFor, checkShare, createReleaseService, promotedSettings, type AnswerPlan, type ReleaseService } from './service.ts';
