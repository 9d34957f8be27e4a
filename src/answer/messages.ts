/** What kefu says in its own words (not quoted from documents), in English and Chinese. */
import type { Language } from '../text/index.ts';

export interface Wording {
  notFound: string;
  handoff: string;
  emptyQuestion: string;
}

const english: Wording = {
  notFound: "I could not find this in our documents, so I won't guess. Would you like me to connect you with a person from our team?",
  handoff: 'Of course. I will connect you with a person from our team; they will see this conversation, so you do not need to repeat yourself.',
  emptyQuestion: 'Please type a question.',
};

const chinese: Wording = {
  notFound: '抱歉，我在我们的资料中没有找到相关内容，不想随意猜测。需要为您转接人工客服吗？',
  handoff: '好的，正在为您转接人工客服。客服人员会看到之前的对话内容，您无需重复说明。',
  emptyQuestion: '请输入您的问题。',
};

export function wording(language: Language): Wording {
  return language === 'zh' ? chinese : english;
}
