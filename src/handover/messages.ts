/**
 * What customers are told about the hand-over, in English and Chinese. Stored in the transcript as system messages,
 * so a reload (or the agent) reads the same conversation.
 */
import type { TicketReason } from '../records/types.ts';

export type NoticeLanguage = 'en' | 'zh';

/** The language of notices for a conversation: Chinese when the customer writes Chinese, else English. */
export function noticeLanguage(language: string | undefined): NoticeLanguage {
  return language === 'zh' ? 'zh' : 'en';
}

/**
 * After a hand-over: the ticket number, and what happens next (someone joins here; no one is online; or when people
 * are back outside business hours, with the offer to leave an email or phone).
 *
 * @example
 *   handedOverNotice({ ticket: 'KF-000012', reason: 'customer-request', language: 'en', availability: { kind: 'online' } })
 */
export function handedOverNotice(options: {
  ticket: string;
  reason: TicketReason;
  language: NoticeLanguage;
  availability: { kind: 'online' } | { kind: 'nobody-online' } | { kind: 'closed'; backAt: string };
}): string {
  const { ticket, language, availability } = options;
  if (language === 'zh') {
    const why = options.reason === 'no-answer' ? '抱歉，我没能找到您问题的答案，已为您转接人工客服。' : '';
    const next =
      availability.kind === 'closed'
        ? `人工客服现在不在线，将于 ${availability.backAt} 回来。如需我们联系您，可以在下方留下邮箱或电话；您也可以继续在这里留言。`
        : availability.kind === 'nobody-online'
          ? '目前暂时没有客服在线，有人上线后会第一时间在这里回复您。您可以继续留言。'
          : '人工客服会尽快在这里与您对话，您可以继续留言。';
    return `${why}已为您创建工单 ${ticket}。${next}`;
  }
  const why = options.reason === 'no-answer' ? "I couldn't find the answer to your questions, so I've passed this conversation to our team. " : '';
  const next =
    availability.kind === 'closed'
      ? `Our team is away right now and back ${availability.backAt}. If you'd like us to contact you, leave an email address or phone number below; you can also keep writing here.`
      : availability.kind === 'nobody-online'
        ? 'No one from our team is online right now; the first person back will reply here. You can keep writing.'
        : 'A member of our support team will join this chat shortly; you can keep writing here.';
  return `${why}We have opened ticket ${ticket}. ${next}`;
}

export function agentJoinedNotice(name: string, language: NoticeLanguage): string {
  return language === 'zh' ? `${name} 已接入，正在为您服务。` : `You are now chatting with ${name}.`;
}

export function resolvedNotice(name: string, language: NoticeLanguage): string {
  return language === 'zh'
    ? `${name} 已将此对话标记为已解决。如还有其他问题，直接继续提问即可。`
    : `${name} marked this conversation as resolved. If you need anything else, just write again.`;
}

export function handedBackNotice(language: NoticeLanguage): string {
  return language === 'zh' ? '已切换回智能助手为您服务，如需人工客服可随时点击“转人工”。' : 'You are chatting with our assistant again. Ask for a person any time.';
}

export function contactThanksNotice(language: NoticeLanguage): string {
  return language === 'zh' ? '谢谢，我们会通过您留下的联系方式与您联系。' : "Thank you: we'll contact you with the details you left.";
}
