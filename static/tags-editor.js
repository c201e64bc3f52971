// Trainers' editor for a training record's tags and time-coded segments:
// PUT /api/docs/{id}/tags with the trainer's token and If-Match = the ETag
// of the version on screen, so two trainers cannot silently overwrite each
// other: a stale ETag (412) says so and offers a reload. The token is asked
// for once and kept in sessionStorage (this tab only, gone when it closes).

import { getJSON, setToken, token } from './api.js';
import { encodeId, h, replace } from './dom.js';
import { t } from './i18n.js';

/** The tab's token (shared with reads; see api.js). */
export const savedToken = token;
/** Keeps or forgets the tab's token. */
export const saveToken = setToken;

const splitTags = (s) => String(s || '').split(/[,，、]/).map((x) => x.trim()).filter(Boolean);

/**
 * The editor for `doc` (whose ETag is `etag`); `reload()` shows the saved
 * or newer version. Returns the toggle button and the (hidden) editor.
 */
export function tagEditor(doc, etag, reload) {
  const meta = doc.meta || {};
  let tags = Array.isArray(meta.tags) ? meta.tags.map(String) : [];
  const segments = (Array.isArray(meta.segments) ? meta.segments : []).map((s) => ({
    at: String((s && s.at) ?? ''), label: String((s && s.label) ?? ''), tags: Array.isArray(s && s.tags) ? s.tags.map(String) : [],
  }));

  const vocab = h('datalist', { id: 'tag-vocab' });
  getJSON('/api/tags').then((r) => replace(vocab, ...(r.tags || []).map((x) => h('option', { value: x.tag }, `${x.tag} (${x.count})`)))).catch(() => {});

  const status = h('p', { class: 'editor-status', role: 'status', 'aria-live': 'polite' });
  const tokenInput = h('input', { id: 'edit-token', type: 'password', autocomplete: 'off', spellcheck: 'false' });
  const tokenRow = h('p', { class: 'token-row' }, h('label', { for: 'edit-token' }, t('token')), tokenInput, h('span', { class: 'muted' }, t('tokenHint')));
  tokenRow.hidden = !!savedToken();

  const chips = h('ul', { class: 'edit-chips', 'aria-label': t('tags') });
  const tagInput = h('input', { id: 'edit-tag', list: 'tag-vocab', autocomplete: 'off', placeholder: t('addTagPlaceholder') });
  const addTag = () => {
    for (const v of splitTags(tagInput.value)) if (!tags.includes(v)) tags.push(v);
    tagInput.value = '';
    paintChips();
  };
  tagInput.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); addTag(); }
  });
  function paintChips() {
    replace(chips, ...tags.map((tg) => h('li', null, h('button', {
      type: 'button', class: 'chip', 'aria-label': t('removeFilter', { v: tg }),
      onclick: () => { tags = tags.filter((x) => x !== tg); paintChips(); tagInput.focus(); },
    }, `#${tg}`, h('span', { class: 'x', 'aria-hidden': 'true' }, '×')))));
  }

  const rows = h('tbody');
  function paintRows() {
    replace(rows, ...segments.map((s, i) => h('tr', null,
      h('td', null, h('input', { class: 'seg-at', value: s.at, 'aria-label': t('segTime'), placeholder: 'HH:MM:SS', size: 9, oninput: (e) => { s.at = e.target.value; } })),
      h('td', null, h('input', { class: 'seg-label-in', value: s.label, 'aria-label': t('segLabel'), oninput: (e) => { s.label = e.target.value; } })),
      h('td', null, h('input', { class: 'seg-tags', value: s.tags.join(', '), list: 'tag-vocab', 'aria-label': t('segTags'), oninput: (e) => { s.tags = splitTags(e.target.value); } })),
      h('td', null, h('button', { type: 'button', class: 'linkish', 'aria-label': t('removeSegment', { n: i + 1 }), onclick: () => { segments.splice(i, 1); paintRows(); } }, '✕')))));
  }
  paintChips();
  paintRows();

  const saveBtn = h('button', { type: 'submit', class: 'btn' }, t('save'));
  const form = h('form', { class: 'tag-editor card', id: 'tag-editor', hidden: true, 'aria-labelledby': 'editor-title' },
    h('h2', { id: 'editor-title' }, t('editTags')),
    vocab,
    tokenRow,
    h('fieldset', null, h('legend', null, t('tags')), chips,
      h('p', { class: 'inline' }, h('label', { for: 'edit-tag', class: 'sr-only' }, t('addTag')), tagInput,
        h('button', { type: 'button', class: 'btn secondary', onclick: addTag }, t('addTag')))),
    h('fieldset', null, h('legend', null, t('segments')),
      h('table', { class: 'grid seg-table' },
        h('thead', null, h('tr', null, h('th', { scope: 'col' }, t('segTime')), h('th', { scope: 'col' }, t('segLabel')),
          h('th', { scope: 'col' }, t('segTags')), h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, t('removeSegment', { n: '' }))))),
        rows),
      h('p', null, h('button', { type: 'button', class: 'btn secondary', onclick: () => {
        segments.push({ at: '', label: '', tags: [] });
        paintRows();
        rows.querySelector('tr:last-child .seg-at')?.focus();
      } }, t('addSegment')))),
    h('p', { class: 'actions' }, saveBtn, ' ',
      h('button', { type: 'button', class: 'btn secondary', onclick: () => { form.hidden = true; toggle.setAttribute('aria-expanded', 'false'); toggle.focus(); } }, t('cancel'))),
    status);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    addTag();
    const token = tokenRow.hidden ? savedToken() : tokenInput.value.trim();
    if (!token) { show(t('tokenMissing'), 'error'); tokenRow.hidden = false; tokenInput.focus(); return; }
    saveBtn.disabled = true;
    show(t('saving'));
    try {
      const res = await fetch(`/api/docs/${encodeId(doc.id)}/tags`, {
        method: 'PUT',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', Authorization: `Bearer ${token}`, 'If-Match': etag },
        body: JSON.stringify({ tags, segments: segments.filter((s) => s.at.trim() || s.label.trim()) }),
      });
      let body = null;
      try { body = await res.json(); } catch { /* no body */ }
      const message = body && body.error && body.error.message;
      if (res.ok) {
        saveToken(token);
        show(t('saved'), 'ok');
        reload(t('saved'));
        return;
      }
      if (res.status === 412) {
        show(t('conflict'), 'error', h('button', { type: 'button', class: 'btn', onclick: () => reload() }, t('reload')));
      } else if (res.status === 401) {
        saveToken('');
        tokenRow.hidden = false;
        tokenInput.value = '';
        show(t('tokenRejected'), 'error');
        tokenInput.focus();
      } else if (res.status === 403) {
        // Maybe a reader's token from signing in: allow entering a trainer's.
        tokenRow.hidden = false;
        show(t('tokenForbidden'), 'error');
      } else if (res.status === 429) {
        show(t('tooMany'), 'error');
      } else {
        show(message || `${res.status} ${res.statusText}`, 'error');
      }
    } catch (err) {
      show(err.message, 'error');
    } finally {
      saveBtn.disabled = false;
    }
  });

  function show(msg, kind = '', ...extra) {
    status.className = `editor-status ${kind}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    replace(status, msg, extra.length ? ' ' : '', ...extra);
  }

  const toggle = h('button', {
    type: 'button', class: 'btn secondary edit-toggle', 'aria-expanded': 'false', 'aria-controls': 'tag-editor',
    onclick: () => {
      form.hidden = !form.hidden;
      toggle.setAttribute('aria-expanded', String(!form.hidden));
      if (!form.hidden) (tokenRow.hidden ? tagInput : tokenInput).focus();
    },
  }, `✎ ${t('editTags')}`);
  return { toggle, form };
}
