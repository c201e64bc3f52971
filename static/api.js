// JSON API calls. Errors carry the HTTP status and the server's message.

import { encodeId } from './dom.js';

/** An API failure with its HTTP status (0 when the network failed). */
export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** GET `url` as JSON; rejects with ApiError, or AbortError when aborted. */
export async function getJSON(url, { signal } = {}) {
  let res;
  try {
    res = await fetch(url, { signal, headers: { Accept: 'application/json' } });
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
  const res = await fetch(`/api/docs/${encodeId(id)}`, { signal, cache: 'no-cache', headers: { Accept: 'application/json' } });
  if (!res.ok) {
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
