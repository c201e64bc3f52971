// Handover pages: the list of handovers and one handover with its people,
// dates, status, plan items, confirmations and, per system, the articles to
// read grouped by kind and the readiness gaps.
//
// Built against DESIGN.md's /api/handovers contract, rendering whatever
// fields are present. If that API does not answer (an older server), the
// page falls back to the handover document's front matter and a search per
// system, and says that gaps are not computed.

import * as api from './api.js';
import { decodeId, encodeId, h, replace } from './dom.js';
import { kindName, requiredLabel, stageName, statusName, t } from './i18n.js';
import { savedToken, saveToken } from './tags-editor.js';

/** Order of article groups: what a new owner reads first. */
const KIND_ORDER = ['system', 'runbook', 'incident', 'training', 'faq', 'contact', 'change', 'article', 'handover'];

const list = (v) => (Array.isArray(v) ? v : v === undefined || v === null || v === '' ? [] : [v]);
const str = (v) => (v === undefined || v === null ? '' : Array.isArray(v) ? v.join('、') : typeof v === 'object' ? Object.values(v).join(' ') : String(v));

function scoreBar(score) {
  if (typeof score !== 'number' || !Number.isFinite(score)) return null;
  // The API reports 0-100; a fraction (0.87) is read as a share.
  const pct = Math.round(score < 1 && !Number.isInteger(score) ? score * 100 : score);
  const level = pct >= 80 ? 'good' : pct >= 50 ? 'mid' : 'low';
  const bar = h('span', { class: 'bar-fill' });
  bar.style.width = `${Math.max(0, Math.min(100, pct))}%`;
  return h('span', { class: `score score-${level}`, title: `${t('readiness')} ${pct}%` },
    h('span', { class: 'bar', role: 'img', 'aria-label': `${t('readiness')} ${pct}%` }, bar),
    h('span', { class: 'score-num' }, `${pct}%`));
}

function statusBadge(s) {
  if (!s) return null;
  return h('span', { class: `badge status status-${String(s).toLowerCase().replace(/[^a-z0-9-]/g, '')}` }, statusName(s));
}

// --- the list -------------------------------------------------------------

/** Mounts `/handovers`. */
export function handoversView(root) {
  const controller = new AbortController();
  const body = h('div', { class: 'handover-list', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('loadingPage')));
  replace(root, h('section', { class: 'page' },
    h('h1', null, t('handovers')), h('p', { class: 'lead' }, t('handoversIntro')), body));
  document.title = `${t('handovers')} · baton`;
  loadList(controller.signal).then((items) => {
    body.removeAttribute('aria-busy');
    if (!items.length) { replace(body, h('p', { class: 'muted' }, t('noHandovers'))); return; }
    replace(body, h('table', { class: 'grid' },
      h('thead', null, h('tr', null,
        h('th', { scope: 'col' }, t('handovers')), h('th', { scope: 'col' }, t('from') + ' → ' + t('to')),
        h('th', { scope: 'col' }, t('systems')), h('th', { scope: 'col' }, t('period')),
        h('th', { scope: 'col' }, t('status')), h('th', { scope: 'col' }, t('progress')), h('th', { scope: 'col' }, t('readiness')))),
      h('tbody', null, items.map((x) => h('tr', null,
        h('td', null, h('a', { href: `/handover/${encodeId(x.id)}` }, x.title || x.id)),
        h('td', null, `${str(x.from)} → ${str(x.to)}`),
        h('td', null, list(x.systems).map((s) => h('span', { class: 'sys' }, s))),
        h('td', { class: 'nowrap' }, [x.start, x.end].filter(Boolean).join(' – ')),
        h('td', null, statusBadge(x.status)),
        h('td', { class: 'nowrap' }, typeof x.items_total === 'number' ? `${x.items_done ?? 0}/${x.items_total}` : '—'),
        h('td', null, scoreBar(x.score)))))));
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    body.removeAttribute('aria-busy');
    replace(body, h('p', { class: 'error' }, e.message));
  });
  return { destroy: () => controller.abort() };
}

async function loadList(signal) {
  try {
    const r = await api.handovers({ signal });
    return r.handovers || [];
  } catch (e) {
    if (e.name === 'AbortError' || e.status !== 404) throw e;
  }
  // Fallback: handover documents from search, details from each document.
  const r = await api.search({ q: '', kind: ['handover'], system: [], tag: [], sort: 'updated', page: 1 }, { signal, limit: 100 });
  return Promise.all(r.hits.map(async (hit) => {
    try {
      const d = await api.doc(hit.id, { signal });
      const m = d.meta || {};
      return { id: hit.id, title: d.title, from: m.from, to: m.to, systems: m.systems, status: m.status, start: m.start, end: m.end };
    } catch {
      return { id: hit.id, title: hit.title, systems: hit.systems };
    }
  }));
}

