// The document page: rendered Markdown, contents, metadata, related
// articles with their reasons, the file's problems, and for a training
// record its recording with time-coded segments.
//
// `html` from /api/docs is sanitized on the server (ammonia) and is the only
// HTML this page parses; every other value is set as text, and URLs from
// front matter are used only when they are http(s) or corpus paths.

import * as api from './api.js';
import { daysSince, decodeId, encodeId, h, replace, safeHttpUrl, seconds } from './dom.js';
import { kindName, reason, relDays, statusName, t } from './i18n.js';
import { tagEditor } from './tags-editor.js';

/** Front-matter keys shown in the metadata box, in order, per kind. */
const EXTRA_FIELDS = {
  incident: ['severity', 'occurred', 'resolved'],
  change: ['date', 'ticket'],
  training: ['trainer', 'trainees', 'recorded', 'duration'],
  handover: ['from', 'to', 'start', 'end', 'status'],
};

/** Mounts the document page for `route.id` (still percent-encoded). */
export function docView(root, url, route) {
  const id = decodeId(route.id);
  const controller = new AbortController();
  const page = h('div', { class: 'doc-page', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('loadingPage')));
  replace(root, page);

  function load(notice) {
    Promise.all([
      api.docWithEtag(id, { signal: controller.signal }),
      api.related(id, { signal: controller.signal }).catch((e) => (e.name === 'AbortError' ? Promise.reject(e) : { hits: [] })),
      api.staleLimits(),
    ]).then(([{ doc, etag }, rel, limits]) => {
      const at = parseInt(url.searchParams.get('t') || '', 10);
      paint(page, doc, rel.hits || [], limits, { etag, reload: load, notice, at: Number.isFinite(at) ? at : null });
      if (notice) page.querySelector('.training')?.scrollIntoView({ block: 'start' });
      else if (page.querySelector('.segments li.current')) page.querySelector('.segments li.current').scrollIntoView({ block: 'center' });
      else if (location.hash) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView();
      else if (history.state && typeof history.state.scrollY === 'number') window.scrollTo(0, history.state.scrollY);
    }).catch((e) => {
      if (e.name === 'AbortError') return;
      page.removeAttribute('aria-busy');
      replace(page, h('section', { class: 'page narrow' },
        h('h1', null, e.status === 404 ? t('docNotFound') : t('docFailed', { m: e.message })),
        h('p', { class: 'path' }, id),
        // Restricted documents are "not found" to those who may not read them.
        e.status === 404 && !api.token()
          ? h('p', null, t('maybeRestricted'), ' ',
            h('button', { type: 'button', class: 'btn secondary', onclick: () => window.dispatchEvent(new CustomEvent('baton:auth-required', { detail: { reason: 'restricted' } })) }, t('signin')))
          : null,
        h('p', null, h('a', { href: '/', 'data-nav': true }, t('backToResults')))));
    });
  }
  load();
  return { destroy: () => controller.abort() };
}

function paint(page, doc, related, limits, edit) {
  page.removeAttribute('aria-busy');
  document.title = `${doc.title} · baton`;
  const meta = doc.meta || {};
  const body = h('div', { class: 'prose', id: 'doc-body' });
  // The one place HTML is parsed: the server-sanitized body.
  body.innerHTML = doc.html || '';
  const headings = (doc.headings || []).filter((x) => x.level >= 2 && x.level <= 3);

  replace(page,
    headings.length
      ? h('nav', { class: 'toc', 'aria-labelledby': 'toc-title' },
        h('h2', { class: 'side-title', id: 'toc-title' }, t('toc')),
        h('ol', null, headings.map((x) => h('li', { class: `toc-l${x.level}` },
          h('a', { href: `#${encodeURIComponent(x.anchor)}` }, x.text)))))
      : h('div', { class: 'toc empty-toc' }),
    h('article', { class: 'doc', 'aria-labelledby': 'doc-title' },
      h('header', { class: 'doc-head' },
        h('p', { class: 'crumbs' },
          h('a', { href: '/', class: 'back', onclick: back }, `‹ ${t('backToResults')}`),
          h('span', { class: 'path' }, doc.id)),
        h('h1', { id: 'doc-title' }, doc.title),
        metaBox(doc, meta, limits)),
      doc.kind === 'training' ? trainingBox(doc, meta, edit) : null,
      doc.kind === 'handover' ? h('p', { class: 'callout' },
        h('a', { href: `/handover/${encodeId(doc.id)}` }, `${t('openHandover')} ›`)) : null,
      problemsBox(doc.problems || []),
      body),
    h('aside', { class: 'doc-side', 'aria-labelledby': 'related-title' },
      h('h2', { class: 'side-title', id: 'related-title' }, t('related')),
      related.length
        ? h('ul', { class: 'related' }, related.map((r) => h('li', null,
          h('span', { class: `badge kind kind-${r.kind}` }, kindName(r.kind)),
          h('a', { href: r.url || `/doc/${encodeId(r.id)}` }, r.title),
          h('span', { class: 'reasons', title: (r.reasons || []).map(reason).join(' · ') }, shortReasons(r.reasons || [])))))
        : h('p', { class: 'muted' }, t('noRelated'))));
}

