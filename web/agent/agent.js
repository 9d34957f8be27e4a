// The agent workspace: sign in, the queue, a conversation with everything kefu knew, replies and internal notes,
// assignment, priority and tags, resolve and hand back, quick replies, all live over SSE. Plain JavaScript modules,
// no build step. Every piece of customer, agent or document text reaches the page as a text node (never
// innerHTML); kefu's answers are Markdown rendered as DOM nodes by /markdown.js.
import { renderMarkdown } from '/markdown.js';
import { openLiveStream } from '/live.js';
import { strings } from '/agent/strings.js';
import { api, ApiError, beacon, setCsrfToken, whenSignedOut } from '/agent/api.js';
import { renderAdmin } from '/agent/admin.js';
import { initialLanguage, storage } from '/preferences.js';

const VIEWS = ['waiting', 'mine', 'open', 'resolved'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const VIEWING_RENEW_MS = 20_000;


let language = initialLanguage(strings, 'kefu-agent-language');

/** Everything the page knows. */
const state = {
  me: null,
  capabilities: [],
  settings: { firstResponseTargetMinutes: 5, maxMessageChars: 10000, heartbeatMs: 15000 },
  view: VIEWS.includes(storage.get('kefu-agent-view')) ? storage.get('kefu-agent-view') : 'waiting',
  items: [],
  counts: { waiting: 0, mine: 0, open: 0, resolved: 0 },
  lastEventSeq: null,
  selectedId: null,
  conversation: null,
  shown: new Set(),
  viewers: new Map(),
  agents: [],
  quickReplies: [],
  live: null,
};

const $ = (id) => document.getElementById(id);
const dom = {
  who: $('who'),
  signOut: $('sign-out'),
  languageSwitch: $('language-switch'),
  connection: $('connection'),
  signInView: $('sign-in-view'),
  signInForm: $('sign-in-form'),
  signInError: $('sign-in-error'),
  workspace: $('workspace'),
  adminView: $('admin-view'),
  tabs: $('queue-tabs'),
  list: $('queue-list'),
  title: $('conversation-title'),
  viewers: $('viewers'),
  empty: $('conversation-empty'),
  transcript: $('transcript'),
  typing: $('customer-typing'),
  composer: $('composer'),
  replyText: $('reply-text'),
  replyLabel: $('reply-label'),
  send: $('send'),
  composerError: $('composer-error'),
  suggestions: $('suggestions'),
  details: $('details-body'),
  quickRepliesButton: $('quick-replies-button'),
  quickRepliesDialog: $('quick-replies-dialog'),
  notify: $('notify'),
  notifyLabel: $('notify-label'),
};

// --- small helpers -------------------------------------------------------------------------------------------

export function t(key, values = {}) {
  let text = strings[language][key] ?? strings.en[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

/** "4 min", "2 h 5 min", "3 d" (or 分钟/小时/天). */
export function duration(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const zh = language === 'zh';
  if (minutes < 1) return zh ? '不到 1 分钟' : '<1 min';
  if (minutes < 60) return zh ? `${minutes} 分钟` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return zh ? `${hours} 小时 ${minutes % 60} 分钟` : `${hours} h ${minutes % 60} min`;
  const days = Math.floor(hours / 24);
  return zh ? `${days} 天` : `${days} d`;
}

export function clock(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  const sameDay = date.toDateString() === new Date().toDateString();
  return new Intl.DateTimeFormat(language === 'zh' ? 'zh-CN' : 'en-GB', sameDay ? { hour: '2-digit', minute: '2-digit' } : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' }).format(date);
}

function languageName(code) {
  if (code === 'zh') return '中文';
  if (code === 'en') return 'EN';
  return code || '—';
}

function errorText(error) {
  if (error instanceof ApiError) return error.hint ? `${error.message}. ${error.hint}` : error.message;
  return t('errorGeneric');
}

function can(capability) {
  return state.capabilities.includes(capability);
}

// --- language ------------------------------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('title')} · kefu`;
  for (const node of document.querySelectorAll('[data-text]')) node.textContent = t(node.dataset.text);
  dom.languageSwitch.setAttribute('aria-label', t('switchLanguageLabel'));
  $('quick-reply-help').textContent = t('quickReplyHelp');
  if (state.me) {
    dom.who.textContent = t('signedInAs', { name: state.me.displayName, role: t(`role_${state.me.role}`) });
    if (can('conversations')) {
      renderTabs();
      renderQueue();
      renderComposerMode();
      if (state.conversation) renderConversation(state.conversation, { keepTranscript: false });
    }
    if (can('administration')) renderAdmin({ root: dom.adminView, t, el, clock, showToken });
  }
}

dom.languageSwitch.addEventListener('click', () => {
  language = language === 'zh' ? 'en' : 'zh';
  storage.set('kefu-agent-language', language);
  applyLanguage();
});

// --- sign-in -------------------------------------------------------------------------------------------------

function showSignIn() {
  state.live?.close();
  state.live = null;
  state.me = null;
  dom.workspace.hidden = true;
  dom.adminView.hidden = true;
  dom.signOut.hidden = true;
  dom.quickRepliesButton.hidden = true;
  dom.notifyLabel.hidden = true;
  dom.who.textContent = '';
  dom.signInView.hidden = false;
  $('sign-in-name').focus();
}

whenSignedOut(showSignIn);

dom.signInForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  dom.signInError.textContent = '';
  const name = $('sign-in-name').value.trim();
  const token = $('sign-in-token').value.trim();
  try {
    const session = await api('POST', '/api/session', { name, token });
    $('sign-in-token').value = '';
    await signedIn(session);
  } catch (error) {
    dom.signInError.textContent = errorText(error);
  }
});

dom.signOut.addEventListener('click', async () => {
  leaveConversation();
  await api('DELETE', '/api/session').catch(() => undefined);
  setCsrfToken(null);
  showSignIn();
});

async function signedIn(session) {
  state.me = session.user;
  state.capabilities = session.capabilities;
  state.settings = session.settings;
  setCsrfToken(session.csrfToken);
  dom.signInView.hidden = true;
  dom.signOut.hidden = false;
  if (can('conversations')) {
    dom.workspace.hidden = false;
    dom.quickRepliesButton.hidden = false;
    dom.notifyLabel.hidden = !('Notification' in window);
    dom.notify.checked = 'Notification' in window && Notification.permission === 'granted' && storage.get('kefu-agent-notify') === '1';
    await Promise.all([loadAgents(), loadQuickReplies(), loadQueue()]);
    startLive();
    const fromHash = /^#c=([\w-]{1,100})$/.exec(location.hash)?.[1];
    if (fromHash) await openConversation(fromHash);
  }
  if (can('administration')) dom.adminView.hidden = false;
  applyLanguage();
}

// --- queue ---------------------------------------------------------------------------------------------------

function renderTabs() {
  dom.tabs.replaceChildren();
  for (const view of VIEWS) {
    const tab = el('button', 'tab');
    tab.type = 'button';
    tab.setAttribute('role', 'tab');
    tab.dataset.view = view;
    tab.setAttribute('aria-selected', String(view === state.view));
    tab.setAttribute('aria-controls', 'queue-list');
    const count = state.counts[view] ?? 0;
    tab.append(el('span', '', t(`view_${view}`)), el('span', 'count', view === 'resolved' || count === 0 ? '' : String(count)));
    tab.addEventListener('click', () => {
      state.view = view;
      storage.set('kefu-agent-view', view);
      renderTabs();
      void loadQueue();
    });
    dom.tabs.append(tab);
  }
  const waiting = state.counts.waiting ?? 0;
  document.title = `${waiting > 0 ? `(${waiting}) ` : ''}${t('title')} · kefu`;
}

let queueRequest = 0;

async function loadQueue() {
  const request = ++queueRequest;
  try {
    const queue = await api('GET', `/api/agent/conversations?status=${state.view}`);
    if (request !== queueRequest) return;
    state.items = queue.items;
    state.counts = queue.counts;
    if (state.lastEventSeq === null) state.lastEventSeq = queue.lastEventSeq;
    renderTabs();
    renderQueue();
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) console.error(error);
  }
}