// --- one handover -----------------------------------------------------------

/** Mounts `/handover/{id}`. */
export function handoverView(root, _url, route) {
  const id = decodeId(route.id);
  const controller = new AbortController();
  const page = h('section', { class: 'page handover', 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('loadingPage')));
  replace(root, page);
  const load = () => loadOne(id, controller.signal).then(({ ho, doc, fallback }) => {
    page.removeAttribute('aria-busy');
    paint(page, id, ho, doc, fallback);
  }).catch((e) => {
    if (e.name === 'AbortError') return;
    page.removeAttribute('aria-busy');
    replace(page, h('h1', null, e.status === 404 ? t('handoverNotFound') : e.message), h('p', { class: 'path' }, id),
      h('p', null, h('a', { href: '/handovers' }, t('handovers'))));
  });
  page.addEventListener('baton:reload', () => load());
  load();
  return { destroy: () => controller.abort() };
}

async function loadOne(id, signal) {
  const docP = api.doc(id, { signal }).catch((e) => (e.name === 'AbortError' ? Promise.reject(e) : null));
  try {
    const ho = await api.handover(id, { signal });
    return { ho, doc: await docP, fallback: false };
  } catch (e) {
    if (e.name === 'AbortError' || e.status !== 404) throw e;
  }
  const doc = await docP;
  if (!doc || doc.kind !== 'handover') {
    const err = new Error(t('handoverNotFound'));
    err.status = 404;
    throw err;
  }
  // Fallback: the document's own fields, and per system a search grouped by kind.
  const m = doc.meta || {};
  const perSystem = await Promise.all(list(m.systems).map(async (system) => {
    const r = await api.search({ q: '', kind: [], system: [system], tag: [], sort: 'updated', page: 1 }, { signal, limit: 50 });
    const articles = {};
    for (const hit of r.hits) if (hit.id !== id) (articles[hit.kind] ||= []).push(hit);
    return { system, articles };
  }));
  return {
    ho: { id, title: doc.title, from: m.from, to: m.to, start: m.start, end: m.end, systems: m.systems, status: m.status, items: m.items, confirmations: m.confirmations, per_system: perSystem },
    doc,
    fallback: true,
  };
}

