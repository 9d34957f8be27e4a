import { describe, expect, it } from 'vitest';
import { handoffIntent } from './handoff.ts';

describe('hand-over intent', () => {
  it('recognises requests for a person in English and Chinese', () => {
    for (const message of ['I want to talk to a human', 'Can I speak to a real person?', 'agent', 'connect me with an agent please', 'human agent please', "I don't want the bot, get me a human", '转人工', '我要转人工', '人工', '帮我找人工客服']) {
      expect(handoffIntent(message), message).toBe('request');
    }
  });

  it('understands negation', () => {
    for (const message of ["No, I don't need to speak to an agent.", 'I do not want to talk to a person', 'no need to transfer me to a human', '不用转人工', '不需要人工客服，谢谢']) {
      expect(handoffIntent(message), message).toBe('none');
    }
  });

  it('tells questions about hand-over from requests', () => {
    for (const message of ['Can I talk to someone later?', 'Is there a human agent I can chat with?', 'When can I speak to a representative?', '人工客服几点上班？', '以后可以转人工吗？']) {
      expect(handoffIntent(message), message).toBe('question');
    }
  });

  it('ignores other mentions of people and of 人工', () => {
    for (const message of ['Can I add another person to my plan?', 'How many people can stay in a room?', '人工智能是什么？', '人工费怎么算', 'Is my agent number on the invoice']) {
      expect(handoffIntent(message), message).toBe('none');
    }
  });
});
