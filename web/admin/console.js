// The owner console: documents (upload by drag and drop into the ingest folder, visibility, remove), knowledge gaps
// (answer, add wordings to an FAQ entry, dismiss), the KPI report with charts, gradual releases and the check before
// publishing. Plain JavaScript modules, no build step, no CDN. Signs in like the agent workspace (session cookie + CSRF
// token, /agent/api.js). Every piece of customer, document or answer text reaches the page as a text node (never
// innerHTML); charts are SVG elements built with DOM APIs (/admin/charts.js).
import { api, ApiError, setCsrfToken, whenSignedOut } from '/agent/api.js';
import { strings } from '/admin/strings.js';
import { barChart, horizontalBars, lineChart } from '/admin/charts.js';
import { initialLanguage, storage } from '/preferences.js';

const TABS = ['documents', 'gaps', 'kpis', 'releases', 'checks'];

let language = initialLanguage(strings, 'kefu-admin-language');

const state = {
  me: null,
  csrfToken: null,
  tab: TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : TABS.includes(storage.get('kefu-admin-tab')) ? storage.get('kefu-admin-tab') : 'documents',
  documents: null,
  gaps: null,
  faq: null,
  report: null,
  releases: null,
  check: null,
  pollTimer: null,
};

const $ = (id) => document.getElementById(id);

function t(key, values = {}) {
  let text = strings[language][key] ?? strings.en[key] ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

/** An element with a class and children; strings become text nodes, never markup. */
function el(tag, options = {}, ...children) {
  const node = document.createElement(tag);
  if (options.className) node.className = options.className;
  for (const [name, value] of Object.entries(options.attributes ?? {})) if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value === true ? '' : String(value));
  if (options.text !== undefined) node.textContent = String(options.text);
  for (const child of children.flat()) if (child !== null && child !== undefined && child !== false) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
}

function button(text, onClick, className = 'button') {
  const node = el('button', { className, text, attributes: { type: 'button' } });
  node.addEventListener('click', onClick);
  return node;
}

function errorText(error) {
  if (error instanceof ApiError) return error.hint ? `${error.message}. ${error.hint}` : error.message;
  return t('errorGeneric');
}

function notify(text, isError = false) {
  const notice = $('notice');
  notice.textContent = text;
  notice.classList.toggle('is-error', isError);
}

const dateTime = (iso) => (iso ? new Date(iso).toLocaleString(language === 'zh' ? 'zh-CN' : 'en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');
const percent = (rate) => (rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`);
const seconds = (ms) => (ms === null || ms === undefined ? '—' : ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`);
const bytes = (size) => (size < 1024 ? `${size} B` : size < 1048576 ? `${(size / 1024).toFixed(0)} KB` : `${(size / 1048576).toFixed(1)} MB`);

// --- sign-in ---------------------------------------------------------------------------------------------------------

function showSignIn() {
  stopPolling();
  state.me = null;
  $('console').hidden = true;
  $('not-owner').hidden = true;
  $('sign-out').hidden = true;
  $('workspace-link').hidden = true;
  $('who').textContent = '';
  $('sign-in-view').hidden = false;
  $('sign-in-name').focus();
}

whenSignedOut(showSignIn);

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const session = await api('POST', '/api/session', { name: $('sign-in-name').value.trim(), token: $('sign-in-token').value.trim() });
    $('sign-in-token').value = '';
    signedIn(session);
  } catch (error) {
    $('sign-in-error').textContent = errorText(error);
  }
});

$('sign-out').addEventListener('click', async () => {
  await api('DELETE', '/api/session').catch(() => undefined);
  setCsrfToken(null);
  showSignIn();
});

function signedIn(session) {
  state.me = session.user;
  state.csrfToken = session.csrfToken;
  setCsrfToken(session.csrfToken);
  $('sign-in-view').hidden = true;
  $('sign-out').hidden = false;
  const owner = session.capabilities.includes('knowledge');
  $('not-owner').hidden = owner;
  $('console').hidden = !owner;
  $('workspace-link').hidden = !session.capabilities.includes('conversations');
  applyLanguage();
  if (owner) selectTab(state.tab);
}

