/**
 * One customer turn, whatever the front end: the web chat (`POST /api/chat`), an app or mini-program backend through
 * the channel API, a WeChat Official Account. A turn starts or continues a conversation, stores the question, delivers
 * it to people when they have the conversation (kefu stays quiet then), otherwise asks the answer service with the
 * stored history, stores the answer with what agents need to judge it, hands over when the answer asks for a person
 * (or the N-th refusal in a row), and counts it. Who may write to the conversation is checked by the caller (the
 * conversation token for the web chat, the channel token for a channel): this module has no HTTP.
 *
 * The records database down (RECORDS_FAILED) does not stop the customer from getting an answer: the answer service
 * needs no records. Such a turn is answered without history, nothing more is stored or handed over, and it says so
 * (`stored: false`); the failure is logged and counted. The customer filters still apply: routing keeps its last good
 * view of internal documents, and when it never had one the turn fails as before (never an answer without filters).
 */
import { randomSecret, sha256 } from '../accounts/index.ts';
import type { AnswerFilters, AnswerRequest, AnswerResult, AnswerService, Turn } from '../answer/types.ts';
import { KefuError } from '../errors/index.ts';
import type { HandoverResult, HandoverService } from '../handover/index.ts';
import { isRecordsFailure } from '../records/failure.ts';
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
  /** Without a conversation (a turn answered while the records are down) nothing is stored for the arm. */
  forCustomer(input: { conversationId?: string; visitorId?: string }): Promise<{ service: AnswerService; filters: AnswerFilters; release?: ReleaseArmInfo }>;
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
  /** Turns answered but not (wholly) stored because the records failed, by step (question, answer, hand-over). */
  unstoredTurns: CounterLike;
}

/** Where a turn reports a records failure it carried on through (the server's logger). */
export interface TurnLog {
  error(details: Record<string, unknown>, message: string): void;
}

/** The part of a turn whose records call failed. */
type RecordsStep = 'question' | 'answer' | 'hand-over';

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

/**
 * A prepared question: either for kefu to answer, or delivered to the people who have the conversation. An answering
 * turn without `conversationId` is not stored: the records failed (its answer is given all the same).
 */
export type PreparedTurn =
  | { routed: false; request: AnswerRequest; service: AnswerService; release?: ReleaseArmInfo; conversationId?: string; conversationToken?: string; startedAt: number }
  | { routed: true; conversationId: string; messageId: string; state: ConversationState; conversationToken?: string };

export type AnsweringTurn = Extract<PreparedTurn, { routed: false }>;

/** What became of an answer: stored (with its message id) or not (the records failed), a hand-over, the state. */
export interface FinishedTurn {
  stored: boolean;
  /** The stored answer (rate it with POST /api/feedback); absent when not stored. */
  messageId?: string;
  handoff?: HandoverResult;
  state: ConversationState;
}

/** A whole turn answered at once (not streamed). */
export type TurnOutcome =
  | { routed: true; conversationId: string; messageId: string; state: ConversationState; conversationToken?: string }
  | ({ routed: false; conversationId?: string; conversationToken?: string; result: AnswerResult } & FinishedTurn);

export interface ConversationTurns {
  /**
   * Checks the question, starts the conversation when there is none, stores the question and routes it. When the
   * records fail, the turn is prepared unstored (no `conversationId`), unless routing has no safe filters.
   */
  begin(input: TurnInput): Promise<PreparedTurn>;
  /**
   * A turn the records cannot take (the caller could not check the conversation's token because they failed):
   * answered as a fresh question, without history, nothing read or written. `cause` is logged and counted.
   */
  beginUnstored(input: Omit<TurnInput, 'conversationId' | 'channel'> & { cause: KefuError }): Promise<AnsweringTurn>;
  /**
   * After the answer: stores it with its retrieved passages and time taken, counts it, and hands over when the answer
   * asked for a person, after the N-th refusal in a row, or for an intent routed to people. A records failure here
   * is logged and counted, and the turn reports `stored: false` (or, after the answer was stored, no hand-over).
   */
  finish(result: AnswerResult, prepared: AnsweringTurn): Promise<FinishedTurn>;
  /** begin → answer → finish, in one call (front ends that do not stream). */
  run(input: TurnInput): Promise<TurnOutcome>;
}

/**
 * The turn service.
 *
 * @example
 *   const turns = createConversationTurns({ records, handover, answerService, metrics, log: app.log });
 *   const outcome = await turns.run({ question: 'How long do refunds take?', channel: 'api' });
 */
