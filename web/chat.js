// The kefu web chat: plain JavaScript modules, no build step. Answers are Markdown (paragraphs, lists,
// tables, bold, links, [n] citation markers) rendered by markdown.js as DOM nodes; every piece of document
// or answer text reaches the page as a text node (never innerHTML): documents may contain markup, and it
// must stay text. Agent and customer messages are plain text, always.
//
// The conversation (its id and the token that opens it) is kept in localStorage, so it survives a reload. When a
// person takes over, live updates arrive over SSE (live.js): the agent's replies and typing, and the state.
import { renderMarkdown } from '/markdown.js';
import { openLiveStream } from '/live.js';

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
    notStored: 'This conversation could not be saved.',
    faqSource: 'FAQ',
    openSource: 'Open the source',
    indexing: 'Preparing the documents (indexing {done} of {total})… Answers cover what is indexed so far.',
    indexingStart: 'Preparing the documents… Answers cover what is indexed so far.',
    chattingWith: 'You are chatting with {name}',
    waitingForPerson: 'Waiting for a person from our team…',
    agentTyping: '{name} is typing…',
    agentFallback: 'Support team',
    placeholderPeople: 'Write a message…',
    delivered: 'Sent to our team',
    reconnecting: 'Reconnecting…',
    contactTitle: 'How can we reach you? (optional)',
    email: 'Email',
    phone: 'Phone',
    contactSend: 'Send',
    contactSent: 'Thank you, we have your details.',
    rateTitle: 'How was your conversation with {name}?',
    rateOption: '{n} out of 5',
    rateThanks: 'Thank you for your rating.',
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
    notStored: '本次对话未能保存。',
    faqSource: '常见问题',
    openSource: '打开来源',
    indexing: '正在准备文档（已索引 {done} / {total}）… 回答基于已索引的内容。',
    indexingStart: '正在准备文档… 回答基于已索引的内容。',
    chattingWith: '正在与 {name} 对话',
    waitingForPerson: '正在等待人工客服接入…',
    agentTyping: '{name} 正在输入…',
    agentFallback: '客服团队',
    placeholderPeople: '请输入消息…',
    delivered: '已发送给客服',
    reconnecting: '正在重新连接…',
    contactTitle: '我们如何联系您？（可选）',
    email: '邮箱',
    phone: '电话',
    contactSend: '提交',
    contactSent: '谢谢，我们已收到您的联系方式。',
    rateTitle: '您对与 {name} 的这次对话满意吗？',
    rateOption: '{n} 分（满分 5 分）',
    rateThanks: '感谢您的评价。',
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
/** The conversation this browser is in: its id and the token that opens it (kept across reloads). */
let conversationId = null;
let conversationToken = null;
try {
  const saved = JSON.parse(storage.get('localStorage', 'kefu-conversation') || 'null');
  if (saved && typeof saved.id === 'string' && typeof saved.token === 'string') ({ id: conversationId, token: conversationToken } = saved);
} catch {
  /* a damaged entry: start afresh */
}
let busy = false;
/** bot | waiting | agent | resolved, as the server last said. */
let conversationState = 'bot';
let agentName = null;
const embedded = params.get('embed') === '1';

function saveConversation(id, token) {
  const changed = id !== conversationId || token !== conversationToken;
  conversationId = id;
  conversationToken = token;
  storage.set('localStorage', 'kefu-conversation', id && token ? JSON.stringify({ id, token }) : null);
  if (changed) tellParentConversation();
}

/**
 * In the widget, the chat is a third-party frame, and browsers increasingly refuse such frames any storage. The
 * widget on the host page keeps the conversation in the site's own storage instead (as Chatwoot and Intercom keep
 * theirs in a first-party cookie): it says hello with what it kept, and hears about every change. Messages go only
 * to the origin that said hello.
 */
let parentOrigin = null;
let helloReceived;
const hello = new Promise((resolve) => (helloReceived = resolve));

function tellParentConversation() {
  if (!embedded || !parentOrigin) return;
  window.parent.postMessage({ type: 'kefu:conversation', conversation: conversationId && conversationToken ? { id: conversationId, token: conversationToken } : null }, parentOrigin);
}

function forgetConversation() {
  stopLive();
  saveConversation(null, null);
  conversationState = 'bot';
  agentName = null;
  renderState();
}

/** The header that opens this conversation. */
function tokenHeaders() {
  return conversationToken ? { 'x-conversation-token': conversationToken } : {};
}

const messages = document.getElementById('messages');
const composer = document.getElementById('composer');
const question = document.getElementById('question');
const sendButton = document.getElementById('send-button');
const personButton = document.getElementById('person-button');
const languageSwitch = document.getElementById('language-switch');
const feedbackTemplate = document.getElementById('feedback-template');
const stateBanner = document.getElementById('state-banner');
const typingLine = document.getElementById('typing');

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
  renderState();
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

