// The kefu web chat: plain JavaScript modules, no build step. Answers are Markdown (paragraphs, lists,
// tables, bold, links, [n] citation markers) rendered by markdown.js as DOM nodes; every piece of document
// or answer text reaches the page as a text node (never innerHTML): documents may contain markup, and it
// must stay text.
import { renderMarkdown } from '/markdown.js';

const strings = {
  en: {
    title: 'Customer service',
    switchLanguage: '中文',
    switchLanguageLabel: 'Switch to Chinese',
    talkToPerson: 'Talk to a person',
    conversation: 'Conversation',
    welcome: 'Hello! Ask me about orders, shipping, returns or your account.',
    questionLabel: 'Your question',
    placeholder: 'Type your question…',
    send: 'Send',
    composerHint: 'Enter to send · Shift+Enter for a new line',
    helpful: 'Was this helpful?',
    thumbsUp: 'Helpful',
    thumbsDown: 'Not helpful',
    thanks: 'Thanks for your feedback.',
    commentLabel: 'What was wrong? (optional)',
    commentSend: 'Send',
    sources: 'Sources',
    page: 'p.',
    suggestions: 'Related questions',
    askFirst: 'Please type your question first, so the person who picks this up knows how to help.',
    handoffFailed: 'Sorry, we could not reach a person right now. Please try again in a moment.',
    offerPerson: 'Talk to a person',
    networkError: 'The service could not be reached. Check your connection and try again.',
    interrupted: 'The answer was interrupted. Please ask again.',
    faqSource: 'FAQ',
    openSource: 'Open the source',
    indexing: 'Preparing the documents (indexing {done} of {total})… Answers cover what is indexed so far.',
    indexingStart: 'Preparing the documents… Answers cover what is indexed so far.',
  },
  zh: {
    title: '在线客服',
    switchLanguage: 'English',
    switchLanguageLabel: '切换为英文',
    talkToPerson: '转人工',
    conversation: '对话',
    welcome: '您好！请问有关订单、配送、退换货或账户的问题吗？',
    questionLabel: '您的问题',
    placeholder: '请输入您的问题…',
    send: '发送',
    composerHint: '按 Enter 发送 · Shift+Enter 换行',
    helpful: '这个回答有帮助吗？',
    thumbsUp: '有帮助',
    thumbsDown: '没有帮助',
    thanks: '感谢您的反馈。',
    commentLabel: '哪里不对？（可选）',
    commentSend: '提交',
    sources: '来源',
    page: '第',
    pageSuffix: '页',
    suggestions: '相关问题',
    askFirst: '请先输入您的问题，方便人工客服了解情况。',
    handoffFailed: '抱歉，暂时无法转接人工客服，请稍后再试。',
    offerPerson: '转人工客服',
    networkError: '无法连接到服务，请检查网络后重试。',
    interrupted: '回答中断了，请重新提问。',
    faqSource: '常见问题',
    openSource: '打开来源',
    indexing: '正在准备文档（已索引 {done} / {total}）… 回答基于已索引的内容。',
    indexingStart: '正在准备文档… 回答基于已索引的内容。',
  },
};

const storage = {
  get(area, key) {
    try { return window[area].getItem(key); } catch { return null; }
  },
  set(area, key, value) {
    try { if (value === null) window[area].removeItem(key); else window[area].setItem(key, value); } catch { /* private mode */ }
  },
};

const params = new URLSearchParams(location.search);
let language = params.get('lang') || storage.get('localStorage', 'kefu-language') || ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');
if (!strings[language]) language = 'en';
let conversationId = storage.get('sessionStorage', 'kefu-conversation');
let busy = false;

const messages = document.getElementById('messages');
const composer = document.getElementById('composer');
const question = document.getElementById('question');
const sendButton = document.getElementById('send-button');
const personButton = document.getElementById('person-button');
const languageSwitch = document.getElementById('language-switch');
const feedbackTemplate = document.getElementById('feedback-template');

function t(key) {
  return strings[language][key] ?? strings.en[key] ?? key;
}

