// What a staff page remembers in the browser (its language, its tab), safely: private mode or a full quota must not
// break the page. Shared by the agent workspace and the owner console.

export const storage = {
  get(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  },
  set(key, value) {
    try { localStorage.setItem(key, value); } catch { /* private mode */ }
  },
};

/** The page's language: ?lang=, else the one remembered under `key`, else the browser's; one the strings have. */
export function initialLanguage(strings, key) {
  const asked = new URLSearchParams(location.search).get('lang') || storage.get(key) || ((navigator.language || 'en').toLowerCase().startsWith('zh') ? 'zh' : 'en');
  return strings[asked] ? asked : 'en';
}