/** Ids of the stored messages on the page, so a live update or a reload never shows one twice. */
const shown = new Set();

/**
 * A message bubble. Assistant answers are Markdown, rendered as DOM nodes; everything else (the customer's, an
 * agent's, notices) is plain text: markup in it stays characters.
 */
function addMessage(role, text, { id = null, authorName = null } = {}) {
  const bubble = element('div', `message message-${role}`);
  bubble.id = `message-${++bubbleCount}`;
  if (id) {
    bubble.dataset.messageId = id;
    shown.add(id);
  }
  if (role === 'assistant') {
    bubble.append(element('div', 'message-text markdown'));
    setAnswer(bubble, text, []);
  } else {
    if (role === 'agent') bubble.append(element('p', 'message-author', authorName || t('agentFallback')));
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
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...tokenHeaders() }, body: JSON.stringify(body) });
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
  if (end.conversationId) saveConversation(end.conversationId, end.conversationToken || conversationToken);
  if (end.messageId) {
    bubble.dataset.messageId = end.messageId;
    shown.add(end.messageId);
  }
  if (end.state) setState({ state: end.state });
  // The records were down: the answer was given but not kept (the next question continues or starts again).
  if (end.stored === false) bubble.append(element('p', 'message-status', t('notStored')));
  if (end.handoff) showTicket(end.handoff);
  else if (end.outcome === 'refused' || end.outcome === 'handoff') renderPersonOffer(bubble);
  renderSuggestions(bubble, end.suggestions);
  if (end.messageId) renderFeedback(bubble, end.messageId);
  scrollToEnd();
}

/** The ticket opened for this conversation (by the button, because the customer asked in words, or kefu could not answer). */
function showTicket(handoff) {
  const bubble = handoff.messageId && shown.has(handoff.messageId) ? messages.querySelector(`[data-message-id="${CSS.escape(handoff.messageId)}"]`) : addMessage('system', handoff.message, { id: handoff.messageId || null });
  if (!bubble) return;
  bubble.dataset.ticket = handoff.ticket.number;
  bubble.setAttribute('tabindex', '-1');
  bubble.focus();
  if (handoff.outsideHours) renderContactForm();
  setState({ state: handoff.state || 'waiting' });
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

function chatRequest(body) {
  return fetch('/api/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...tokenHeaders() },
    body: JSON.stringify(body),
  });
}

/** Whether the customer has asked something on this page (see restore). */
let askedHere = false;