function applyLanguage() {
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('title')} · ${language === 'zh' ? 'Customer service' : '客服'}`;
  for (const element of document.querySelectorAll('[data-text]')) element.textContent = t(element.dataset.text);
  for (const element of document.querySelectorAll('[data-placeholder]')) element.placeholder = t(element.dataset.placeholder);
  for (const element of document.querySelectorAll('[data-label]')) element.setAttribute('aria-label', t(element.dataset.label));
  languageSwitch.setAttribute('aria-label', t('switchLanguageLabel'));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function scrollToEnd() {
  messages.scrollTop = messages.scrollHeight;
}

let bubbleCount = 0;

/** A message bubble. Assistant answers are Markdown, rendered as DOM nodes; everything else is plain text. */
function addMessage(role, text) {
  const bubble = element('div', `message message-${role}`);
  bubble.id = `message-${++bubbleCount}`;
  if (role === 'assistant') {
    bubble.append(element('div', 'message-text markdown'));
    setAnswer(bubble, text, []);
  } else {
    bubble.append(element('p', 'message-text', text));
  }
  messages.append(bubble);
  scrollToEnd();
  return bubble;
}

const answers = new WeakMap();

/**
 * The answer text (Markdown) and citations of a bubble. While streaming, pieces arrive faster than frames: the
 * bubble is re-rendered at most once a frame (`deferred`), and never twice for the same text and citations, so
 * a long answer costs one render per frame however many pieces it comes in.
 */
function setAnswer(bubble, markdown, citations, { deferred = false } = {}) {
  const state = answers.get(bubble) ?? { markdown: '', citations: [], pending: false, rendered: undefined };
  state.markdown = markdown;
  state.citations = citations ?? state.citations;
  answers.set(bubble, state);
  if (!deferred) return renderAnswer(bubble);
  if (!state.pending) {
    state.pending = true;
    requestAnimationFrame(() => renderAnswer(bubble));
  }
}

function renderAnswer(bubble) {
  const state = answers.get(bubble);
  if (!state) return;
  state.pending = false;
  const key = `${state.citations.map((citation) => citation.n).join(',')}\u0000${state.markdown}`;
  if (key === state.rendered) return;
  state.rendered = key;
  const cited = new Map(state.citations.map((citation) => [citation.n, citation]));
  const documents = new Set(state.citations.map((citation) => citation.docPath));
  const body = bubble.querySelector('.message-text');
  body.replaceChildren(
    renderMarkdown(state.markdown, {
      citationHref: (n) => (cited.has(n) ? `#${bubble.id}-source-${n}` : undefined),
      allowLink: (url) => isCitedDocumentLink(url, documents),
    }),
  );
}

/** A relative link in an answer stays a link only when it opens a document the answer cites. */
function isCitedDocumentLink(url, documents) {
  if (!url.startsWith('/') || url.startsWith('//')) return false;
  let parsed;
  try {
    parsed = new URL(url, location.origin);
  } catch {
    return false;
  }
  if (parsed.origin !== location.origin) return false;
  if (parsed.pathname.startsWith('/api/documents/')) {
    try {
      return documents.has(decodeURIComponent(parsed.pathname.slice('/api/documents/'.length)));
    } catch {
      return false;
    }
  }
  return parsed.pathname === '/view.html' && documents.has(parsed.searchParams.get('doc') ?? '');
}

function isFaqSource(citation) {
  return /\.(csv|xlsx|json)$/i.test(citation.docPath);
}

/** Where a source opens: a PDF at its page; other documents as a readable view at the cited passage. */
function sourceUrl(citation) {
  if (/\.pdf$/i.test(citation.docPath)) {
    const encoded = citation.docPath.split('/').map(encodeURIComponent).join('/');
    return `/api/documents/${encoded}${citation.page ? `#page=${citation.page}` : ''}`;
  }
  const query = new URLSearchParams({ doc: citation.docPath, chunk: citation.chunkId });
  if (citation.quote) query.set('q', citation.quote.slice(0, 400));
  if (language === 'zh') query.set('lang', 'zh');
  return `/view.html?${query}`;
}

function renderSources(bubble, citations) {
  bubble.querySelector('.sources')?.remove();
  if (!citations || citations.length === 0) return;
  const section = element('div', 'sources');
  section.append(element('p', 'sources-title', t('sources')));
  const list = element('ol');
  for (const citation of citations) {
    const item = element('li', 'source');
    item.id = `${bubble.id}-source-${citation.n}`;
    item.tabIndex = -1;
    item.append(element('span', 'source-number', `[${citation.n}]`), ' ');
    if (isFaqSource(citation)) {
      // An FAQ entry: its question is the title; the answer above is the entry's answer, not repeated here.
      item.append(element('span', 'source-title', citation.title), element('span', 'source-detail', ` — ${t('faqSource')}`));
    } else {
      const link = element('a', 'source-link', citation.title);
      link.href = sourceUrl(citation);
      link.target = '_blank';
      link.rel = 'noopener';
      item.append(link);
      const where = [citation.page ? (language === 'zh' ? `${t('page')} ${citation.page} ${t('pageSuffix')}` : `${t('page')} ${citation.page}`) : '', citation.headingPath]
        .filter(Boolean)
        .join(' · ');
      if (where) item.append(element('span', 'source-detail', ` — ${where}`));
      if (citation.quote) {
        // The passage the answer took from this source (Markdown: it may be table rows or a list).
        const quote = element('blockquote', 'source-quote markdown');
        quote.append(renderMarkdown(citation.quote));
        item.append(quote);
      }
    }
    list.append(item);
  }
  section.append(list);
  bubble.append(section);
}