let queueTimer = null;
function refreshQueueSoon() {
  clearTimeout(queueTimer);
  queueTimer = setTimeout(loadQueue, 150);
}

function queueItem(item) {
  const li = el('li');
  const button = el('button', `queue-item sla-${item.state === 'resolved' || item.ticket.status === 'closed' ? 'done' : item.sla.status}`);
  button.type = 'button';
  button.dataset.conversationId = item.id;
  if (item.id === state.selectedId) button.setAttribute('aria-current', 'true');
  const head = el('span', 'queue-line');
  head.append(el('strong', '', item.ticket.number), el('span', '', t(`reason_${item.ticket.reason}`)));
  head.append(el('span', 'badge', languageName(item.language)));
  if (item.ticket.priority !== 'normal') head.append(el('span', `badge badge-${item.ticket.priority}`, t(`priority_${item.ticket.priority}`)));
  if (item.unanswered > 0 && item.ticket.status === 'open') head.append(el('span', 'badge badge-new', t('unanswered', { n: item.unanswered })));
  const excerpt = el('span', 'queue-excerpt', item.lastMessage ? item.lastMessage.text : '');
  const foot = el('span', 'queue-line');
  if (item.ticket.status === 'open') {
    const since = item.ticket.firstResponseAt ? t('answeredIn', { time: duration(Date.parse(item.ticket.firstResponseAt) - Date.parse(item.ticket.createdAt)) }) : t('waitingFor', { time: duration(Date.now() - Date.parse(item.ticket.createdAt)) });
    const sla = el('span', 'sla', since);
    sla.title = t(`sla_${item.sla.status}`);
    foot.append(sla, el('span', 'visually-hidden', t(`sla_${item.sla.status}`)));
  } else {
    foot.append(el('span', '', `${t(`state_${item.state}`)} · ${clock(item.ticket.closedAt)}`));
    if (item.ticket.rating) foot.append(el('span', '', `★ ${item.ticket.rating}/5`));
  }
  foot.append(el('span', '', item.ticket.assignee ? item.ticket.assignee.name : t('unassigned')));
  const others = item.viewers.filter((viewer) => viewer.agentId !== state.me?.id);
  if (others.length > 0) foot.append(el('span', '', `👁 ${others.map((viewer) => viewer.name).join(', ')}`));
  button.append(head, excerpt, foot);
  button.addEventListener('click', () => openConversation(item.id));
  li.append(button);
  return li;
}