async function ask(text) {
  const trimmed = text.trim();
  if (!trimmed || busy) return;
  busy = true;
  askedHere = true;
  sendButton.disabled = true;
  const mine = addMessage('user', trimmed);
  // The answer's bubble appears with its first piece: a message to people gets no answer from kefu.
  let bubble = null;
  const answerBubble = () => {
    if (!bubble) {
      bubble = addMessage('assistant', '');
      bubble.setAttribute('aria-busy', 'true');
    }
    return bubble;
  };
  let markdown = '';
  let citations = [];
  try {
    const body = { question: trimmed, channel: embedded ? 'widget' : 'web' };
    if (conversationId) body.conversationId = conversationId;
    let response = await chatRequest(body);
    if ((response.status === 401 || response.status === 403 || response.status === 404) && conversationId) {
      // The conversation is gone or no longer ours (a new database, a lost token): start a fresh one.
      forgetConversation();
      delete body.conversationId;
      response = await chatRequest(body);
    }
    if (!response.ok || !response.body) {
      showError(answerBubble(), await response.json().catch(() => null));
      return;
    }
    let ended = false;
    for await (const event of readEvents(response)) {
      if (event.name === 'routed') {
        // People have the conversation: the message went to them.
        ended = true;
        mine.dataset.messageId = event.data.messageId;
        shown.add(event.data.messageId);
        mine.append(element('span', 'message-status', t('delivered')));
        setState({ state: event.data.state });
      } else if (event.name === 'answer-delta') {
        markdown += event.data.text;
        setAnswer(answerBubble(), markdown, citations, { deferred: true });
        scrollToEnd();
      } else if (event.name === 'citations') {
        citations = event.data.citations ?? [];
        setAnswer(answerBubble(), markdown, citations, { deferred: true });
        renderSources(answerBubble(), citations);
      } else if (event.name === 'answer-end') {
        ended = true;
        setAnswer(answerBubble(), markdown, citations);
        finishAnswer(answerBubble(), event.data);
      } else if (event.name === 'error') {
        showError(answerBubble(), event.data);
        return;
      }
    }
    if (!ended) showError(answerBubble(), { error: { message: t('interrupted'), hint: '' } });
  } catch {
    showError(answerBubble(), null);
  } finally {
    bubble?.setAttribute('aria-busy', 'false');
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

/** One stored message, as the page shows it (a reload, a live update, or what happened while the stream was away). */
function showStored(message) {
  if (shown.has(message.id)) return;
  const bubble = addMessage(message.role, message.text, { id: message.id, authorName: message.authorName });
  if (message.role === 'assistant') {
    setAnswer(bubble, message.text, message.citations);
    renderSources(bubble, message.citations);
    if (message.outcome === 'refused' || message.outcome === 'handoff') renderPersonOffer(bubble);
    renderFeedback(bubble, message.id);
  }
  if (message.role === 'agent' && agentName === null) agentName = message.authorName;
  return bubble;
}

/** Reads the conversation; `onlyNew` shows just what the page does not show yet. Returns it, or null. */
async function readConversation() {
  if (!conversationId) return null;
  try {
    const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}`, { headers: tokenHeaders(), cache: 'no-store' });
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      forgetConversation();
      return null;
    }
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function restore() {
  // A question asked on this page before the restore ran (the widget waits up to 1.5 s for its hello) started the
  // conversation here: there is nothing to restore, and reading it while that answer streams would show its
  // messages twice and race the hand-over notice.
  if (askedHere) return;
  const conversation = await readConversation();
  if (!conversation) return;
  for (const message of conversation.messages) showStored(message);
  setState({ state: conversation.state, agentName: conversation.agentName, canRate: conversation.ticket?.canRate }, conversation.lastEventSeq);
  if (conversation.ticket && conversation.ticket.status === 'open' && conversation.ticket.outsideHours && !conversation.ticket.contactLeft) renderContactForm();
}

// --- live updates while people have the conversation -------------------------------------------------------

let live = null;
let typingTimer = null;
let lastTypingSent = 0;
let unread = 0;
/** Whether the widget around this page is open (always true outside the widget). */
let visible = !embedded;

function stopLive() {
  live?.close();
  live = null;
}

/** Follows the conversation live from `afterSeq` (what the page last read). */
function startLive(afterSeq) {
  if (live || !conversationId) return;
  live = openLiveStream({
    url: `/api/conversations/${encodeURIComponent(conversationId)}/events`,
    headers: tokenHeaders,
    lastEventId: afterSeq ?? null,
    onStatus: (status) => {
      statusBanner.hidden = status !== 'reconnecting';
      if (status === 'reconnecting') statusBanner.textContent = t('reconnecting');
      if (status === 'denied') stopLive();
    },
    onEvent: (name, data) => {
      if (name === 'ready' || name === 'state') setState(data);
      else if (name === 'typing') showTyping(data.name);
      else if (name === 'message') receive(data.message);
    },
  });
}

/** A message that arrived live: the customer's own are already on the page. */
function receive(message) {
  if (message.role === 'user' || shown.has(message.id)) return;
  hideTyping();
  showStored(message);
  if (message.role === 'agent' && (!visible || document.hidden)) {
    unread += 1;
    tellWidget();
  }
}

function showTyping(name) {
  typingLine.textContent = t('agentTyping').replace('{name}', name || agentName || t('agentFallback'));
  typingLine.hidden = false;
  clearTimeout(typingTimer);
  typingTimer = setTimeout(hideTyping, 5000);
}

function hideTyping() {
  clearTimeout(typingTimer);
  typingLine.hidden = true;
}

/** The widget's bubble shows how many agent messages arrived while it was closed. */
function tellWidget() {
  if (embedded && parentOrigin) window.parent.postMessage({ type: 'kefu:unread', count: unread }, parentOrigin);
}

window.addEventListener('message', (event) => {
  if (!embedded || event.source !== window.parent || !event.data) return;
  if (event.data.type === 'kefu:hello') {
    parentOrigin = event.origin;
    visible = Boolean(event.data.open);
    const kept = event.data.conversation;
    if (!conversationId && kept && typeof kept.id === 'string' && typeof kept.token === 'string') {
      conversationId = kept.id;
      conversationToken = kept.token;
    } else tellParentConversation();
    helloReceived();
  } else if (event.data.type === 'kefu:visibility') {
    visible = Boolean(event.data.open);
    if (visible) {
      unread = 0;
      tellWidget();
    }
  }
});

let ratingShown = false;

/** The state as the server says it; `afterSeq` starts live updates from there when people have the conversation. */
function setState(next, afterSeq) {
  if (next.state) conversationState = next.state;
  if (next.agentName !== undefined) agentName = next.agentName ?? agentName;
  renderState();
  if (conversationState === 'bot') stopLive();
  else if (!live) {
    if (afterSeq !== undefined) startLive(afterSeq);
    else catchUpAndFollow();
  }
  if (conversationState === 'resolved' && next.canRate && !ratingShown) renderRating();
}

/** After a hand-over: show anything already written (an agent may be quick), then follow from there. */
async function catchUpAndFollow() {
  const conversation = await readConversation();
  if (!conversation || live) return;
  for (const message of conversation.messages) if (message.role !== 'user') showStored(message);
  setState({ state: conversation.state, agentName: conversation.agentName, canRate: conversation.ticket?.canRate }, conversation.lastEventSeq);
}

function renderState() {
  if (!stateBanner) return;
  const withPeople = conversationState === 'waiting' || conversationState === 'agent';
  stateBanner.hidden = !withPeople;
  stateBanner.textContent = conversationState === 'agent' ? t('chattingWith').replace('{name}', agentName || t('agentFallback')) : t('waitingForPerson');
  personButton.hidden = withPeople;
  question.placeholder = withPeople ? t('placeholderPeople') : t('placeholder');
}

/** Outside business hours: an optional email or phone, validated by the server. */
function renderContactForm() {
  if (messages.querySelector('.contact-form')) return;
  const form = element('form', 'contact-form message message-system');
  form.append(element('p', 'contact-title', t('contactTitle')));
  const fields = element('div', 'contact-fields');
  const field = (type, key, autocomplete) => {
    const label = element('label', 'contact-field');
    const input = element('input');
    input.type = type;
    input.name = key;
    input.autocomplete = autocomplete;
    input.maxLength = type === 'email' ? 254 : 40;
    label.append(element('span', '', t(key)), input);
    fields.append(label);
    return input;
  };
  const email = field('email', 'email', 'email');
  const phone = field('tel', 'phone', 'tel');
  const submit = element('button', 'button', t('contactSend'));
  submit.type = 'submit';
  const problem = element('p', 'contact-error');
  problem.setAttribute('role', 'alert');
  form.append(fields, submit, problem);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    problem.textContent = '';
    const body = {};
    if (email.value.trim()) body.email = email.value.trim();
    if (phone.value.trim()) body.phone = phone.value.trim();
    submit.disabled = true;
    try {
      await postJson(`/api/conversations/${encodeURIComponent(conversationId)}/contact`, body);
      form.replaceChildren(element('p', '', t('contactSent')));
    } catch (error) {
      problem.textContent = error.payload?.error ? `${error.payload.error.message}. ${error.payload.error.hint}` : t('networkError');
      submit.disabled = false;
    }
  });
  messages.append(form);
  scrollToEnd();
}

/** After an agent resolved the conversation: an optional 1–5 rating, asked once. */
function renderRating() {
  ratingShown = true;
  const box = element('div', 'rating message message-system');
  box.append(element('p', 'rating-title', t('rateTitle').replace('{name}', agentName || t('agentFallback'))));
  const row = element('div', 'rating-options');
  row.setAttribute('role', 'group');
  row.setAttribute('aria-label', t('rateTitle').replace('{name}', agentName || t('agentFallback')));
  for (let score = 1; score <= 5; score += 1) {
    const button = element('button', 'rating-option', String(score));
    button.type = 'button';
    button.setAttribute('aria-label', t('rateOption').replace('{n}', String(score)));
    button.addEventListener('click', async () => {
      for (const other of row.querySelectorAll('button')) other.disabled = true;
      try {
        await postJson(`/api/conversations/${encodeURIComponent(conversationId)}/rating`, { score });
        box.replaceChildren(element('p', '', t('rateThanks')));
      } catch {
        for (const other of row.querySelectorAll('button')) other.disabled = false;
      }
    });
    row.append(button);
  }
  box.append(row);
  messages.append(box);
  scrollToEnd();
}

/** Tells the agent the customer is typing (at most every 3 s, only while people have the conversation). */
function customerTyping() {
  if (!conversationId || (conversationState !== 'waiting' && conversationState !== 'agent')) return;
  const now = Date.now();
  if (now - lastTypingSent < 3000) return;
  lastTypingSent = now;
  fetch(`/api/conversations/${encodeURIComponent(conversationId)}/typing`, { method: 'POST', headers: tokenHeaders() }).catch(() => undefined);
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
  customerTyping();
  question.style.height = 'auto';
  question.style.height = `${Math.min(question.scrollHeight, 160)}px`;
});
personButton.addEventListener('click', () => handoff('customer-request'));
// The page comes with the question box disabled: typed before this script ran, a question would go nowhere.
question.disabled = false;
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

if (embedded) document.body.classList.add('embedded');

applyLanguage();
// In the widget without storage of its own, wait (briefly) for the widget's hello with the kept conversation.
(embedded && !conversationId ? Promise.race([hello, new Promise((resolve) => setTimeout(resolve, 1500))]) : Promise.resolve()).then(restore);
watchIndexing();