function renderSuggestions(bubble, suggestions) {
  if (!suggestions || suggestions.length === 0) return;
  const row = element('div', 'suggestions');
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', t('suggestions'));
  for (const suggestion of suggestions.slice(0, 4)) {
    const chip = element('button', 'chip', suggestion);
    chip.type = 'button';
    chip.addEventListener('click', () => ask(suggestion));
    row.append(chip);
  }
  bubble.append(row);
}

function renderPersonOffer(bubble) {
  const offer = element('div', 'handoff-offer');
  const button = element('button', 'button button-person button-person-prominent', t('offerPerson'));
  button.type = 'button';
  button.addEventListener('click', () => handoff('no-answer'));
  offer.append(button);
  bubble.append(offer);
}

async function postJson(url, body) {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw Object.assign(new Error(data.error?.message || response.statusText), { payload: data });
  return data;
}

function renderFeedback(bubble, messageId) {
  const fragment = feedbackTemplate.content.cloneNode(true);
  const row = fragment.querySelector('.feedback');
  row.querySelector('.feedback-label').textContent = t('helpful');
  const buttons = row.querySelectorAll('[data-rating]');
  for (const button of buttons) {
    button.setAttribute('aria-label', t(button.dataset.label));
    button.addEventListener('click', async () => {
      const rating = button.dataset.rating;
      for (const other of buttons) {
        other.setAttribute('aria-pressed', String(other === button));
        other.disabled = true;
      }
      try {
        await postJson('/api/feedback', { messageId, rating });
        row.querySelector('.feedback-label').textContent = t('thanks');
        if (rating === 'down') renderComment(row, messageId);
      } catch {
        for (const other of buttons) other.disabled = false;
      }
    });
  }
  bubble.append(row);
}

function renderComment(row, messageId) {
  const form = element('form', 'feedback-comment');
  const input = element('input');
  input.type = 'text';
  input.maxLength = 2000;
  input.setAttribute('aria-label', t('commentLabel'));
  input.placeholder = t('commentLabel');
  const submit = element('button', 'button', t('commentSend'));
  submit.type = 'submit';
  const person = element('button', 'button button-person', t('offerPerson'));
  person.type = 'button';
  person.addEventListener('click', () => handoff('negative-feedback'));
  form.append(input, submit, person);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!input.value.trim()) return;
    await postJson('/api/feedback', { messageId, rating: 'down', comment: input.value.trim() }).catch(() => undefined);
    form.replaceChildren(element('span', '', t('thanks')));
  });
  row.append(form);
  input.focus();
}

function showError(bubble, payload) {
  bubble.classList.add('message-error');
  const error = payload && payload.error;
  answers.delete(bubble);
  bubble.querySelector('.message-text').replaceChildren(element('p', '', error ? `${error.message}. ${error.hint}` : t('networkError')));
}

function finishAnswer(bubble, end) {
  bubble.setAttribute('aria-busy', 'false');
  if (end.conversationId) {
    conversationId = end.conversationId;
    storage.set('sessionStorage', 'kefu-conversation', conversationId);
  }
  if (end.handoff) showTicket(end.handoff);
  else if (end.outcome === 'refused' || end.outcome === 'handoff') renderPersonOffer(bubble);
  renderSuggestions(bubble, end.suggestions);
  if (end.messageId) renderFeedback(bubble, end.messageId);
  scrollToEnd();
}

/** The ticket opened for this conversation (by the button or because the customer asked in words). */
function showTicket(handoff) {
  const bubble = addMessage('system', handoff.message);
  bubble.dataset.ticket = handoff.ticket.number;
  bubble.setAttribute('tabindex', '-1');
  bubble.focus();
}

/** Reads an SSE body frame by frame: `event: name` + `data: json`, frames separated by a blank line. */
async function* readEvents(response) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    buffer += decoder.decode(value || new Uint8Array(), { stream: !done });
    let boundary;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      let name = 'message';
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (data) yield { name, data: JSON.parse(data) };
    }
    if (done) return;
  }
}