// --- language and tabs -------------------------------------------------------------------------------------------------

function applyLanguage() {
  document.documentElement.lang = language === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('title')} · kefu`;
  for (const node of document.querySelectorAll('[data-text]')) node.textContent = t(node.dataset.text);
  $('language-switch').setAttribute('aria-label', t('switchLanguageLabel'));
  $('tabs').setAttribute('aria-label', t('sections'));
  fillSelect($('gaps-days'), [7, 30, 90].map((days) => [String(days), t('lastDays', { n: days })]), storage.get('kefu-admin-gap-days') || '30');
  fillSelect($('report-since'), ['7d', '30d', '90d', '365d'].map((since) => [since, t('lastDays', { n: since.slice(0, -1) })]), storage.get('kefu-admin-since') || '30d');
  if (state.me) {
    $('who').textContent = t('signedInAs', { name: state.me.displayName, role: t(`role_${state.me.role}`) });
    renderTabs();
    renderAll();
  }
}

function fillSelect(select, options, fallback) {
  const current = select.value || fallback;
  select.replaceChildren(...options.map(([value, label]) => el('option', { text: label, attributes: { value } })));
  select.value = options.some(([value]) => value === current) ? current : options[0]?.[0] ?? '';
}

$('language-switch').addEventListener('click', () => {
  language = language === 'zh' ? 'en' : 'zh';
  storage.set('kefu-admin-language', language);
  applyLanguage();
});

function renderTabs() {
  $('tabs').replaceChildren(
    ...TABS.map((tab) => {
      const node = button(t(`tab_${tab}`), () => selectTab(tab), 'tab');
      node.id = `tab-${tab}`;
      node.setAttribute('role', 'tab');
      node.setAttribute('aria-selected', String(tab === state.tab));
      node.setAttribute('aria-controls', `panel-${tab}`);
      return node;
    }),
  );
}

function selectTab(tab) {
  state.tab = tab;
  storage.set('kefu-admin-tab', tab);
  if (location.hash !== `#${tab}`) history.replaceState(null, '', `#${tab}`);
  for (const name of TABS) $(`panel-${name}`).hidden = name !== tab;
  renderTabs();
  notify('');
  stopPolling();
  const loaders = { documents: loadDocuments, gaps: loadGaps, kpis: loadReport, releases: loadReleases, checks: renderCheck };
  loaders[tab]();
  // Documents change as the sync works through the folder: follow them while the tab is open.
  if (tab === 'documents') state.pollTimer = setInterval(() => { if (!document.hidden) loadDocuments(); }, 5000);
}

function stopPolling() {
  clearInterval(state.pollTimer);
  state.pollTimer = null;
}

function renderAll() {
  if (state.documents) renderDocuments();
  if (state.gaps) renderGaps();
  if (state.report) renderReport();
  if (state.releases) renderReleases();
  renderCheck();
}

// --- documents ---------------------------------------------------------------------------------------------------------

async function loadDocuments() {
  try {
    state.documents = await api('GET', '/api/admin/documents');
    renderDocuments();
  } catch (error) {
    notify(errorText(error), true);
  }
}

