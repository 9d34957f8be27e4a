// Embeddable kefu chat: <script src="https://your-kefu-host/widget.js" defer></script>
// adds a floating chat bubble that opens the chat in an iframe. Optional: data-lang="zh" | "en",
// data-position="left". Nothing else is touched on the host page.
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__kefuWidget) return;
  window.__kefuWidget = true;
  var origin = new URL(script.src, location.href).origin;
  var lang = script.getAttribute('data-lang') || '';
  var side = script.getAttribute('data-position') === 'left' ? 'left' : 'right';
  var zh = (lang || navigator.language || '').toLowerCase().indexOf('zh') === 0;

  function style(node, rules) {
    for (var key in rules) node.style.setProperty(key, rules[key]);
  }

  var button = document.createElement('button');
  button.type = 'button';
  button.setAttribute('aria-label', zh ? '打开在线客服' : 'Open customer service chat');
  button.setAttribute('aria-expanded', 'false');
  button.textContent = '💬';
  style(button, {
    position: 'fixed', bottom: '20px', [side]: '20px', width: '56px', height: '56px', 'border-radius': '50%',
    border: 'none', background: '#1f6feb', color: '#fff', 'font-size': '26px', cursor: 'pointer',
    'box-shadow': '0 4px 14px rgba(0,0,0,.25)', 'z-index': '2147483000',
  });

  var frame = null;
  function open() {
    if (!frame) {
      frame = document.createElement('iframe');
      frame.title = zh ? '在线客服' : 'Customer service chat';
      frame.src = origin + '/?embed=1' + (lang ? '&lang=' + encodeURIComponent(lang) : '');
      style(frame, {
        position: 'fixed', bottom: '88px', [side]: '20px', width: 'min(380px, calc(100vw - 40px))',
        height: 'min(600px, calc(100vh - 110px))', border: '1px solid #d0d7de', 'border-radius': '14px',
        'box-shadow': '0 8px 30px rgba(0,0,0,.2)', background: '#fff', 'z-index': '2147483000',
      });
      document.body.appendChild(frame);
    }
    frame.style.display = 'block';
    button.setAttribute('aria-expanded', 'true');
    button.textContent = '✕';
    frame.focus();
  }
  function close() {
    if (frame) frame.style.display = 'none';
    button.setAttribute('aria-expanded', 'false');
    button.textContent = '💬';
  }
  button.addEventListener('click', function () {
    if (button.getAttribute('aria-expanded') === 'true') close(); else open();
  });
  document.addEventListener('keydown', function (event) {
    if (event.key === 'Escape' && button.getAttribute('aria-expanded') === 'true') { close(); button.focus(); }
  });

  if (document.body) document.body.appendChild(button);
  else document.addEventListener('DOMContentLoaded', function () { document.body.appendChild(button); });
})();
