// The workspace's HTTP client: JSON in and out, the session cookie sent by the browser, the CSRF token added to
// every change. Errors carry the server's { code, message, hint }.

let csrfToken = null;
let onSignedOut = () => {};

export function setCsrfToken(token) {
  csrfToken = token;
}

/** Called when the server says the session has ended (401), so the page can show the sign-in form. */
export function whenSignedOut(handler) {
  onSignedOut = handler;
}

export class ApiError extends Error {
  constructor(status, error) {
    super(error?.message || `HTTP ${status}`);
    this.status = status;
    this.code = error?.code || 'HTTP_ERROR';
    this.hint = error?.hint || '';
  }
}

export async function api(method, url, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(url, { method, headers, credentials: 'same-origin', cache: 'no-store', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data?.error);
    if (response.status === 401 && !url.endsWith('/api/session')) onSignedOut();
    throw error;
  }
  return data;
}

/** The same request kept alive while the page unloads (leaving a conversation). */
export function beacon(url, body) {
  const headers = { 'content-type': 'application/json' };
  if (csrfToken) headers['x-csrf-token'] = csrfToken;
  fetch(url, { method: 'POST', headers, body: JSON.stringify(body), keepalive: true, credentials: 'same-origin' }).catch(() => undefined);
}