function renderDocuments() {
  const { documents, release, maxUploadBytes } = state.documents;
  $('upload-hint').textContent = release ? t('uploadStaged', { share: release.share, max: bytes(maxUploadBytes) }) : t('uploadHint', { max: bytes(maxUploadBytes) });
  const failed = documents.filter((document) => document.status === 'failed').length;
  $('documents-summary').textContent = t('documentsSummary', { n: documents.length, failed });
  const head = el('thead', {}, el('tr', {}, ...[['document'], ['status'], ['pages', 'number hide-narrow'], ['chunks', 'number'], ['lastIndexed', 'hide-narrow'], ['visibility'], ['']].map(([key, className]) => el('th', { className, text: key ? t(key) : '' }))));
  const rows = documents.map((document) => {
    const name = el('td', {}, el('div', { className: 'doc-path', text: document.path }), document.title && document.title !== document.path ? el('div', { className: 'hint', text: document.title }) : null);
    if (document.status !== 'indexed' && document.reason) {
      name.append(el('p', { className: 'failure', text: document.reason }));
      if (document.hint) name.append(el('p', { className: 'failure-hint', text: `${t('whatToDo')}: ${document.hint}` }));
    }
    const status = el('td', {}, el('span', { className: `badge badge-${document.status}`, text: t(`status_${document.status}`) }), document.staged ? el('span', { className: 'badge badge-staged', text: t('staged') }) : null);
    const visibility = el('select', { attributes: { 'aria-label': t('visibilityOf', { path: document.path }) } }, el('option', { text: t('visibility_customers'), attributes: { value: 'customers' } }), el('option', { text: t('visibility_internal'), attributes: { value: 'internal' } }));
    visibility.value = document.visibility;
    visibility.disabled = document.staged;
    visibility.addEventListener('change', async () => {
      try {
        await api('PUT', '/api/admin/documents/visibility', { path: document.path, visibility: visibility.value });
        notify(t(visibility.value === 'internal' ? 'nowInternal' : 'nowCustomers', { path: document.path }));
        await loadDocuments();
      } catch (error) {
        notify(errorText(error), true);
        visibility.value = document.visibility;
      }
    });
    const remove = button(t('remove'), async () => {
      if (!confirm(t('confirmRemove', { path: document.path }))) return;
      try {
        await api('DELETE', `/api/admin/documents?path=${encodeURIComponent(document.path)}`);
        notify(t('removed', { path: document.path }));
        await loadDocuments();
      } catch (error) {
        notify(errorText(error), true);
      }
    }, 'button button-danger');
    remove.disabled = document.staged;
    return el(
      'tr',
      {},
      name,
      status,
      el('td', { className: 'number hide-narrow', text: document.pages || '—' }),
      el('td', { className: 'number', text: document.chunks }),
      el('td', { className: 'hide-narrow', text: dateTime(document.indexedAt) }),
      el('td', {}, document.visibility === 'internal' ? el('span', { className: 'badge badge-internal', text: t('visibility_internal') }) : null, visibility),
      el('td', {}, remove),
    );
  });
  $('documents-table').replaceChildren(head, el('tbody', {}, rows.length > 0 ? rows : el('tr', {}, el('td', { text: t('noDocuments'), attributes: { colspan: 7 } }))));
}