async function ask(text) {
  const trimmed = text.trim();
  if (!trimmed || busy) return;
  busy = true;
  sendButton.disabled = true;
  addMessage('user', trimmed);
  const bubble = addMessage('assistant', '');
  bubble.setAttribute('aria-busy', 'true');
  let markdown = '';
  let citations = [];
  try {
    const body = { question: trimmed };
    if (conversationId) body.conversationId = conversationId;
    let response = await fetch('/api/chat', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
    if (response.status === 404 && conversationId) {
      // The conversation is gone (a new database): start a fresh one.
      conversationId = null;
      storage.set('sessionStorage', 'kefu-conversation', null);
      response = await fetch('/api/chat', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
        body: JSON.stringify({ question: trimmed }),
      });
    }
    if (!response.ok || !response.body) {
      showError(bubble, await response.json().catch(() => null));
      return;
    }
    let ended = false;
    for await (const event of readEvents(response)) {
      if (event.name === 'answer-delta') {
        markdown += event.data.text;
        setAnswer(bubble, markdown, citations, { deferred: true });
        scrollToEnd();
      } else if (event.name === 'citations') {
        citations = event.data.citations ?? [];
        setAnswer(bubble, markdown, citations, { deferred: true });
        renderSources(bubble, citations);
      } else if (event.name === 'answer-end') {
        ended = true;
        setAnswer(bubble, markdown, citations);
        finishAnswer(bubble, event.data);
      } else if (event.name === 'error') {
        showError(bubble, event.data);
        return;
      }
    }
    if (!ended) showError(bubble, { error: { message: t('interrupted'), hint: '' } });
  } catch {
    showError(bubble, null);
  } finally {
    bubble.setAttribute('aria-busy', 'false');
    busy = false;
    sendButton.disabled = false;
    question.focus();
  }
}

async function handoff(reason) {
  if (!conversationId) {
    addMessage('system', t('askFirst'));
    question.focus();
    return;
  }
  personButton.disabled = true;
  try {
    const result = await postJson('/api/handoff', { conversationId, reason, language: language === 'zh' ? 'zh' : 'en' });
    showTicket(result);
  } catch {
    addMessage('system', t('handoffFailed'));
  } finally {
    personButton.disabled = false;
  }
}

async function restore() {
  if (!conversationId) return;
  try {
    const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}`);
    if (!response.ok) {
      conversationId = null;
      storage.set('sessionStorage', 'kefu-conversation', null);
      return;
    }
    const conversation = await response.json();
    for (const message of conversation.messages) {
      const bubble = addMessage(message.role, message.text);
      if (message.role === 'assistant') {
        setAnswer(bubble, message.text, message.citations);
        renderSources(bubble, message.citations);
        if (message.outcome === 'refused' || message.outcome === 'handoff') renderPersonOffer(bubble);
        renderFeedback(bubble, message.id);
      }
    }
  } catch {
    /* offline: start with an empty view */
  }
}

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = question.value;
  question.value = '';
  ask(text);
});
question.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    composer.requestSubmit();
  }
});
question.addEventListener('input', () => {
  question.style.height = 'auto';
  question.style.height = `${Math.min(question.scrollHeight, 160)}px`;
});
personButton.addEventListener('click', () => handoff('customer-request'));
languageSwitch.addEventListener('click', () => {
  language = language === 'zh' ? 'en' : 'zh';
  storage.set('localStorage', 'kefu-language', language);
  applyLanguage();
  showIndexing(lastIndexing);
});
// An [n] marker takes the reader to its source card (inside the scrolling message list).
messages.addEventListener('click', (event) => {
  const marker = event.target instanceof Element ? event.target.closest('a.citation-ref') : null;
  if (!marker) return;
  const source = document.getElementById(marker.getAttribute('href').slice(1));
  if (!source) return;
  event.preventDefault();
  source.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
  source.classList.remove('source-flash');
  void source.offsetWidth;
  source.classList.add('source-flash');
  source.focus({ preventScroll: true });
});

const statusBanner = document.getElementById('status-banner');
let lastIndexing;

function showIndexing(indexing) {
  lastIndexing = indexing;
  const active = indexing && (indexing.state === 'starting' || indexing.state === 'syncing');
  statusBanner.hidden = !active;
  if (!active) return;
  statusBanner.textContent = indexing.filesTotal > 0
    ? t('indexing').replace('{done}', String(indexing.filesDone)).replace('{total}', String(indexing.filesTotal))
    : t('indexingStart');
}

/** While the service indexes the documents, say so (and how far it got); check again every 2 s until done. */
async function watchIndexing() {
  let indexing;
  try {
    const response = await fetch('/api/health', { cache: 'no-store' });
    indexing = (await response.json()).indexing;
  } catch {
    indexing = undefined;
  }
  showIndexing(indexing);
  if (indexing && (indexing.state === 'starting' || indexing.state === 'syncing')) setTimeout(watchIndexing, 2000);
}

if (params.get('embed') === '1') document.body.classList.add('embedded');

applyLanguage();
restore();
watchIndexing();
