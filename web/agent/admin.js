// The admins' part of the workspace: accounts (add, new token, disable, enable), the settings in force, and the
// webhook delivery log with a retry button. Text reaches the page as text nodes only.
import { api, ApiError } from '/agent/api.js';

let deliveryFilter = '';

function table(el, headers, rows) {
  const wrap = el('div', 'table-wrap');
  const grid = el('table');
  const head = el('thead');
  const headRow = el('tr');
  for (const header of headers) headRow.append(el('th', '', header));
  head.append(headRow);
  const body = el('tbody');
  for (const row of rows) body.append(row);
  grid.append(head, body);
  wrap.append(grid);
  return wrap;
}

function cell(el, content) {
  const td = el('td');
  if (content instanceof Node) td.append(content);
  else td.textContent = content ?? '';
  return td;
}

/**
 * Draws the admin sections into `root`; `t`, `el`, `clock` come from the workspace, `showToken(name, token)` shows a
 * new token once.
 */
export async function renderAdmin({ root, t, el, clock, showToken }) {
  const redraw = () => renderAdmin({ root, t, el, clock, showToken });
  const problem = el('p', 'error');
  problem.setAttribute('role', 'alert');
  const act = async (work) => {
    problem.textContent = '';
    try {
      await work();
      await redraw();
    } catch (error) {
      problem.textContent = error instanceof ApiError ? `${error.message}. ${error.hint}` : t('errorGeneric');
    }
  };

  let users = [];
  let settings = null;
  let webhooks = { urls: [], deliveries: [] };
  try {
    [{ users }, settings, webhooks] = await Promise.all([
      api('GET', '/api/admin/users'),
      api('GET', '/api/admin/settings'),
      api('GET', `/api/admin/webhooks${deliveryFilter ? `?status=${deliveryFilter}` : ''}`),
    ]);
  } catch (error) {
    problem.textContent = error instanceof ApiError ? error.message : t('errorGeneric');
  }

  // Accounts
  const accounts = el('section');
  accounts.setAttribute('aria-labelledby', 'admin-users');
  const heading = el('h2', '', t('users'));
  heading.id = 'admin-users';
  const rows = users.map((user) => {
    const row = el('tr');
    const actions = el('div', 'field-row');
    const reset = el('button', 'button', t('resetToken'));
    reset.type = 'button';
    reset.addEventListener('click', () => act(async () => {
      const { token } = await api('POST', `/api/admin/users/${encodeURIComponent(user.name)}/reset`);
      showToken(user.name, token);
    }));
    const toggle = el('button', user.disabled ? 'button' : 'button button-danger', user.disabled ? t('enable') : t('disable'));
    toggle.type = 'button';
    toggle.addEventListener('click', () => act(() => api('POST', `/api/admin/users/${encodeURIComponent(user.name)}/${user.disabled ? 'enable' : 'disable'}`)));
    actions.append(reset, toggle);
    row.append(
      cell(el, user.name),
      cell(el, user.displayName),
      cell(el, t(`role_${user.role}`)),
      cell(el, user.disabled ? t('disabled') : t('active')),
      cell(el, user.lastSeenAt ? clock(user.lastSeenAt) : t('never')),
      cell(el, actions),
    );
    return row;
  });
  const form = el('form', 'admin-form');
  const field = (label, input) => {
    const wrapper = el('label');
    wrapper.append(el('span', '', label), input);
    return wrapper;
  };
  const name = el('input');
  name.required = true;
  name.maxLength = 40;
  name.autocomplete = 'off';
  const display = el('input');
  display.maxLength = 60;
  const role = el('select');
  for (const value of ['agent', 'owner', 'admin']) {
    const option = el('option', '', t(`role_${value}`));
    option.value = value;
    role.append(option);
  }
  const add = el('button', 'button button-primary', t('addUser'));
  add.type = 'submit';
  form.append(field(t('name'), name), field(t('displayName'), display), field(t('role'), role), add);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(async () => {
      const body = { name: name.value.trim(), role: role.value };
      if (display.value.trim()) body.displayName = display.value.trim();
      const created = await api('POST', '/api/admin/users', body);
      showToken(created.user.name, created.token);
    });
  });
  accounts.append(heading, table(el, [t('name'), t('displayName'), t('role'), t('status'), t('lastSeen'), ''], rows), form);

  // Settings in force
  const settingsSection = el('section');
  settingsSection.append(el('h2', '', t('settings')));
  if (settings) {
    const facts = el('dl', 'facts');
    const fact = (term, value) => facts.append(el('dt', '', term), el('dd', '', value));
    fact(t('businessHours'), settings.businessHours || t('alwaysOpen'));
    fact(t('timeZone'), settings.timeZone);
    fact(t('openNow'), settings.openNow ? t('yes') : `${t('no')}${settings.nextOpening ? ` (${clock(settings.nextOpening)})` : ''}`);
    fact(t('firstResponseTarget'), t('minutes', { n: settings.firstResponseTargetMinutes }));
    fact(t('handoverAfterRefusals'), String(settings.handoverAfterRefusals));
    fact(t('webhookUrls'), settings.webhookUrls.join(', ') || '—');
    fact(t('liveStreams'), String(settings.liveStreams));
    settingsSection.append(facts);
  }

  // Webhook deliveries
  const hooks = el('section');
  hooks.append(el('h2', '', t('webhooks')));
  if (webhooks.urls.length === 0) hooks.append(el('p', 'hint', t('noWebhooks')));
  const filter = el('select');
  filter.setAttribute('aria-label', t('status'));
  for (const value of ['', 'pending', 'delivered', 'failed']) {
    const option = el('option', '', value ? t(value) : t('all'));
    option.value = value;
    option.selected = value === deliveryFilter;
    filter.append(option);
  }
  filter.addEventListener('change', () => {
    deliveryFilter = filter.value;
    void redraw();
  });
  hooks.append(filter);
  if (webhooks.deliveries.length === 0) hooks.append(el('p', 'hint', t('noDeliveries')));
  else {
    const rows = webhooks.deliveries.map((delivery) => {
      const row = el('tr');
      const result = [delivery.lastStatusCode ? `HTTP ${delivery.lastStatusCode}` : '', delivery.lastError ?? '', delivery.lastDurationMs !== undefined ? `${Math.round(delivery.lastDurationMs)} ms` : ''].filter(Boolean).join(' · ');
      const actions = el('div');
      if (delivery.status === 'failed') {
        const retry = el('button', 'button', t('retry'));
        retry.type = 'button';
        retry.addEventListener('click', () => act(() => api('POST', `/api/admin/webhooks/deliveries/${encodeURIComponent(delivery.id)}/retry`)));
        actions.append(retry);
      }
      row.append(
        cell(el, clock(delivery.createdAt)),
        cell(el, delivery.eventType),
        cell(el, delivery.url),
        cell(el, el('span', `status-${delivery.status}`, t(delivery.status))),
        cell(el, String(delivery.attempts)),
        cell(el, result),
        cell(el, actions),
      );
      return row;
    });
    hooks.append(table(el, [t('time'), t('event'), t('receiver'), t('status'), t('attempts'), t('result'), ''], rows));
  }

  root.replaceChildren(problem, accounts, settingsSection, hooks);
}