export function createConversationTurns(options: {
  records: RecordsStore;
  handover: HandoverService;
  answerService: AnswerService;
  routing?: CustomerRouting;
  metrics?: TurnMetrics;
  log?: TurnLog;
}): ConversationTurns {
  const { records, handover, answerService, routing, metrics, log } = options;

  /** Logged at error level with the failure's message (it names the database without its password) and counted. */
  function recordsFailed(step: RecordsStep, error: KefuError): void {
    metrics?.unstoredTurns.inc({ step });
    const cause = error.cause instanceof Error ? error.cause.message : undefined;
    log?.error({ code: error.code, step, detail: error.message, ...(cause ? { cause } : {}) }, 'records failed: the customer was answered, the turn was not stored');
  }

  /** The answering turn: the customer filters narrowed to what customers may see (routing failures are thrown). */
  async function prepareAnswer(input: {
    question: string;
    filters?: AnswerFilters;
    visitorId?: string;
    history: Turn[];
    conversationId?: string;
    conversationToken?: string;
    startedAt: number;
  }): Promise<AnsweringTurn> {
    const { conversationId, conversationToken, visitorId } = input;
    const answerRequest: AnswerRequest = { question: input.question, history: input.history, ...(conversationId ? { conversationId } : {}) };
    if (input.filters) answerRequest.filters = input.filters;
    const plan = routing ? await routing.forCustomer({ ...(conversationId ? { conversationId } : {}), ...(visitorId ? { visitorId } : {}) }) : undefined;
    // The customer's own filters can narrow the search, never widen it past what customers may see.
    if (plan?.filters.excludeDocPath?.length) answerRequest.filters = { ...answerRequest.filters, excludeDocPath: [...plan.filters.excludeDocPath] };
    return {
      routed: false,
      request: answerRequest,
      service: plan?.service ?? answerService,
      ...(plan?.release ? { release: plan.release } : {}),
      ...(conversationId ? { conversationId } : {}),
      ...(conversationToken ? { conversationToken } : {}),
      startedAt: input.startedAt,
    };
  }

  async function beginUnstored(input: Omit<TurnInput, 'conversationId' | 'channel'> & { cause: KefuError }): Promise<AnsweringTurn> {
    const startedAt = performance.now();
    const question = input.question.trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    recordsFailed('question', input.cause);
    return prepareAnswer({ question, history: [], startedAt, ...(input.filters ? { filters: input.filters } : {}), ...(input.visitorId ? { visitorId: input.visitorId } : {}) });
  }

  async function begin(input: TurnInput): Promise<PreparedTurn> {
    const startedAt = performance.now();
    const question = input.question.trim();
    if (!question) throw new KefuError('QUESTION_EMPTY');
    let conversationId: string;
    let conversationToken: string | undefined;
    let history: Turn[] = [];
    try {
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
        // Delivered to people: failing to read the state now does not undo that (nor should kefu answer over them).
        const conversation = await records.getConversation(conversationId).catch((error: unknown) => {
          if (isRecordsFailure(error)) return undefined;
          throw error;
        });
        return { routed: true, conversationId, messageId: message.id, state: conversation?.state ?? 'waiting', ...(conversationToken ? { conversationToken } : {}) };
      }
    } catch (error) {
      if (!isRecordsFailure(error)) throw error;
      return beginUnstored({ question, cause: error, ...(input.filters ? { filters: input.filters } : {}), ...(input.visitorId ? { visitorId: input.visitorId } : {}) });
    }
    // Outside the try: routing that cannot give the customer filters fails the turn (never an answer without them).
    return prepareAnswer({
      question,
      history,
      conversationId,
      startedAt,
      ...(conversationToken ? { conversationToken } : {}),
      ...(input.filters ? { filters: input.filters } : {}),
      ...(input.visitorId ? { visitorId: input.visitorId } : {}),
    });
  }

  function count(result: AnswerResult, prepared: AnsweringTurn): void {
    metrics?.answers.inc({ outcome: result.outcome });
    metrics?.retrievalDuration.observe(result.timings.retrievalMs / 1000);
    metrics?.answerDuration.observe((performance.now() - prepared.startedAt) / 1000);
    if (prepared.release) metrics?.releaseAnswers.inc({ arm: prepared.release.arm, outcome: result.outcome });
  }

  /** Stores the answer; undefined when the records failed (logged and counted). */
  async function store(result: AnswerResult, conversationId: string, startedAt: number): Promise<string | undefined> {
    try {
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
          responseMs: performance.now() - startedAt,
        },
      ]);
      if (!message) throw new KefuError('INTERNAL', { detail: 'the answer was not stored' });
      if (result.language === 'en' || result.language === 'zh') await records.setConversationLanguage(conversationId, result.language);
      return message.id;
    } catch (error) {
      if (!isRecordsFailure(error)) throw error;
      recordsFailed('answer', error);
      return undefined;
    }
  }

  async function handOverIfNeeded(result: AnswerResult, conversationId: string, question: string): Promise<HandoverResult | undefined> {
    const language = result.language === 'zh' ? 'zh' : 'en';
    if (result.outcome === 'handoff') {
      // Routing asked for people (an intent routed to a person, a failed business action): its reason, priority and note.
      const request = result.handoffRequest;
      return handover.handOver({ conversationId, reason: request?.reason ?? 'customer-request', language, ...(request ? { priority: request.priority, note: request.note } : {}) });
    }
    return handover.afterAnswer({ conversationId, question, outcome: result.outcome, language: result.language });
  }

  async function finish(result: AnswerResult, prepared: AnsweringTurn): Promise<FinishedTurn> {
    count(result, prepared);
    const { conversationId } = prepared;
    if (!conversationId) return { stored: false, state: 'bot' };
    const messageId = await store(result, conversationId, prepared.startedAt);
    // An answer that is not stored is not handed over: an agent would find a conversation without it.
    if (!messageId) return { stored: false, state: 'bot' };
    try {
      const handoff = await handOverIfNeeded(result, conversationId, prepared.request.question);
      const state = (await records.getConversation(conversationId))?.state ?? 'bot';
      return { stored: true, messageId, ...(handoff ? { handoff } : {}), state };
    } catch (error) {
      if (!isRecordsFailure(error)) throw error;
      recordsFailed('hand-over', error);
      return { stored: true, messageId, state: 'bot' };
    }
  }

  return {
    begin,
    beginUnstored,
    finish,
    async run(input) {
      const prepared = await begin(input);
      if (prepared.routed) return prepared;
      const result = await prepared.service.answer(prepared.request);
      const finished = await finish(result, prepared);
      return {
        routed: false,
        ...(prepared.conversationId ? { conversationId: prepared.conversationId } : {}),
        ...(prepared.conversationToken ? { conversationToken: prepared.conversationToken } : {}),
        result,
        ...finished,
      };
    },
  };
}