function renderQueue() {
  dom.list.replaceChildren();
  if (state.items.length === 0) {
    dom.list.append(el('li', 'queue-empty', state.view === 'waiting' ? t('emptyWaiting') : t('emptyQueue')));
    return;
  }
  for (const item of state.items) dom.list.append(queueItem(item));
}

// Waiting times move: redraw them every 30 s.
setInterval(() => {
  if (state.me && can('conversations')) renderQueue();
}, 30_000);

// --- one conversation ----------------------------------------------------------------------------------------

let viewingTimer = null;

function leaveConversation() {
  clearInterval(viewingTimer);
  if (state.selectedId && state.me) beacon(`/api/agent/conversations/${encodeURIComponent(state.selectedId)}/viewing`, { viewing: false });
}

window.addEventListener('pagehide', leaveConversation);

/** Opens a conversation (or, with `show: false`, refreshes the open one without changing what a phone shows). */
async function openConversation(id, { show = true } = {}) {
  if (state.selectedId !== id) {
    leaveConversation();
    state.selectedId = id;
    state.viewers = new Map();
    state.shown = new Set();
    dom.transcript.replaceChildren();
    dom.composerError.textContent = '';
    dom.replyText.value = '';
  }
  history.replaceState(null, '', `#c=${id}`);
  if (show) document.body.dataset.view = 'conversation';
  renderQueue();
  try {
    const conversation = await api('GET', `/api/agent/conversations/${encodeURIComponent(id)}`);
    if (state.selectedId !== id) return;
    renderConversation(conversation, { keepTranscript: true });
    announceViewing();
    clearInterval(viewingTimer);
    viewingTimer = setInterval(announceViewing, VIEWING_RENEW_MS);
  } catch (error) {
    dom.title.textContent = errorText(error);
  }
}

async function announceViewing() {
  if (!state.selectedId) return;
  try {
    const { viewers } = await api('POST', `/api/agent/conversations/${encodeURIComponent(state.selectedId)}/viewing`, { viewing: true });
    state.viewers = new Map(viewers.map((viewer) => [viewer.agentId, viewer.name]));
    renderViewers();
  } catch {
    /* the next renewal tries again */
  }
}

function renderViewers() {
  const others = [...state.viewers].filter(([agentId]) => agentId !== state.me?.id).map(([, name]) => name);
  dom.viewers.hidden = others.length === 0;
  dom.viewers.textContent = others.length > 0 ? t('viewing', { names: others.join(', ') }) : '';
}

