// Embeddable kefu chat: <script src="https://your-kefu-host/widget.js" defer></script>
// adds a floating chat bubble that opens the chat in an iframe. Optional: data-lang="zh" | "en",
// data-position="left". Nothing else is touched on the host page.
// The chat is loaded (hidden) once the host page has loaded, so a conversation handed to a person keeps receiving
// replies while the bubble is closed: the bubble then shows how many are unread.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute('data-lang') || '';
  var side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';
  var zh = (lang || navigator.language || '').toLowerCase().indexOf('zh') === 0;
  var openLabel = zh ? '打开在线客服' : 'Open customer service chat';

  function style(node, rules) {
    for (var key in rules) node.style.setProperty(key, rules[key]);
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', openLabel);
  button.setAttribute('aria-expanded', 'false');
  var icon = document.createElement('span');
  icon.setAttribute('aria-hidden', 'true');
  icon.textContent = '💬';
  button.appendChild(icon);
  style(button, {
    position: 'fixed', bottom: '20px', [side]: '20px', width: '56px', height: '56px', 'border-radius': '50%',
    border: 'none', background: '#1f6feb', color: '#fff', 'font-size': '26px', cursor: 'pointer',
    'box-shadow': '0 4px 14px rgba(0,0,0,.25)', 'z-index': '2147483000',
  });
  // Unread replies while closed: a red count on the bubble (the count is text, and part of the button's name).
  var badge = document.createElement('span');
  badge.className = 'kefu-unread';
  style(badge, {
    position: 'absolute', top: '-4px', right: '-4px', 'min-width': '22px', height: '22px', padding: '0 6px',
    'border-radius': '11px', background: '#d1242f', color: '#fff', 'font-size': '13px', 'line-height': '22px',
    'font-weight': '700', 'font-family': 'system-ui, sans-serif', display: 'none', 'box-sizing': 'border-box',
  });
  button.appendChild(badge);

  // The conversation (id and token) is kept in this site's own storage: browsers may refuse the chat's frame any
  // storage of its own, and then a reload would lose the conversation.
  var storageKey = 'kefu-widget:' + origin;
  function kept() {
    try { return JSON.parse(localStorage.getItem(storageKey) || 'null'); } catch { return null; }
  }
  function keep(conversation) {
    try {
      if (conversation && typeof conversation.id === 'string' && typeof conversation.token === 'string') localStorage.setItem(storageKey, JSON.stringify({ id: conversation.id, token: conversation.token }));
      else localStorage.removeItem(storageKey);
    } catch { /* storage refused: the conversation lasts as long as the page */ }
  }

  var frame = null;
  function ensureFrame() {
    if (frame) return frame;
    frame = document.createElement('iframe');
    frame.title = zh ? '在线客服' : 'Customer service chat';
    frame.src = origin + '/?embed=1' + (lang ? '&lang=' + encodeURIComponent(lang) : '');
    style(frame, {
      position: 'fixed', bottom: '88px', [side]: '20px', width: 'min(380px, calc(100vw - 40px))',
      height: 'min(600px, calc(100vh - 110px))', border: '1px solid #d0d7de', 'border-radius': '14px',
      'box-shadow': '0 8px 30px rgba(0,0,0,.2)', background: '#fff', 'z-index': '2147483000', display: 'none',
    });
    frame.addEventListener('load', function () {
      frame.contentWindow.postMessage({ type: 'kefu:hello', open: isOpen(), conversation: kept() }, origin);
    });
    document.body.appendChild(frame);
    return frame;
  }
  function isOpen() {
    return button.getAttribute('aria-expanded') === 'true';
  }
  function tellFrame() {
    if (frame && frame.contentWindow) frame.contentWindow.postMessage({ type: 'kefu:visibility', open: isOpen() }, origin);
  }
  function showUnread(count) {
    badge.textContent = count > 0 ? String(count) : '';
    badge.style.display = count > 0 && !isOpen() ? 'block' : 'none';
    button.setAttribute('aria-label', count > 0 && !isOpen() ? openLabel + (zh ? '（' + count + ' 条未读）' : ' (' + count + ' unread)') : openLabel);
  }
  function open() {
    ensureFrame().style.display = 'block';
    button.setAttribute('aria-expanded', 'true');
    icon.textContent = '✕';
    showUnread(0);
    tellFrame();
    frame.focus();
  }
  function close() {
    if (frame) frame.style.display = 'none';
    button.setAttribute('aria-expanded', 'false');
    icon.textContent = '💬';
    tellFrame();
  }
  button.addEventListener('click', function () {
    if (isOpen()) close(); else open();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && isOpen()) { close(); button.focus(); }
  });
  // Only the chat's own frame may set the count.
  window.addEventListener('message', function (event) {
    if (event.origin !== origin || !frame || event.source !== frame.contentWindow) return;
    if (event.data && event.data.type === 'kefu:unread' && typeof event.data.count === 'number') showUnread(event.data.count);
    if (event.data && event.data.type === 'kefu:conversation') keep(event.data.conversation);
  });

  function start() {
    document.body.appendChild(button);
    // Load the chat once the host page is done, so it never competes with the page's own loading.
    if (document.readyState === 'complete') ensureFrame();
    else window.addEventListener('load', ensureFrame);
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