function paint(page, id, ho, doc, fallback) {
  const m = (doc && doc.meta) || {};
  const title = ho.title || (doc && doc.title) || id;
  document.title = `${title} · baton`;
  const start = ho.start ?? m.start;
  const end = ho.end ?? m.end;
  const items = list(ho.items ?? m.items);
  const confirmations = list(ho.confirmations ?? m.confirmations);
  const perSystem = list(ho.per_system);
  const doneCount = items.filter((i) => i && i.done === true).length;

  replace(page,
    h('p', { class: 'crumbs' }, h('a', { href: '/handovers' }, `‹ ${t('handovers')}`), h('span', { class: 'path' }, id)),
    h('header', { class: 'ho-head' },
      h('div', null,
        h('h1', null, title),
        h('p', { class: 'ho-people' },
          h('span', { class: 'person' }, h('span', { class: 'muted' }, `${t('from')} `), h('strong', null, str(ho.from))),
          h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → '),
          h('span', { class: 'person' }, h('span', { class: 'muted' }, `${t('to')} `), h('strong', null, str(ho.to))))),
      h('dl', { class: 'ho-facts' },
        h('div', null, h('dt', null, t('status')), h('dd', null, statusBadge(ho.status) || '—')),
        h('div', null, h('dt', null, t('period')), h('dd', { class: 'nowrap' }, [start, end].filter(Boolean).join(' – ') || '—')),
        h('div', null, h('dt', null, t('systems')), h('dd', null, list(ho.systems).map((s) => h('span', { class: 'sys' }, s)))),
        typeof ho.score === 'number' ? h('div', null, h('dt', null, t('readiness')), h('dd', null, scoreBar(ho.score))) : null)),
    fallback ? h('p', { class: 'notice' }, t('handoverApiMissing')) : null,
    h('div', { class: 'ho-layout' },
      h('div', { class: 'ho-main' },
        h('h2', { class: 'section-title' }, t('perSystem')),
        perSystem.length
          ? h('div', { class: 'systems-grid' }, perSystem.map((ps) => systemCard(ps, fallback)))
          : h('p', { class: 'muted' }, '—')),
      h('aside', { class: 'ho-side' },
        h('section', { class: 'card', 'aria-labelledby': 'plan-title' },
          h('h2', { id: 'plan-title' }, t('plan'), items.length ? h('span', { class: 'muted count' }, ` ${doneCount}/${items.length}`) : null),
          items.length
            ? h('table', { class: 'grid plan' },
              h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('topic')),
                h('th', { scope: 'col' }, t('due')), h('th', { scope: 'col' }, t('status')))),
              h('tbody', null, items.map((it) => {
                const done = it && it.done === true;
                return h('tr', { class: done ? 'done' : '' },
                  h('td', null, str(it && (it.topic ?? it.title ?? it.item)),
                    it && it.stage ? h('span', { class: 'stage' }, stageName(it.stage)) : null,
                    list(it && it.articles).length
                      ? h('span', { class: 'item-articles' }, `${t('itemArticles')}: `,
                        list(it.articles).slice(0, 3).map((a, i) => [i ? ' · ' : '', h('a', { href: a.url || `/doc/${encodeId(a.id)}` }, a.title || a.id)]))
                      : null),
                  h('td', { class: 'nowrap' }, str(it && it.due)),
                  h('td', { class: 'nowrap' }, h('span', { class: done ? 'ok' : 'open' }, done ? `✓ ${t('done')}` : t('notDone'))));
              })))
            : h('p', { class: 'muted' }, '—')),
        h('section', { class: 'card', 'aria-labelledby': 'conf-title' },
          h('h2', { id: 'conf-title' }, t('confirmations')),
          confirmations.length
            ? h('ul', { class: 'confirmations' }, confirmations.map((c) => h('li', null,
              h('span', { class: 'nowrap muted' }, str(c && c.date)), ' ',
              h('strong', null, str(c && (c.by ?? c.name))),
              c && c.system ? h('span', { class: 'sys' }, str(c.system)) : null,
              c && c.note ? h('p', null, str(c.note)) : null)))
            : h('p', { class: 'muted' }, t('noConfirmations')),
          fallback || !ho.etag ? null : confirmForm(id, ho, items),
          h('p', { class: 'doc-link' }, h('a', { href: `/doc/${encodeId(id)}` }, `${t('viewDocument')} ›`))),
        list(ho.feedback).length
          ? h('section', { class: 'card', 'aria-labelledby': 'feedback-title' },
            h('h2', { id: 'feedback-title' }, t('feedback')),
            h('ul', { class: 'confirmations' }, list(ho.feedback).map((f) => h('li', null,
              h('span', { class: 'nowrap muted' }, str(f && f.date)), ' ',
              h('a', { href: `/doc/${encodeId(String(f.id))}` }, str(f && (f.title || f.id))),
              f && f.author ? h('span', { class: 'muted' }, ` · ${str(f.author)}`) : null))))
          : null)));
}

/** A readiness gap in the interface language; the API's English message otherwise. */
function gapText(g, ps) {
  const link = g.doc ? h('a', { href: `/doc/${encodeId(String(g.doc))}` }, String(g.doc)) : null;
  const msg = String(g.message || '');
  switch (g.code) {
    case 'missing_kind': {
      const m = /^no (.+) for /.exec(msg);
      return h('span', null, m ? t('gapMissing', { what: requiredLabel(m[1]) }) : msg);
    }
    case 'incident_without_runbook':
      return h('span', null, t('gapIncident'), link);
    case 'stale_doc': {
      const s = list(ps.stale).find((x) => x && x.id === g.doc);
      return s ? h('span', null, t('gapStale', { age: s.age_days, limit: s.limit_days }), link) : h('span', null, msg);
    }
    case 'no_owner':
      return h('span', null, t('gapNoOwner'), link);
    default:
      return h('span', null, msg, link ? [' ', link] : null);
  }
}