/** Draws the conversation; with `keepTranscript` only messages not on the page yet are added. */
function renderConversation(conversation, { keepTranscript }) {
  state.conversation = conversation;
  dom.empty.hidden = true;
  const ticket = conversation.ticket;
  dom.title.textContent = ticket ? `${ticket.number} · ${t(`state_${conversation.state}`)}` : t(`state_${conversation.state}`);
  if (!keepTranscript) {
    state.shown = new Set();
    dom.transcript.replaceChildren();
  }
  for (const message of conversation.messages) addEntry(message);
  for (const viewer of conversation.viewers) state.viewers.set(viewer.agentId, viewer.name);
  renderViewers();
  dom.composer.hidden = false;
  renderComposerMode();
  renderDetails(conversation);
}

function entryLabel(message) {
  const label = el('p', 'entry-label');
  const who = message.role === 'user' ? t('customer') : message.role === 'assistant' ? t('kefu') : message.role === 'note' ? t('noteBy', { name: message.authorName || '' }) : message.authorName || '';
  if (who) label.append(el('strong', '', who));
  label.append(el('span', '', clock(message.createdAt)));
  return label;
}

function renderEvidence(entry, message) {
  const meta = [];
  if (message.outcome) meta.push(t(`outcome_${message.outcome}`));
  if (message.confidence !== undefined) meta.push(t('confidence', { value: message.confidence.toFixed(2) }));
  if (message.responseMs !== undefined) meta.push(t('took', { ms: Math.round(message.responseMs) }));
  if (meta.length > 0) entry.append(el('p', 'entry-meta', meta.join(' · ')));
  if (message.citations.length > 0) {
    const sources = el('details', 'evidence');
    sources.open = true;
    sources.append(el('summary', '', t('sources')));
    const list = el('ol');
    for (const citation of message.citations) {
      const item = el('li');
      item.id = `${entry.id}-source-${citation.n}`;
      item.append(el('span', 'passage-head', `[${citation.n}] ${citation.title}`));
      if (citation.headingPath) item.append(el('span', '', ` — ${citation.headingPath}${citation.page ? ` · p. ${citation.page}` : ''}`));
      if (citation.quote) item.append(el('p', 'passage-text', citation.quote));
      list.append(item);
    }
    sources.append(list);
    entry.append(sources);
  }
  if (message.retrieved.length > 0) {
    const passages = el('details', 'evidence');
    passages.append(el('summary', '', t('passages', { n: message.retrieved.length })));
    const list = el('ol');
    for (const passage of message.retrieved) {
      const item = el('li');
      item.append(el('span', 'passage-head', passage.title), el('span', '', ` — ${passage.headingPath || passage.docPath} · ${t('score', { value: passage.score.toFixed(3) })}`));
      const text = el('p', 'passage-text', passage.text);
      const more = el('button', 'link-button', t('fullText'));
      more.type = 'button';
      more.addEventListener('click', async () => {
        more.disabled = true;
        try {
          const full = await api('GET', `/api/agent/passages/${encodeURIComponent(passage.chunkId)}`);
          text.textContent = full.text;
          more.remove();
        } catch {
          text.textContent = t('fullTextGone');
        }
      });
      item.append(text, more);
      list.append(item);
    }
    passages.append(list);
    entry.append(passages);
  }
}

/**
 * "Correct this answer": the right answer becomes an FAQ entry for the customer's question, written to kefu's FAQ
 * file in the inbox and live from the next sync (POST /api/agent/corrections). The answer is sent as typed; it is
 * shown to customers as text (Markdown lists, links and bold only).
 */
function renderCorrection(entry, message) {
  const box = el('details', 'evidence correction');
  box.append(el('summary', '', t('correctAnswer')));
  const form = el('form', 'correction-form');
  const id = `${entry.id}-correction`;
  const label = el('label', '', t('rightAnswer'));
  label.htmlFor = id;
  const text = el('textarea');
  text.id = id;
  text.rows = 4;
  text.maxLength = 20000;
  text.required = true;
  const save = el('button', 'primary', t('saveRightAnswer'));
  save.type = 'submit';
  const status = el('p', 'hint');
  status.setAttribute('role', 'status');
  form.append(label, text, save, status);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    save.disabled = true;
    status.textContent = '';
    try {
      const { change } = await api('POST', '/api/agent/corrections', { messageId: message.id, answer: text.value });
      status.textContent = t('rightAnswerSaved', { file: change?.file ?? 'kefu-answers.csv' });
      text.disabled = true;
    } catch (error) {
      status.textContent = errorText(error);
      save.disabled = false;
    }
  });
  box.append(form);
  entry.append(box);
}

