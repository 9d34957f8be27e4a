/**
 * One customer turn, whatever the front end: the web chat (`POST /api/chat`), an app or mini-program backend through
 * the channel API, a WeChat Official Account. A turn starts or continues a conversation, stores the question, delivers
 * it to people when they have the conversation (kefu stays quiet then), otherwise asks the answer service with the
 * stored history, stores the answer with what agents need to judge it, hands over when the answer asks for a person
 * (or the N-th refusal in a row), and counts it. Who may write to the conversation is checked by the caller (the
 * conversation token for the web chat, the channel token for a channel): this module has no HTTP.
 */
import { randomSecret, sha256 } from '../accounts/index.ts';
import type { AnswerFilters, AnswerRequest, AnswerResult, AnswerService, Turn } from '../answer/types.ts';
import { KefuError } from '../errors/index.ts';
import type { HandoverResult, HandoverService } from '../handover/index.ts';
import type { Channel, ConversationState, RecordsStore } from '../records/types.ts';
import { toStoredPassages } from '../schemas/passage.ts';

/** A release arm a visitor is in (src/release). */
export interface ReleaseArmInfo {
  id: string;
  arm: 'control' | 'candidate';
}

/**
 * Which answer service and filters a customer's question gets: internal documents are never searched for customers,
 * and during a gradual release a visitor's arm decides (src/release). Without it, every indexed document, one service.
 */
export interface CustomerRouting {
  forCustomer(input: { conversationId: string; visitorId?: string }): Promise<{ service: AnswerService; filters: AnswerFilters; release?: ReleaseArmInfo }>;
}

interface CounterLike {
  inc(labels?: Record<string, string>): void;
}
interface HistogramLike {
  observe(value: number, labels?: Record<string, string>): void;
}

/** The counters a turn updates (the server's metrics have them). */
export interface TurnMetrics {
  answers: CounterLike;
  retrievalDuration: HistogramLike;
  answerDuration: HistogramLike;
  releaseAnswers: CounterLike;
}

/** Earlier turns given to the answer service for follow-up questions. */
const HISTORY_TURNS = 10;

export interface TurnInput {
  question: string;
  /** Continue this conversation (the caller checked the customer may); without it a new conversation starts. */
  conversationId?: string;
  /** For a new conversation: where it comes from (reports count by channel). */
  channel?: Channel;
  filters?: AnswerFilters;
  visitorId?: string;
}

/** A prepared question: either for kefu to answer, or delivered to the people who have the conversation. */
export type PreparedTurn =
  | { routed: false; request: AnswerRequest; service: AnswerService; release?: ReleaseArmInfo; conversationId: string; conversationToken?: string; startedAt: number }
  | { routed: true; conversationId: string; messageId: string; state: ConversationState; conversationToken?: string };

export type AnsweringTurn = Extract<PreparedTurn, { routed: false }>;

/** A whole turn answered at once (not streamed). */
export type TurnOutcome =
  | { routed: true; conversationId: string; messageId: string; state: ConversationState; conversationToken?: string }
  | { routed: false; conversationId: string; conversationToken?: string; result: AnswerResult; messageId: string; handoff?: HandoverResult; state: ConversationState };

export interface ConversationTurns {
  /** Checks the question, starts the conversation when there is none, stores the question and routes it. */
  begin(input: TurnInput): Promise<PreparedTurn>;
  /** Stores the answer with its retrieved passages and time taken, and counts it. Returns the answer's message id. */
  complete(result: AnswerResult, prepared: AnsweringTurn): Promise<string>;
  /** Hands over when the answer asked for a person, after the N-th refusal in a row, or for an intent routed to people. */
  handOverIfNeeded(result: AnswerResult, prepared: AnsweringTurn): Promise<HandoverResult | undefined>;
  /** begin → answer → complete → hand over, in one call (front ends that do not stream). */
  run(input: TurnInput): Promise<TurnOutcome>;
  stateOf(conversationId: string): Promise<ConversationState>;
}

/**
 * The turn service.
 *
 * @example
 *   const turns = createConversationTurns({ records, handover, answerService, metrics });
 *   const outcome = await turns.run({ question: 'How long do refunds take?', channel: 'api' });
 */
