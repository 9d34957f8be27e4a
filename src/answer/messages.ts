/** What kefu says in its own words (not quoted from documents), in English and Chinese. */
import type { Language } from '../text/index.ts';

export interface Wording {
  notFound: string;
  handoff: string;
  emptyQuestion: string;
  /** Asked when a question is close to several curated questions (the choices follow as suggestions). */
  didYouMean: string;
}

const english: Wording = {
  notFound: "I could not find this in our documents, so I won't guess. Would you like me to connect you with a person from our team?",
  handoff: 'Of course. I will connect you with a person from our team; they will see this conversation, so you do not need to repeat yourself.',
  emptyQuestion: 'Please type a question.',
  didYouMean: 'Did you mean one of these?',
};

const chinese: Wording = {
  notFound: '抱歉，我在我们的资料中没有找到相关内容，不想随意猜测。需要为您转接人工客服吗？',
  handoff: '好的，正在为您转接人工客服。客服人员会看到之前的对话内容，您无需重复说明。',
  emptyQuestion: '请输入您的问题。',
  didYouMean: '您是不是想问：',
};

export function wording(language: Language): Wording {
  return language === 'zh' ? chinese : english;
}

/**
 * A refusal that names what the documents do not mention, and what they do cover nearby.
 *
 * @example
 *   notFoundMessage({ language: 'en', missing: ['Platinum'], alternatives: ['Northwind Standard', 'Northwind Health Plus'] })
 *   // "I couldn't find anything about “Platinum” in our documents; they cover Northwind Standard and Northwind Health Plus. …"
 */
export function notFoundMessage(options: { language: Language; missing: readonly string[]; alternatives: readonly string[] }): string {
  const { language, missing, alternatives } = options;
  if (language === 'zh') {
    const named = missing.map((word) => `“${word}”`).join('、');
    const covered = alternatives.length > 0 ? `我们的资料涉及：${alternatives.join('、')}。` : '';
    return `抱歉，我在我们的资料中没有找到关于${named}的内容。${covered}需要为您转接人工客服吗？`;
  }
  const named = missing.map((word) => `“${word}”`).join(' or ');
  const list = alternatives.length > 1 ? `${alternatives.slice(0, -1).join(', ')} and ${alternatives.at(-1)}` : (alternatives[0] ?? '');
  const covered = list ? `; they cover ${list}` : '';
  return `I couldn't find anything about ${named} in our documents${covered}. Would you like me to connect you with a person from our team?`;
}