/** One message of the transcript (skipped when already shown). */
function addEntry(message) {
  if (state.shown.has(message.id)) return;
  state.shown.add(message.id);
  const entry = el('article', `entry entry-${message.role}`);
  entry.id = `entry-${message.id}`;
  entry.dataset.messageId = message.id;
  if (message.role !== 'system') entry.append(entryLabel(message));
  if (message.role === 'assistant') {
    const body = el('div', 'entry-text markdown');
    const cited = new Set(message.citations.map((citation) => citation.n));
    body.append(renderMarkdown(message.text, { citationHref: (n) => (cited.has(n) ? `#${entry.id}-source-${n}` : undefined) }));
    entry.append(body);
    renderEvidence(entry, message);
    renderCorrection(entry, message);
  } else {
    entry.append(el('p', 'entry-text', message.text));
  }
  const nearBottom = dom.transcript.scrollHeight - dom.transcript.scrollTop - dom.transcript.clientHeight < 120;
  dom.transcript.append(entry);
  if (nearBottom || message.authorId === state.me?.id) dom.transcript.scrollTop = dom.transcript.scrollHeight;
}

let conversationTimer = null;
function refreshConversationSoon() {
  clearTimeout(conversationTimer);
  conversationTimer = setTimeout(() => {
    if (state.selectedId) void openConversation(state.selectedId, { show: false });
  }, 150);
}

// --- details ---------------------------------------------------------------------------------------------------

function fact(list, term, value) {
  list.append(el('dt', '', term), el('dd', '', value));
}

async function changeTicket(action, body) {
  const id = state.selectedId;
  try {
    if (action === 'patch') await api('PATCH', `/api/agent/conversations/${encodeURIComponent(id)}`, body);
    else await api('POST', `/api/agent/conversations/${encodeURIComponent(id)}/${action}`, body);
    refreshConversationSoon();
    refreshQueueSoon();
  } catch (error) {
    alertInDetails(errorText(error));
  }
}

function alertInDetails(text) {
  let alert = dom.details.querySelector('.error');
  if (!alert) {
    alert = el('p', 'error');
    alert.setAttribute('role', 'alert');
    dom.details.prepend(alert);
  }
  alert.textContent = text;
}

function renderDetails(conversation) {
  dom.details.replaceChildren();
  const ticket = conversation.ticket;
  const facts = el('dl', 'facts');
  if (ticket) {
    fact(facts, t('ticket'), `${ticket.number} · ${t(`state_${conversation.state}`)}`);
    fact(facts, t('reason'), ticket.note ? `${t(`reason_${ticket.reason}`)} (${ticket.note})` : t(`reason_${ticket.reason}`));
    fact(facts, t('opened'), clock(ticket.createdAt));
    if (conversation.sla) {
      const dd = el('dd', `sla-text-${conversation.sla.status}`, t(`sla_${conversation.sla.status}`));
      facts.append(el('dt', '', t('firstResponseTarget')), dd);
    }
  }
  fact(facts, t('language'), languageName(conversation.language));
  fact(facts, t('channel'), conversation.channel);
  if (ticket) {
    const contact = [ticket.contactEmail, ticket.contactPhone].filter(Boolean).join(' · ');
    fact(facts, t('contact'), contact || t('noContact'));
    if (ticket.outsideHours) fact(facts, '⏾', t('outsideHours'));
    if (ticket.rating) fact(facts, t('rating'), `★ ${ticket.rating}/5`);
  }
  dom.details.append(facts);
  if (!ticket) return;
  const open = ticket.status === 'open';

  // Assignment: to me, or to a colleague. The last assignment wins, and everyone sees it.
  const assign = el('div', 'field');
  assign.append(el('span', '', ticket.assignee ? t('assignedTo', { name: ticket.assignee.name }) : t('unassigned')));
  if (open) {
    const mine = el('button', 'button', t('assignToMe'));
    mine.type = 'button';
    mine.disabled = ticket.assignee?.id === state.me.id;
    mine.addEventListener('click', () => changeTicket('assign', {}));
    const row = el('div', 'field-row');
    const select = el('select');
    select.id = 'assign-to';
    select.setAttribute('aria-label', t('assignTo'));
    for (const agent of state.agents) {
      const option = el('option', '', `${agent.name}${agent.online ? ' ●' : ''}`);
      option.value = agent.id;
      option.selected = agent.id === ticket.assignee?.id;
      select.append(option);
    }
    const go = el('button', 'button', t('assign'));
    go.type = 'button';
    go.addEventListener('click', () => changeTicket('assign', { agentId: select.value }));
    row.append(select, go);
    assign.append(mine, row);
  }
  dom.details.append(assign);

  const priority = el('label', 'field');
  priority.append(el('span', '', t('priority')));
  const prioritySelect = el('select');
  for (const value of PRIORITIES) {
    const option = el('option', '', t(`priority_${value}`));
    option.value = value;
    option.selected = value === ticket.priority;
    prioritySelect.append(option);
  }
  prioritySelect.addEventListener('change', () => changeTicket('patch', { priority: prioritySelect.value }));
  priority.append(prioritySelect);
  dom.details.append(priority);

  const tags = el('div', 'field');
  tags.append(el('span', '', t('tags')));
  const chips = el('div', 'chips');
  for (const tag of ticket.tags) {
    const chip = el('span', 'chip', tag);
    const remove = el('button', '', '×');
    remove.type = 'button';
    remove.setAttribute('aria-label', t('removeTag', { tag }));
    remove.addEventListener('click', () => changeTicket('patch', { tags: ticket.tags.filter((other) => other !== tag) }));
    chip.append(remove);
    chips.append(chip);
  }
  const tagInput = el('input');
  tagInput.maxLength = 40;
  tagInput.setAttribute('aria-label', t('addTag'));
  tagInput.placeholder = t('addTag');
  tagInput.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || !tagInput.value.trim()) return;
    event.preventDefault();
    changeTicket('patch', { tags: [...ticket.tags, tagInput.value.trim()] });
  });
  tags.append(chips, tagInput);
  dom.details.append(tags);

  if (open) {
    const actions = el('div', 'actions');
    const resolve = el('button', 'button button-primary', t('resolve'));
    resolve.type = 'button';
    resolve.addEventListener('click', () => changeTicket('resolve'));
    const handBack = el('button', 'button', t('handBack'));
    handBack.type = 'button';
    handBack.addEventListener('click', () => changeTicket('hand-back'));
    actions.append(resolve, handBack);
    dom.details.append(actions);
  }
}