/** Sends each file's bytes as they are (the route writes them into the ingest folder; the sync indexes them). */
async function upload(files) {
  for (const file of files) {
    notify(t('uploading', { name: file.name }));
    try {
      const response = await fetch(`/api/admin/documents?name=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', accept: 'application/json', ...(state.csrfToken ? { 'x-csrf-token': state.csrfToken } : {}) },
        credentials: 'same-origin',
        body: file,
      });
      const data = await response.json().catch(() => null);
      if (!response.ok) throw new ApiError(response.status, data?.error);
      notify(t(data.staged ? 'uploadedStaged' : 'uploaded', { name: file.name }));
    } catch (error) {
      notify(`${file.name}: ${errorText(error)}`, true);
      return;
    }
  }
  await loadDocuments();
}

const dropZone = $('drop-zone');
for (const type of ['dragenter', 'dragover']) {
  dropZone.addEventListener(type, (event) => {
    event.preventDefault();
    dropZone.classList.add('is-over');
  });
}
for (const type of ['dragleave', 'drop']) dropZone.addEventListener(type, () => dropZone.classList.remove('is-over'));
dropZone.addEventListener('drop', (event) => {
  event.preventDefault();
  const files = [...(event.dataTransfer?.files ?? [])];
  if (files.length > 0) void upload(files);
});
$('file-input').addEventListener('change', () => {
  const files = [...$('file-input').files];
  $('file-input').value = '';
  if (files.length > 0) void upload(files);
});
$('documents-refresh').addEventListener('click', loadDocuments);

// --- knowledge gaps -------------------------------------------------------------------------------------------------

async function loadGaps(fresh = false) {
  const days = $('gaps-days').value || '30';
  try {
    const [gaps, faq] = await Promise.all([api('GET', `/api/admin/gaps?days=${days}${fresh ? '&fresh=true' : ''}`), api('GET', '/api/admin/faq')]);
    state.gaps = gaps;
    state.faq = faq.entries;
    renderGaps();
  } catch (error) {
    notify(errorText(error), true);
  }
}

function renderGaps() {
  const { groups, questions } = state.gaps;
  $('gaps-summary').textContent = t('gapsSummary', { groups: groups.length, questions });
  $('gap-list').replaceChildren(...(groups.length > 0 ? groups.map(renderGap) : [el('li', { className: 'hint', text: t('noGaps') })]));
}

function reasonsText(reasons) {
  return ['refused', 'lowConfidence', 'thumbsDown', 'handedOver'].filter((reason) => reasons[reason] > 0).map((reason) => `${t(`reason_${reason}`)} ${reasons[reason]}`).join(' · ');
}

function renderGap(group) {
  const item = el('li', { className: 'gap', attributes: { 'data-gap': group.id } });
  const wordings = el('ul', {}, ...group.wordings.map((wording) => el('li', { text: wording.count > 1 ? `${wording.text} (${wording.count})` : wording.text })));
  const said = group.answers.length > 0 ? group.answers.slice(0, 3).map((answer) => el('div', { className: 'kefu-said', text: `${answer.outcome ? `[${t(`outcome_${answer.outcome}`)}] ` : ''}${answer.text}` })) : [el('p', { className: 'hint', text: t('nothingSaid') })];
  const comments = group.comments.length > 0 ? [el('h4', { text: t('comments') }), el('ul', {}, ...group.comments.map((comment) => el('li', { text: comment })))] : [];
  const area = el('div');
  const actions = el(
    'div',
    { className: 'gap-actions' },
    button(t('answerIt'), () => area.replaceChildren(answerForm(group)), 'button button-primary'),
    button(t('addWordings'), () => area.replaceChildren(wordingsForm(group))),
    button(t('dismiss'), async () => {
      try {
        await api('POST', `/api/admin/gaps/${encodeURIComponent(group.id)}/dismiss`);
        notify(t('dismissed', { question: group.question }));
        await loadGaps(true);
      } catch (error) {
        notify(errorText(error), true);
      }
    }, 'button button-quiet'),
  );
  item.append(
    el('h3', { text: group.question }),
    el('p', { className: 'gap-meta', text: t('gapMeta', { count: group.count, first: dateTime(group.firstSeen), last: dateTime(group.lastSeen), languages: group.languages.join(', ') || '—' }) }),
    el('p', { className: 'gap-meta', text: reasonsText(group.reasons) }),
    el('div', { className: 'gap-columns' }, el('div', {}, el('h4', { text: t('wordings') }), wordings), el('div', {}, el('h4', { text: t('kefuSaid') }), ...said, ...comments)),
    actions,
    area,
  );
  return item;
}

function answerForm(group) {
  const form = el('form', { className: 'form card' });
  const question = el('input', { attributes: { maxlength: 500, required: true, id: `question-${group.id}` } });
  question.value = group.question;
  const answer = el('textarea', { attributes: { rows: 4, maxlength: 10000, id: `answer-${group.id}` } });
  const error = el('p', { className: 'error', attributes: { role: 'alert' } });
  const checkArea = el('div', { className: 'check-summary' });
  const check = button(t('checkFirst'), async () => {
    error.textContent = '';
    checkArea.replaceChildren(el('p', { className: 'hint', text: t('checking') }));
    try {
      const result = await api('POST', '/api/admin/checks', { question: question.value, answer: answer.value, wordings: group.wordings.map((wording) => wording.text).filter((text) => text !== question.value).slice(0, 50) });
      checkArea.replaceChildren(renderCheckResult(result));
    } catch (failure) {
      checkArea.replaceChildren(el('p', { className: 'hint', text: errorText(failure) }));
    }
  });
  form.append(
    el('label', { text: t('faqQuestion'), attributes: { for: question.id } }),
    question,
    el('label', { text: t('answerLabel'), attributes: { for: answer.id } }),
    answer,
    el('p', { className: 'hint', text: t('answerHint', { n: group.wordings.length }) }),
    error,
    el('div', { className: 'form-row' }, el('button', { className: 'button button-primary', text: t('publishAnswer'), attributes: { type: 'submit' } }), check),
    checkArea,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    error.textContent = '';
    try {
      const { change } = await api('POST', `/api/admin/gaps/${encodeURIComponent(group.id)}/answer`, { answer: answer.value, question: question.value.trim() || group.question });
      notify(t(change.status === 'staged' ? 'answerStaged' : 'answerWritten', { file: change.file }));
      await loadGaps(true);
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  });
  queueMicrotask(() => answer.focus());
  return form;
}

function wordingsForm(group) {
  const form = el('form', { className: 'form card' });
  const select = el('select', { attributes: { id: `faq-${group.id}`, required: true } });
  const entries = state.faq ?? [];
  select.append(...entries.map((entry, index) => el('option', { text: `${entry.question} — ${entry.file}`, attributes: { value: String(index) } })));
  const error = el('p', { className: 'error', attributes: { role: 'alert' } });
  form.append(
    el('label', { text: t('chooseEntry'), attributes: { for: select.id } }),
    entries.length > 0 ? select : el('p', { className: 'hint', text: t('noFaqEntries') }),
    error,
    el('button', { className: 'button button-primary', text: t('addWordings'), attributes: { type: 'submit', disabled: entries.length === 0 } }),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const entry = entries[Number(select.value)];
    if (!entry) return;
    try {
      const { change } = await api('POST', `/api/admin/gaps/${encodeURIComponent(group.id)}/wordings`, { file: entry.file, entryId: entry.id });
      notify(t('wordingsAdded', { file: change.file }));
      await loadGaps(true);
    } catch (failure) {
      error.textContent = errorText(failure);
    }
  });
  return form;
}

$('gaps-days').addEventListener('change', () => {
  storage.set('kefu-admin-gap-days', $('gaps-days').value);
  void loadGaps();
});
$('gaps-refresh').addEventListener('click', () => loadGaps(true));

// --- KPIs -----------------------------------------------------------------------------------------------------------

function reportQuery() {
  const since = $('report-since').value || '30d';
  const release = $('report-release').value;
  return `since=${encodeURIComponent(since)}${release ? `&release=${encodeURIComponent(release)}` : ''}`;
}

async function loadReport() {
  try {
    if (!state.releases) state.releases = await api('GET', '/api/admin/releases');
    fillReleaseSelect();
    const query = reportQuery();
    $('report-csv').setAttribute('href', `/api/admin/report?format=csv&${query}`);
    $('report-html').setAttribute('href', `/api/admin/report?format=html&${query}`);
    state.report = await api('GET', `/api/admin/report?${query}`);
    renderReport();
  } catch (error) {
    notify(errorText(error), true);
  }
}

function fillReleaseSelect() {
  const releases = state.releases?.releases ?? [];
  fillSelect($('report-release'), [['', t('noArms')], ...releases.map((release) => [release.id, `${release.id} · ${release.share}% · ${t(`release_${release.status}`)}`])], $('report-release').value || '');
}

function kpiCards(kpis) {
  const cards = [
    ['conversations', String(kpis.conversations), t('botConversations', { n: kpis.botConversations })],
    ['botResolution', percent(kpis.botResolution.resolved.rate), t('resolutionDetail', { confirmed: percent(kpis.botResolution.confirmed.rate), assumed: percent(kpis.botResolution.assumed.rate), reversed: kpis.botResolution.reversed, pending: kpis.pending })],
    ['firstContactResolution', percent(kpis.firstContactResolution.rate), `${kpis.firstContactResolution.count} / ${kpis.firstContactResolution.of}`],
    ['handoverRate', percent(kpis.handover.rate), `${kpis.handover.count} / ${kpis.handover.of}`],
    ['refusalRate', percent(kpis.refusal.rate), `${kpis.refusal.count} / ${kpis.refusal.of}`],
    ['botResponse', seconds(kpis.botResponse.meanMs), t('p95', { value: seconds(kpis.botResponse.p95Ms) })],
    ['agentFirstResponse', seconds(kpis.agentFirstResponse.meanMs), t('p95', { value: seconds(kpis.agentFirstResponse.p95Ms) })],
    ['agentResolution', seconds(kpis.agentResolution.meanMs), t('p95', { value: seconds(kpis.agentResolution.p95Ms) })],
    ['csat', percent(kpis.csat.thumbsUpShare.rate), t('csatDetail', { up: kpis.csat.thumbsUp, down: kpis.csat.thumbsDown, rating: kpis.csat.ratingMean === null ? '—' : kpis.csat.ratingMean.toFixed(2), ratings: kpis.csat.ratings })],
    ['accuracy', kpis.accuracy.eval ? percent(kpis.accuracy.eval.accuracy) : '—', kpis.accuracy.eval ? t('accuracyDetail', { dataset: kpis.accuracy.eval.dataset, thumbs: percent(kpis.accuracy.thumbs.rate) }) : t('accuracyThumbs', { thumbs: percent(kpis.accuracy.thumbs.rate) })],
    ['costSaved', `${kpis.costSaved.total.toFixed(2)} ${kpis.costSaved.currency}`, t('costDetail', { n: kpis.costSaved.automatedResolutions, each: kpis.costSaved.perConversation.toFixed(2) })],
  ];
  return cards.map(([key, value, detail]) => el('div', { className: 'kpi', attributes: { 'data-kpi': key } }, el('p', { className: 'kpi-label', text: t(`kpi_${key}`) }), el('p', { className: 'kpi-value', text: value }), el('p', { className: 'kpi-detail', text: detail })));
}

function chartBox(title, chart, legend) {
  return el('figure', { className: 'chart' }, el('h3', { text: title }), chart, legend ? el('p', { className: 'chart-legend', text: legend }) : null);
}

function renderReport() {
  const report = state.report;
  const { period, totals } = report;
  $('report-period').textContent = t('periodText', { since: dateTime(period.since), until: dateTime(period.until), zone: period.timeZone, hours: period.resolutionWindowHours });
  $('kpi-grid').replaceChildren(...kpiCards(totals));
  const days = report.byDay.map((row) => row.key.slice(5));
  const charts = [
    chartBox(t('chartConversations'), barChart({ labels: days, values: report.byDay.map((row) => row.conversations), title: t('chartConversations') })),
    chartBox(
      t('chartRates'),
      lineChart({
        labels: days,
        series: [
          { name: t('kpi_botResolution'), values: report.byDay.map((row) => row.botResolution.resolved.rate), colour: '#1a7f37' },
          { name: t('kpi_handoverRate'), values: report.byDay.map((row) => row.handover.rate), colour: '#9a6700' },
          { name: t('kpi_refusalRate'), values: report.byDay.map((row) => row.refusal.rate), colour: '#b42318' },
        ],
        title: t('chartRates'),
      }),
      t('ratesLegend'),
    ),
    chartBox(t('chartHandoverReasons'), horizontalBars({ items: Object.entries(totals.handover.byReason).map(([reason, rate]) => ({ label: t(`handover_${reason}`), value: rate.count })), title: t('chartHandoverReasons') })),
    chartBox(t('chartWeeks'), barChart({ labels: report.byWeek.map((row) => row.key), values: report.byWeek.map((row) => row.conversations), title: t('chartWeeks') })),
  ];
  if (report.byLanguage.length > 0) charts.push(chartBox(t('chartLanguages'), horizontalBars({ items: report.byLanguage.map((row) => ({ label: row.key, value: row.conversations })), title: t('chartLanguages') })));
  $('charts').replaceChildren(...charts);
  $('arms').replaceChildren(...(report.arms ? [renderArms(report.arms)] : []));
}

function renderArms(arms) {
  const rows = [
    ['conversations', (kpis) => String(kpis.conversations)],
    ['botResolution', (kpis) => percent(kpis.botResolution.resolved.rate)],
    ['firstContactResolution', (kpis) => percent(kpis.firstContactResolution.rate)],
    ['handoverRate', (kpis) => percent(kpis.handover.rate)],
    ['refusalRate', (kpis) => percent(kpis.refusal.rate)],
    ['botResponse', (kpis) => `${seconds(kpis.botResponse.meanMs)} / ${seconds(kpis.botResponse.p95Ms)}`],
    ['csat', (kpis) => percent(kpis.csat.thumbsUpShare.rate)],
    ['costSaved', (kpis) => `${kpis.costSaved.total.toFixed(2)} ${kpis.costSaved.currency}`],
  ];
  return el(
    'div',
    { className: 'card', attributes: { id: 'arms-table' } },
    el('h2', { text: t('armsTitle', { id: arms.releaseId }) }),
    el(
      'div',
      { className: 'table-scroll' },
      el(
        'table',
        { className: 'data' },
        el('thead', {}, el('tr', {}, el('th', { text: t('measure') }), el('th', { className: 'number', text: t('arm_control') }), el('th', { className: 'number', text: t('arm_candidate') }))),
        el('tbody', {}, ...rows.map(([key, format]) => el('tr', {}, el('td', { text: t(`kpi_${key}`) }), el('td', { className: 'number', text: format(arms.control) }), el('td', { className: 'number', text: format(arms.candidate) })))),
      ),
    ),
  );
}

$('report-since').addEventListener('change', () => {
  storage.set('kefu-admin-since', $('report-since').value);
  void loadReport();
});
$('report-release').addEventListener('change', () => loadReport());
$('report-refresh').addEventListener('click', () => loadReport());

// --- releases ---------------------------------------------------------------------------------------------------------

async function loadReleases() {
  try {
    state.releases = await api('GET', '/api/admin/releases');
    renderReleases();
  } catch (error) {
    notify(errorText(error), true);
  }
}

function settingsText(settings) {
  const entries = Object.entries(settings ?? {});
  return entries.length > 0 ? entries.map(([name, value]) => `${name}=${value}`).join(', ') : t('noSettings');
}

function releaseAction(action) {
  return async () => {
    if (!confirm(t(action === 'promote' ? 'confirmPromote' : 'confirmRollback'))) return;
    try {
      const result = await api('POST', `/api/admin/releases/current/${action}`);
      notify(action === 'promote' ? t('promoted', { n: result.applied }) : t('rolledBack', { n: result.reverted }));
      await loadReleases();
    } catch (error) {
      notify(errorText(error), true);
    }
  };
}

function renderReleases() {
  const { current, releases } = state.releases;
  $('release-start').hidden = Boolean(current);
  if (current) {
    const share = el('input', { attributes: { type: 'number', min: 1, max: 99, id: 'current-share', 'aria-label': t('share') } });
    share.value = String(current.share);
    const setShare = button(t('setShare'), async () => {
      try {
        await api('PATCH', '/api/admin/releases/current', { share: Number(share.value) });
        notify(t('shareSet', { share: share.value }));
        await loadReleases();
      } catch (error) {
        notify(errorText(error), true);
      }
    });
    $('release-current').replaceChildren(
      el(
        'div',
        { className: 'card', attributes: { id: 'running-release' } },
        el('h2', { text: t('runningRelease', { id: current.id }) }),
        el('p', { text: t('releaseFacts', { share: current.share, started: dateTime(current.startedAt), by: current.startedBy ?? '—' }) }),
        current.note ? el('p', { className: 'hint', text: current.note }) : null,
        el('p', { className: 'hint', text: `${t('releaseSettingsShort')}: ${settingsText(current.settings)}` }),
        el('div', { className: 'form-row' }, share, setShare),
        el('div', { className: 'gap-actions' }, button(t('promote'), releaseAction('promote'), 'button button-primary'), button(t('rollback'), releaseAction('rollback'), 'button button-danger'), button(t('compareArms'), () => {
          $('report-release').value = current.id;
          selectTab('kpis');
        })),
      ),
    );
  } else {
    $('release-current').replaceChildren(el('p', { className: 'hint', text: t('noRelease') }));
  }
  const earlier = releases.filter((release) => release.id !== current?.id);
  $('release-history').replaceChildren(
    ...(earlier.length > 0
      ? earlier.map((release) => el('li', { text: `${release.id} · ${release.share}% · ${t(`release_${release.status}`)} · ${dateTime(release.startedAt)} → ${dateTime(release.endedAt)}${release.note ? ` · ${release.note}` : ''}` }))
      : [el('li', { className: 'hint', text: t('noEarlierReleases') })]),
  );
}

$('release-start').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('release-error').textContent = '';
  const settings = {};
  for (const line of $('release-settings').value.split('\n').map((text) => text.trim()).filter(Boolean)) {
    const match = /^([A-Z_]+)\s*=\s*(.*)$/.exec(line);
    if (!match) {
      $('release-error').textContent = t('badSetting', { line });
      return;
    }
    settings[match[1]] = match[2];
  }
  try {
    const note = $('release-note').value.trim();
    await api('POST', '/api/admin/releases', { share: Number($('release-share').value), ...(note ? { note } : {}), ...(Object.keys(settings).length > 0 ? { settings } : {}) });
    notify(t('releaseStarted'));
    await loadReleases();
  } catch (error) {
    $('release-error').textContent = errorText(error);
  }
});

// --- checks -------------------------------------------------------------------------------------------------------------

function renderCheckResult(result) {
  const metricRows = result.metrics.map((metric) =>
    el('tr', {}, el('td', { text: metric.metric }), el('td', { className: 'number', text: metric.before?.toFixed(3) ?? '—' }), el('td', { className: 'number', text: metric.after?.toFixed(3) ?? '—' }), el('td', { className: 'number', text: `${metric.delta >= 0 ? '+' : ''}${metric.delta.toFixed(3)}${metric.improved === true ? ' ▲' : metric.improved === false ? ' ▼' : ''}` })),
  );
  const list = (title, items) => [el('h3', { text: `${title} (${items.length})` }), el('ul', { className: 'plain-list' }, ...items.slice(0, 20).map((item) => el('li', { text: `${item.question} — ${item.change}` })))];
  return el(
    'div',
    { className: 'card', attributes: { id: 'check-outcome' } },
    el('p', { text: t('checkDone', { dataset: result.dataset, n: result.questions, seconds: (result.milliseconds / 1000).toFixed(1) }) }),
    el('div', { className: 'table-scroll' }, el('table', { className: 'data' }, el('thead', {}, el('tr', {}, ...['measure', 'before', 'after', 'change'].map((key) => el('th', { text: t(key) })))), el('tbody', {}, ...metricRows))),
    ...list(t('improved'), result.improved),
    ...list(t('regressed'), result.regressed),
  );
}

function renderCheck() {
  $('check-result').replaceChildren(...(state.check ? [renderCheckResult(state.check)] : []));
}

$('check-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('check-error').textContent = '';
  $('check-result').replaceChildren(el('p', { className: 'hint', text: t('checking') }));
  try {
    state.check = await api('POST', '/api/admin/checks', { question: $('check-question').value, answer: $('check-answer').value });
    renderCheck();
  } catch (error) {
    $('check-result').replaceChildren();
    $('check-error').textContent = errorText(error);
  }
});

// --- start -------------------------------------------------------------------------------------------------------------

applyLanguage();
api('GET', '/api/session').then(signedIn).catch(showSignIn);
