// Small DOM helpers. Everything user- or corpus-provided goes in as text
// nodes; the only HTML ever parsed is the server-sanitized document body
// (doc.js) and the <mark> tags of snippets, which are rebuilt as elements.

/** Creates an element: h('a', {href, class}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
      else if (v === true) el.setAttribute(k, '');
      else el.setAttribute(k, String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const ENTITIES = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** Decodes the HTML escapes of a snippet's text. */
export function unescapeHtml(s) {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (m, e) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
    }
    return ENTITIES[e] ?? m;
  });
}

/**
 * A snippet ("HTML-escaped text with <mark> around matches") as DOM nodes:
 * text stays text, only <mark> becomes an element.
 */
export function snippetNodes(snippet) {
  const out = [];
  const parts = String(snippet || '').split(/(<mark>|<\/mark>)/);
  let mark = null;
  for (const p of parts) {
    if (p === '<mark>') { mark = document.createElement('mark'); out.push(mark); continue; }
    if (p === '</mark>') { mark = null; continue; }
    if (!p) continue;
    const text = document.createTextNode(unescapeHtml(p));
    if (mark) mark.appendChild(text); else out.push(text);
  }
  return out;
}

/** Encodes a document id for a URL path, keeping its slashes. */
export function encodeId(id) {
  return id.split('/').map(encodeURIComponent).join('/');
}

/** Decodes the id part of a page path (`/doc/<id>`). */
export function decodeId(path) {
  try {
    return path.split('/').map(decodeURIComponent).join('/');
  } catch {
    return path;
  }
}

/** Whole days from a YYYY-MM-DD date to today (local time), or null. */
export function daysSince(date) {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(String(date || ''));
  if (!m) return null;
  const then = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const now = new Date();
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return Math.round((today - then) / 86400000);
}

/** Seconds of "HH:MM:SS", "MM:SS" or a number of seconds, or null. */
export function seconds(at) {
  if (typeof at === 'number' && Number.isFinite(at)) return Math.max(0, Math.floor(at));
  const parts = String(at || '').trim().split(':');
  if (!parts.length || parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return null;
  return parts.reduce((acc, p) => acc * 60 + Number(p), 0);
}

/** An http(s) URL as given, or null for anything else (javascript:, data:, ...). */
export function safeHttpUrl(s) {
  try {
    const u = new URL(String(s), location.origin);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

/** Announces a message to screen readers. */
export function announce(msg) {
  const live = document.getElementById('live');
  if (live) live.textContent = msg;
}