$('show-details').addEventListener('click', () => {
  document.body.dataset.view = 'details';
});
$('back-to-conversation').addEventListener('click', () => {
  document.body.dataset.view = 'conversation';
});
$('back-to-queue').addEventListener('click', () => {
  document.body.dataset.view = 'queue';
});

async function loadAgents() {
  try {
    state.agents = (await api('GET', '/api/agent/agents')).agents;
  } catch {
    state.agents = [];
  }
}

// --- composer: replies, notes, quick replies -------------------------------------------------------------------

function composerMode() {
  return dom.composer.querySelector('input[name="mode"]:checked')?.value === 'note' ? 'note' : 'reply';
}

function renderComposerMode() {
  const note = composerMode() === 'note';
  dom.composer.classList.toggle('mode-note', note);
  dom.replyLabel.textContent = note ? t('noteLabel') : t('composerLabel');
  dom.replyText.placeholder = note ? t('notePlaceholder') : t('composerPlaceholder');
  dom.replyText.maxLength = state.settings.maxMessageChars;
  dom.send.textContent = note ? t('addNote') : t('send');
}

for (const radio of dom.composer.querySelectorAll('input[name="mode"]')) radio.addEventListener('change', renderComposerMode);

async function send(text) {
  const id = state.selectedId;
  const note = composerMode() === 'note';
  dom.composerError.replaceChildren();
  dom.send.disabled = true;
  try {
    const { message } = await api('POST', `/api/agent/conversations/${encodeURIComponent(id)}/${note ? 'notes' : 'messages'}`, { text });
    dom.replyText.value = '';
    if (state.selectedId === id) addEntry(message);
    refreshConversationSoon();
    refreshQueueSoon();
  } catch (error) {
    dom.composerError.textContent = errorText(error);
    // Someone else has it: taking it over is one click, and everyone sees it happened.
    if (error instanceof ApiError && error.code === 'CONVERSATION_ASSIGNED') {
      const take = el('button', 'link-button', t('takeOver'));
      take.type = 'button';
      take.addEventListener('click', async () => {
        await changeTicket('assign', {});
        await send(text);
      });
      dom.composerError.append(' ', take);
    }
  } finally {
    dom.send.disabled = false;
    dom.replyText.focus();
  }
}

dom.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  const text = dom.replyText.value;
  if (!text.trim() || !state.selectedId) return;
  void send(text);
});

