// JSON API calls. Errors carry the HTTP status and the server's message.

import { encodeId } from './dom.js';

/** An API failure with its HTTP status (0 when the network failed). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const TOKEN_KEY = 'baton.token';

/** The token this tab signed in with (sessionStorage: this tab only), or ''. */
export function token() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ''; } catch { return ''; }
}

/** Keeps (or with '' forgets) the token of this tab. */
export function setToken(v) {
  try { if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY); } catch { /* not kept */ }
  mediaCookie(v);
}

/**
 * The player (<audio>/<video>) cannot send an Authorization header, so the
 * token also goes into a session cookie scoped to /api/media/, the only
 * place the server accepts it (reads of recordings, nothing else).
 */
function mediaCookie(v) {
  document.cookie = v
    ? `baton_token=${encodeURIComponent(v)}; Path=/api/media/; SameSite=Strict`
    : 'baton_token=; Path=/api/media/; SameSite=Strict; Max-Age=0';
}

// A tab that signed in before a reload keeps its recordings playable.
if (token()) mediaCookie(token());

/** Request headers: JSON, and the tab's token when it has one (servers may require it for reads). */
export function headers(extra = {}) {
  const h = { Accept: 'application/json', ...extra };
  const tk = token();
  if (tk && !h.Authorization) h.Authorization = `Bearer ${tk}`;
  return h;
}

/** GET `url` as JSON; rejects with ApiError, or AbortError when aborted. */
export async function getJSON(url, { signal } = {}) {
  let res;
  try {
    res = await fetch(url, { signal, headers: headers() });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, e.message || 'network error');
  }
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      const body = await res.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch { /* not JSON */ }
    // Reads need a token here (or this tab's was revoked): the shell asks for one.
    if (res.status === 401) window.dispatchEvent(new CustomEvent('baton:auth-required'));
    throw new ApiError(res.status, message);
  }
  return res.json();
}

/** `/api/search` with the state of the search page. */
export function search(state, { signal, limit = 10 } = {}) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  for (const k of state.kind) p.append('kind', k);
  for (const s of state.system) p.append('system', s);
  for (const tg of state.tag) p.append('tag', tg);
  if (state.sort && state.sort !== 'relevance') p.set('sort', state.sort);
  p.set('limit', String(limit));
  p.set('offset', String((state.page - 1) * limit));
  return getJSON(`/api/search?${p}`, { signal });
}

export const doc = (id, opts) => getJSON(`/api/docs/${encodeId(id)}`, opts);

/** A document and its ETag (what a write's If-Match must name). */
export async function docWithEtag(id, { signal } = {}) {
  const res = await fetch(`/api/docs/${encodeId(id)}`, { signal, cache: 'no-cache', headers: headers() });
  if (!res.ok) {
    if (res.status === 401) window.dispatchEvent(new CustomEvent('baton:auth-required'));
    let message = `${res.status} ${res.statusText}`;
    try { message = (await res.json()).error.message || message; } catch { /* not JSON */ }
    throw new ApiError(res.status, message);
  }
  return { doc: await res.json(), etag: res.headers.get('ETag') || '' };
}
export const related = (id, opts) => getJSON(`/api/docs/${encodeId(id)}/related?limit=8`, opts);
export const handovers = (opts) => getJSON('/api/handovers', opts);
export const handover = (id, opts) => getJSON(`/api/handovers/${encodeId(id)}`, opts);
export const problems = (opts) => getJSON('/api/problems', opts);
export const health = (opts) => getJSON('/api/health', opts);

let kindsPromise = null;
/** Staleness limits per kind: { runbook: 365, ... } (fetched once). */
export function staleLimits() {
  if (!kindsPromise) {
    kindsPromise = getJSON('/api/kinds')
      .then((r) => Object.fromEntries((r.kinds || []).map((k) => [k.name, k.stale_after_days])))
      .catch(() => { kindsPromise = null; return {}; });
  }
  return kindsPromise;
}
