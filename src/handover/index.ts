/** The hand-over to people: states, business hours, notices. See README.md. */
export { createHandoverService, validateContact, type HandoverResult, type HandoverService, type HandoverSettings, type IntentRoute } from './service.ts';
export { describeOpening, isOpen, nextOpening } from './business-hours.ts';
export { noticeLanguage, type NoticeLanguage } from './messages.ts';