let lastTypingSent = 0;
dom.replyText.addEventListener('input', () => {
  updateSuggestions();
  if (composerMode() !== 'reply' || !state.selectedId || state.conversation?.ticket?.status !== 'open') return;
  const now = Date.now();
  if (now - lastTypingSent < 3000) return;
  lastTypingSent = now;
  api('POST', `/api/agent/conversations/${encodeURIComponent(state.selectedId)}/typing`).catch(() => undefined);
});

/** The `/word` being typed at the caret, if any. */
function shortcutAtCaret() {
  const before = dom.replyText.value.slice(0, dom.replyText.selectionStart);
  const match = /(^|\s)\/([\w-]*)$/.exec(before);
  return match ? { query: match[2].toLowerCase(), start: before.length - match[2].length - 1 } : null;
}

let suggestionIndex = 0;
function matchingReplies() {
  const at = shortcutAtCaret();
  if (!at) return [];
  return state.quickReplies.filter((reply) => reply.shortcut.startsWith(at.query)).slice(0, 8);
}

function updateSuggestions() {
  const matches = matchingReplies();
  dom.suggestions.replaceChildren();
  dom.suggestions.hidden = matches.length === 0;
  dom.replyText.setAttribute('aria-expanded', String(matches.length > 0));
  if (matches.length === 0) {
    dom.replyText.removeAttribute('aria-activedescendant');
    return;
  }
  suggestionIndex = Math.min(suggestionIndex, matches.length - 1);
  matches.forEach((reply, index) => {
    const option = el('li', 'suggestion');
    option.id = `suggestion-${index}`;
    option.setAttribute('role', 'option');
    option.setAttribute('aria-selected', String(index === suggestionIndex));
    option.append(el('span', 'suggestion-shortcut', `/${reply.shortcut}`), el('span', 'suggestion-text', reply.text.slice(0, 80)));
    option.addEventListener('mousedown', (event) => {
      event.preventDefault();
      insertQuickReply(reply);
    });
    dom.suggestions.append(option);
  });
  dom.replyText.setAttribute('aria-activedescendant', `suggestion-${suggestionIndex}`);
}

/** A quick reply's text with its variables filled in; unknown variables stay as written. */
export function expandVariables(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (values[name] !== undefined ? values[name] : whole));
}

function insertQuickReply(reply) {
  const at = shortcutAtCaret();
  if (!at) return;
  const ticket = state.conversation?.ticket;
  const text = expandVariables(reply.text, {
    agent: state.me.displayName,
    ticket: ticket?.number ?? '',
    email: ticket?.contactEmail ?? '',
    phone: ticket?.contactPhone ?? '',
  });
  const value = dom.replyText.value;
  const caret = dom.replyText.selectionStart;
  dom.replyText.value = value.slice(0, at.start) + text + value.slice(caret);
  const position = at.start + text.length;
  dom.replyText.setSelectionRange(position, position);
  suggestionIndex = 0;
  updateSuggestions();
  dom.replyText.focus();
}

dom.replyText.addEventListener('keydown', (event) => {
  const matches = dom.suggestions.hidden ? [] : matchingReplies();
  if (matches.length > 0) {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      suggestionIndex = (suggestionIndex + (event.key === 'ArrowDown' ? 1 : matches.length - 1)) % matches.length;
      updateSuggestions();
      return;
    }
    if (event.key === 'Enter' || event.key === 'Tab') {
      event.preventDefault();
      insertQuickReply(matches[suggestionIndex] ?? matches[0]);
      return;
    }
    if (event.key === 'Escape') {
      dom.suggestions.hidden = true;
      return;
    }
  }
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    dom.composer.requestSubmit();
  }
});

async function loadQuickReplies() {
  try {
    state.quickReplies = (await api('GET', '/api/agent/quick-replies')).quickReplies;
  } catch {
    state.quickReplies = [];
  }
  renderQuickReplyList();
}

function renderQuickReplyList() {
  const list = $('quick-reply-list');
  list.replaceChildren();
  if (state.quickReplies.length === 0) list.append(el('li', 'hint', t('noQuickReplies')));
  for (const reply of state.quickReplies) {
    const item = el('li', 'quick-reply');
    const body = el('div', 'quick-reply-body');
    body.append(el('strong', '', `/${reply.shortcut}`), document.createTextNode(`\n${reply.text}`));
    const edit = el('button', 'button', t('edit'));
    edit.type = 'button';
    edit.addEventListener('click', () => {
      $('quick-reply-id').value = reply.id;
      $('quick-reply-shortcut').value = reply.shortcut;
      $('quick-reply-text').value = reply.text;
      $('quick-reply-shortcut').focus();
    });
    const remove = el('button', 'button button-danger', t('delete'));
    remove.type = 'button';
    remove.addEventListener('click', async () => {
      await api('DELETE', `/api/agent/quick-replies/${encodeURIComponent(reply.id)}`).catch(() => undefined);
      await loadQuickReplies();
    });
    item.append(body, edit, remove);
    list.append(item);
  }
}