export function createConversationTurns(options: {
  records: RecordsStore;
  handover: HandoverService;
  answerService: AnswerService;
  routing?: CustomerRouting;
  metrics?: TurnMetrics;
}): ConversationTurns {
  const { records, handover, answerService, routing, metrics } = options;

  async function begin(input: TurnInput): Promise<PreparedTurn> {
    const startedAt = performance.now();
    const question = input.question.trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    let conversationId: string;
    let conversationToken: string | undefined;
    let history: Turn[] = [];
    if (input.conversationId) {
      conversationId = input.conversationId;
      history = (await records.listMessages(conversationId))
        .filter((message) => message.role === 'user' || message.role === 'assistant')
        .slice(-HISTORY_TURNS)
        .map((message) => ({ role: message.role as Turn['role'], text: message.text }));
    } else {
      conversationToken = randomSecret(24);
      conversationId = (await records.createConversation({ channel: input.channel ?? 'api', tokenHash: sha256(conversationToken) })).id;
    }
    const { message, toPeople } = await handover.customerMessage({ conversationId, text: question });
    if (toPeople) {
      const conversation = await records.getConversation(conversationId);
      return { routed: true, conversationId, messageId: message.id, state: conversation?.state ?? 'waiting', ...(conversationToken ? { conversationToken } : {}) };
    }
    const answerRequest: AnswerRequest = { question, conversationId, history };
    if (input.filters) answerRequest.filters = input.filters;
    const plan = routing ? await routing.forCustomer({ conversationId, ...(input.visitorId ? { visitorId: input.visitorId } : {}) }) : undefined;
    // The customer's own filters can narrow the search, never widen it past what customers may see.
    if (plan?.filters.excludeDocPath?.length) answerRequest.filters = { ...answerRequest.filters, excludeDocPath: [...plan.filters.excludeDocPath] };
    return {
      routed: false,
      request: answerRequest,
      service: plan?.service ?? answerService,
      ...(plan?.release ? { release: plan.release } : {}),
      conversationId,
      ...(conversationToken ? { conversationToken } : {}),
      startedAt,
    };
  }

  async function complete(result: AnswerResult, prepared: AnsweringTurn): Promise<string> {
    const { conversationId } = prepared;
    const [message] = await handover.record([
      {
        conversationId,
        role: 'assistant',
        text: result.answer,
        outcome: result.outcome,
        confidence: result.confidence,
        citations: result.citations,
        suggestions: result.suggestions,
        language: result.language,
        retrieved: toStoredPassages(result.retrieved),
        responseMs: performance.now() - prepared.startedAt,
      },
    ]);
    if (result.language === 'en' || result.language === 'zh') await records.setConversationLanguage(conversationId, result.language);
    metrics?.answers.inc({ outcome: result.outcome });
    metrics?.retrievalDuration.observe(result.timings.retrievalMs / 1000);
    metrics?.answerDuration.observe((performance.now() - prepared.startedAt) / 1000);
    if (prepared.release) metrics?.releaseAnswers.inc({ arm: prepared.release.arm, outcome: result.outcome });
    if (!message) throw new KefuError('INTERNAL', { detail: 'the answer was not stored' });
    return message.id;
  }

  async function handOverIfNeeded(result: AnswerResult, prepared: AnsweringTurn): Promise<HandoverResult | undefined> {
    const language = result.language === 'zh' ? 'zh' : 'en';
    if (result.outcome === 'handoff') {
      // Routing asked for people (an intent routed to a person, a failed business action): its reason, priority and note.
      const request = result.handoffRequest;
      return handover.handOver({ conversationId: prepared.conversationId, reason: request?.reason ?? 'customer-request', language, ...(request ? { priority: request.priority, note: request.note } : {}) });
    }
    return handover.afterAnswer({ conversationId: prepared.conversationId, question: prepared.request.question, outcome: result.outcome, language: result.language });
  }

  async function stateOf(conversationId: string): Promise<ConversationState> {
    return (await records.getConversation(conversationId))?.state ?? 'bot';
  }

  return {
    begin,
    complete,
    handOverIfNeeded,
    stateOf,
    async run(input) {
      const prepared = await begin(input);
      if (prepared.routed) return prepared;
      const result = await prepared.service.answer(prepared.request);
      const messageId = await complete(result, prepared);
      const handoff = await handOverIfNeeded(result, prepared);
      return {
        routed: false,
        conversationId: prepared.conversationId,
        ...(prepared.conversationToken ? { conversationToken: prepared.conversationToken } : {}),
        result,
        messageId,
        ...(handoff ? { handoff } : {}),
        state: await stateOf(prepared.conversationId),
      };
    },
  };
}