function systemCard(ps, fallback) {
  const gaps = list(ps.gaps);
  const articles = ps.articles && typeof ps.articles === 'object' ? ps.articles : {};
  const kinds = Object.keys(articles).filter((k) => list(articles[k]).length)
    .sort((a, b) => (KIND_ORDER.indexOf(a) + 1 || 99) - (KIND_ORDER.indexOf(b) + 1 || 99));
  const sysId = `sys-${String(ps.system).replace(/[^a-zA-Z0-9_-]/g, '_')}`;
  return h('section', { class: 'card system-card', 'aria-labelledby': sysId, dataset: { system: String(ps.system) } },
    h('header', { class: 'system-head' }, h('h3', { id: sysId }, String(ps.system)), scoreBar(ps.score)),
    fallback ? null : h('div', { class: 'gaps' },
      h('h4', null, t('gaps')),
      gaps.length
        ? h('ul', null, gaps.map((g) => h('li', { class: `gap sev-${str(g && g.severity) || 'error'}`, dataset: { code: str(g && g.code) }, title: str(g && g.message) },
          h('span', { class: 'gap-icon', 'aria-hidden': 'true' }, '!'),
          gapText(g || {}, ps))))
        : h('p', { class: 'ok' }, `✓ ${t('noGaps')}`)),
    h('div', { class: 'articles' },
      h('h4', null, t('toRead')),
      kinds.length
        ? kinds.map((k) => h('div', { class: 'kind-group' },
          h('h5', null, h('span', { class: `badge kind kind-${k}` }, kindName(k)), h('span', { class: 'muted' }, ` ${list(articles[k]).length}`)),
          h('ul', null, list(articles[k]).map((hit) => h('li', null,
            h('a', { href: hit.url || `/doc/${encodeId(hit.id)}` }, hit.title || hit.id),
            hit.updated ? h('span', { class: 'muted' }, ` · ${hit.updated}`) : null)))))
        : h('p', { class: 'muted' }, t('noArticles'))));
}

/**
 * Confirming a plan item or the whole handover (an editor's token):
 * POST /api/handovers/{id}/confirmations with If-Match = the handover's ETag
 * as shown, so a confirmation never lands on a plan the confirmer has not seen.
 */
function confirmForm(id, ho, items) {
  const reload = (el) => el.dispatchEvent(new CustomEvent('baton:reload', { bubbles: true }));
  const token = h('input', { id: 'confirm-token', type: 'password', autocomplete: 'off' });
  const tokenRow = h('p', { class: 'token-row' }, h('label', { for: 'confirm-token' }, t('tokenEditor')), token);
  tokenRow.hidden = !!savedToken();
  const item = h('select', { id: 'confirm-item' },
    h('option', { value: '' }, t('confirmWhole')),
    items.map((it, i) => h('option', { value: String(typeof it.index === 'number' ? it.index : i) }, str(it && (it.topic ?? it.title)))));
  const remark = h('textarea', { id: 'confirm-remark', rows: 2 });
  const status = h('p', { class: 'editor-status', role: 'status' });
  const submit = h('button', { type: 'submit', class: 'btn' }, t('confirm'));
  const form = h('form', { class: 'confirm-form', 'aria-labelledby': 'confirm-title' },
    h('h3', { id: 'confirm-title' }, t('addConfirmation')),
    tokenRow,
    h('p', null, h('label', { for: 'confirm-item' }, t('topic')), item),
    h('p', null, h('label', { for: 'confirm-remark' }, t('note')), remark),
    h('p', null, submit), status);
  const show = (msg, kind, ...extra) => {
    status.className = `editor-status ${kind || ''}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    replace(status, msg, ...extra);
  };
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const secret = tokenRow.hidden ? savedToken() : token.value.trim();
    if (!secret) { tokenRow.hidden = false; token.focus(); show(t('tokenMissing'), 'error'); return; }
    submit.disabled = true;
    try {
      const res = await fetch(`/api/handovers/${encodeId(id)}/confirmations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${secret}`, 'If-Match': ho.etag },
        body: JSON.stringify({ item: item.value === '' ? null : Number(item.value), remark: remark.value.trim() || null }),
      });
      let body = null;
      try { body = await res.json(); } catch { /* none */ }
      if (res.ok) { saveToken(secret); reload(form); return; }
      if (res.status === 412) show(t('conflict'), 'error', ' ', h('button', { type: 'button', class: 'btn', onclick: () => reload(form) }, t('reload')));
      else if (res.status === 401) { saveToken(''); tokenRow.hidden = false; token.value = ''; token.focus(); show(t('tokenRejected'), 'error'); }
      else if (res.status === 403) { tokenRow.hidden = false; show(t('tokenForbiddenEditor'), 'error'); }
      else show((body && body.error && body.error.message) || `${res.status}`, 'error');
    } catch (err) {
      show(err.message, 'error');
    } finally {
      submit.disabled = false;
    }
  });
  return h('details', { class: 'confirm' }, h('summary', null, t('addConfirmation')), form);
}