dom.quickRepliesButton.addEventListener('click', () => {
  renderQuickReplyList();
  dom.quickRepliesDialog.showModal();
});
$('quick-replies-close').addEventListener('click', () => dom.quickRepliesDialog.close());
$('quick-reply-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const id = $('quick-reply-id').value;
  const body = { shortcut: $('quick-reply-shortcut').value.trim(), text: $('quick-reply-text').value };
  $('quick-reply-error').textContent = '';
  try {
    if (id) await api('PUT', `/api/agent/quick-replies/${encodeURIComponent(id)}`, body);
    else await api('POST', '/api/agent/quick-replies', body);
    $('quick-reply-id').value = '';
    $('quick-reply-shortcut').value = '';
    $('quick-reply-text').value = '';
    await loadQuickReplies();
  } catch (error) {
    $('quick-reply-error').textContent = errorText(error);
  }
});

// --- tokens shown once (admin) -----------------------------------------------------------------------------------

function showToken(name, token) {
  $('token-title').textContent = t('tokenOnce', { name });
  $('token-value').textContent = token;
  $('token-copy').textContent = t('copy');
  $('token-dialog').showModal();
}
$('token-copy').addEventListener('click', async () => {
  await navigator.clipboard?.writeText($('token-value').textContent).catch(() => undefined);
  $('token-copy').textContent = t('copied');
});
$('token-close').addEventListener('click', () => {
  $('token-value').textContent = '';
  $('token-dialog').close();
});

// --- live updates --------------------------------------------------------------------------------------------------

let typingTimer = null;

function notify(event) {
  if (!dom.notify.checked || !document.hidden || !('Notification' in window) || Notification.permission !== 'granted') return;
  if (event.type !== 'ticket-opened' && !(event.type === 'message-added' && event.data.toPeople)) return;
  new Notification(t('title'), { body: event.message?.text ?? t(`reason_${event.data.reason}`), tag: event.conversationId });
}

dom.notify.addEventListener('change', async () => {
  if (dom.notify.checked && Notification.permission !== 'granted') dom.notify.checked = (await Notification.requestPermission()) === 'granted';
  storage.set('kefu-agent-notify', dom.notify.checked ? '1' : '0');
});

function onLiveEvent(name, data) {
  if (name === 'event') {
    refreshQueueSoon();
    notify(data);
    if (data.conversationId !== state.selectedId) return;
    if (data.type === 'message-added' && data.message) {
      addEntry(data.message);
      if (data.message.role === 'user') hideTyping();
    } else refreshConversationSoon();
  } else if (name === 'typing') {
    if (data.conversationId !== state.selectedId || data.who !== 'customer') return;
    dom.typing.textContent = t('customerTyping');
    dom.typing.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 5000);
  } else if (name === 'presence') {
    if (data.conversationId && data.conversationId === state.selectedId) {
      if (data.state === 'left') state.viewers.delete(data.agentId);
      else state.viewers.set(data.agentId, data.name);
      renderViewers();
    } else if (!data.conversationId && data.state === 'left') {
      state.viewers.delete(data.agentId);
      renderViewers();
    }
  } else if (name === 'resync') {
    void loadQueue();
    refreshConversationSoon();
  }
}

function hideTyping() {
  clearTimeout(typingTimer);
  dom.typing.hidden = true;
}

function startLive() {
  state.live?.close();
  state.live = openLiveStream({
    url: '/api/agent/events',
    lastEventId: state.lastEventSeq,
    heartbeatMs: state.settings.heartbeatMs,
    onEvent: onLiveEvent,
    onStatus: (status) => {
      dom.connection.hidden = status !== 'reconnecting';
      dom.connection.textContent = status === 'reconnecting' ? t('reconnecting') : '';
      if (status === 'denied') showSignIn();
    },
  });
}

// --- start -----------------------------------------------------------------------------------------------------------

applyLanguage();
api('GET', '/api/session')
  .then(signedIn)
  .catch(showSignIn);