/** At most three reasons, then how many more. */
function shortReasons(reasons) {
  const shown = reasons.slice(0, 3).map(reason).join(' · ');
  return reasons.length > 3 ? `${shown} · +${reasons.length - 3}` : shown;
}

/** Back to the results this page was opened from; else the link goes to `/`. */
function back(e) {
  if (history.state && history.state.app) {
    e.preventDefault();
    history.back();
  }
}

function text(v) {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map(text).join('、');
  if (typeof v === 'object') return Object.values(v).map(text).join(' ');
  return String(v);
}

function metaBox(doc, meta, limits) {
  const rows = [];
  const row = (label, ...value) => rows.push(h('div', { class: 'meta-row' }, h('dt', null, label), h('dd', null, ...value)));
  row(t('kind'), h('span', { class: `badge kind kind-${doc.kind}` }, kindName(doc.kind)));
  const systems = Array.isArray(meta.systems) ? meta.systems : [];
  if (systems.length) row(t('systems'), ...systems.map((s) => h('a', { class: 'sys', href: `/?system=${encodeURIComponent(s)}` }, String(s))));
  if (meta.owner) row(t('owner'), text(meta.owner));
  if (doc.updated) {
    const days = daysSince(doc.updated);
    const limit = limits[doc.kind];
    row(t('updated'), doc.updated, h('span', { class: 'muted' }, ` (${relDays(days)})`),
      limit && days > limit ? h('span', { class: 'stale', title: t('staleTitle', { d: limit, kind: kindName(doc.kind) }) }, t('stale')) : null);
  }
  for (const key of EXTRA_FIELDS[doc.kind] || []) {
    if (meta[key] === undefined || meta[key] === null || meta[key] === '') continue;
    row(t(key), key === 'status' ? statusName(meta[key]) : text(meta[key]));
  }
  const tags = Array.isArray(meta.tags) ? meta.tags : [];
  if (tags.length) row(t('tags'), ...tags.map((tg) => h('a', { class: 'tag', href: `/?tag=${encodeURIComponent(tg)}` }, `#${tg}`)));
  if (doc.kind === 'contact' && Array.isArray(meta.people)) {
    row(t('people'), h('ul', { class: 'people' }, meta.people.map((p) => h('li', null,
      h('strong', null, text(p.name)), p.role ? ` — ${text(p.role)}` : '',
      p.phone ? h('span', { class: 'muted' }, ` · ${text(p.phone)}`) : null,
      p.email ? h('span', { class: 'muted' }, ` · ${text(p.email)}`) : null))));
  }
  return h('dl', { class: 'meta', 'aria-label': t('metadata') }, rows);
}

/**
 * Where a recording at `secs` opens: an http(s) URL with a media fragment,
 * or a corpus file through the media endpoint. Anything else is not a link.
 */
export function recordingHref(doc, recording, secs) {
  const r = String(recording || '').trim();
  if (!r) return null;
  const frag = secs === null || secs === undefined ? '' : `#t=${secs}`;
  if (/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(r) || r.startsWith('//')) {
    const u = safeHttpUrl(r);
    return u ? u.replace(/#.*$/, '') + frag : null;
  }
  // A corpus path: relative to the document's folder, or to the root with a leading slash.
  const base = r.startsWith('/') ? [] : doc.id.split('/').slice(0, -1);
  for (const part of r.split(/[?#]/)[0].split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') { if (!base.length) return null; base.pop(); } else base.push(part);
  }
  if (!base.length) return null;
  return `/api/media/${base.map(encodeURIComponent).join('/')}${frag}`;
}

/** Audio files play in <audio>; everything else the browser can play in <video>. */
const AUDIO = /\.(wav|mp3|m4a|ogg|oga|opus)(?:[?#]|$)/i;

/** The recording's address: the server's `recording` (newer API), else the front matter. */
function recordingBase(doc, meta) {
  if (typeof doc.recording === 'string' && doc.recording) {
    const r = doc.recording;
    if (r.startsWith('/api/media/')) return r;
    return safeHttpUrl(r) && /^https?:/i.test(r) ? r : null;
  }
  return recordingHref(doc, meta.recording, null);
}

const withTime = (base, secs) => `${base.replace(/#.*$/, '')}#t=${secs}`;

function trainingBox(doc, meta, edit) {
  // Segments with seconds from the server (trainer's and transcript cues), else the front matter's.
  const all = Array.isArray(doc.segments)
    ? doc.segments.map((s) => ({ ...s, seconds: typeof s.seconds === 'number' ? s.seconds : seconds(s.at) }))
    : (Array.isArray(meta.segments) ? meta.segments : []).map((s) => ({ at: s && s.at, label: s && s.label, tags: s && s.tags, seconds: seconds(s && s.at), source: 'segment' }));
  const segments = all.filter((s) => s.source !== 'transcript');
  const cues = all.filter((s) => s.source === 'transcript');
  const base = recordingBase(doc, meta);
  const local = base && base.startsWith('/api/media/');
  const player = local
    ? h(AUDIO.test(base) ? 'audio' : 'video', { class: 'player', controls: true, preload: 'metadata', src: base, 'aria-label': t('recording') })
    : null;
  const editor = edit && edit.etag ? tagEditor(doc, edit.etag, edit.reload) : null;
  const wanted = edit && edit.at;

  /** A time link: seeks the embedded player, or opens the recording at that second. */
  const timeLink = (s) => {
    const at = text(s.at);
    if (!base || s.seconds === null || s.seconds === undefined) return h('span', { class: 'seg-time' }, at);
    const href = withTime(base, s.seconds);
    const label = text(s.label);
    return h('a', {
      class: 'seg-time', href, 'aria-label': t('segmentAt', { t: at, label }),
      ...(player ? {} : { target: '_blank', rel: 'noopener noreferrer' }),
      onclick: player ? (e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        player.currentTime = s.seconds;
        player.play().catch(() => {});
      } : undefined,
    }, at);
  };
  const item = (s) => h('li', { class: wanted !== null && wanted !== undefined && s.seconds === wanted ? 'current' : '' },
    timeLink(s),
    h('span', { class: 'seg-label' }, text(s.label)),
    Array.isArray(s.tags) ? s.tags.map((tg) => h('a', { class: 'tag', href: `/?tag=${encodeURIComponent(tg)}` }, `#${tg}`)) : null);

  if (player && typeof wanted === 'number') {
    player.addEventListener('loadedmetadata', () => { player.currentTime = wanted; }, { once: true });
  }
  return h('section', { class: 'training', 'aria-labelledby': 'rec-title' },
    h('div', { class: 'training-head' }, h('h2', { id: 'rec-title' }, t('recording')), editor ? editor.toggle : null),
    edit && edit.notice ? h('p', { class: 'editor-status ok', role: 'status' }, edit.notice) : null,
    editor ? editor.form : null,
    player,
    base
      ? h('p', null, h('a', { class: player ? 'linkish' : 'btn', href: base, target: '_blank', rel: 'noopener noreferrer' }, `▶ ${t('openRecording')}`),
        meta.duration ? h('span', { class: 'muted' }, ` ${t('duration')} ${text(meta.duration)}`) : null)
      : h('p', { class: 'muted' }, meta.recording ? text(meta.recording) : t('noRecording')),
    segments.length ? h('ol', { class: 'segments', 'aria-label': t('segments') }, segments.map(item)) : null,
    cues.length
      ? h('details', { class: 'transcript', open: cues.some((c) => c.seconds === wanted) },
        h('summary', null, `${t('transcript')} (${cues.length})`),
        h('ol', { class: 'segments cues' }, cues.map(item)))
      : null);
}

function problemsBox(problems) {
  if (!problems.length) return null;
  return h('section', { class: 'problems-box', role: 'note', 'aria-labelledby': 'problems-title' },
    h('h2', { id: 'problems-title' }, t('problemsHere', { n: problems.length })),
    h('ul', null, problems.map((p) => h('li', null,
      h('span', { class: `sev sev-${p.severity}` }, p.severity === 'error' ? t('severityError') : t('severityWarning')),
      p.line ? h('span', { class: 'muted' }, ` ${t('line', { n: p.line })} `) : ' ',
      h('code', null, p.code), ' ', p.message))));
}
