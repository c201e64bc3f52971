// The search page: search as you type, facets, sort, pages, keyboard.
//
// The URL is the state (`/?q=&kind=&system=&tag=&sort=&page=`): typing
// replaces the history entry, filters, sort and pages push one, so a link can
// be shared and back/forward restore exactly what was shown. Requests are
// debounced; a newer one aborts the older (AbortController) and a response
// that is not the latest is dropped. Performance marks `baton:input` (last
// keystroke) and `baton:results` (results painted) let tests measure the
// time from the end of typing to visible results.

import * as api from './api.js';
import { announce, daysSince, h, replace, snippetNodes } from './dom.js';
import { kindName, relDays, t } from './i18n.js';

/** Results per page. */
const PAGE_SIZE = 10;
/**
 * Quiet time after the last keystroke before searching. Short, because
 * results should be visible within 100 ms of typing stopping and a search
 * on the server takes a few ms; IME composition never triggers a search.
 */
const DEBOUNCE_MS = 60;
/** Facet values shown before "show more". */
const FACET_SHOWN = 8;

function stateFromUrl(url) {
  const p = url.searchParams;
  const page = Math.max(1, parseInt(p.get('page') || '1', 10) || 1);
  return {
    q: p.get('q') || '',
    kind: p.getAll('kind'),
    system: p.getAll('system'),
    tag: p.getAll('tag'),
    sort: p.get('sort') === 'updated' ? 'updated' : 'relevance',
    page,
  };
}

function urlOf(state) {
  const p = new URLSearchParams();
  if (state.q) p.set('q', state.q);
  for (const k of state.kind) p.append('kind', k);
  for (const s of state.system) p.append('system', s);
  for (const tg of state.tag) p.append('tag', tg);
  if (state.sort !== 'relevance') p.set('sort', state.sort);
  if (state.page > 1) p.set('page', String(state.page));
  const s = p.toString();
  return s ? `/?${s}` : '/';
}

const text = (v) => (v === undefined || v === null ? '' : String(v));
const hasFilters = (s) => s.kind.length + s.system.length + s.tag.length > 0;

/** Mounts the search page into `root`. */
export function searchView(root, url) {
  let state = stateFromUrl(url);
  let controller = null;
  let seq = 0;
  let timer = 0;
  let limits = {};
  let painted = false;
  /** Where the keyboard goes after the next paint (the element it was on is rebuilt). */
  let refocus = null;
  const expanded = new Set();

  const input = h('input', {
    id: 'q', type: 'search', name: 'q', autocomplete: 'off', spellcheck: 'false',
    placeholder: t('searchPlaceholder'), 'aria-describedby': 'search-hint', 'aria-controls': 'results',
  });
  input.value = state.q;
  const sortSelect = h('select', { id: 'sort' },
    h('option', { value: 'relevance' }, t('sortRelevance')),
    h('option', { value: 'updated' }, t('sortUpdated')));
  sortSelect.value = state.sort;
  const summary = h('p', { class: 'summary', id: 'summary', role: 'status' });
  const suggestions = h('p', { class: 'suggest', id: 'suggest', hidden: true });
  let suggestController = null;
  const chips = h('div', { class: 'chips', id: 'active-filters' });
  const list = h('ol', { class: 'results', id: 'results', 'aria-label': t('results') });
  const pager = h('nav', { class: 'pager', 'aria-label': t('pagination') });
  const facets = h('div', { class: 'facet-groups' });

  const view = h('section', { class: 'search-page' },
    h('form', { class: 'searchbar', role: 'search', onsubmit: (e) => { e.preventDefault(); run(true); } },
      h('label', { for: 'q', class: 'sr-only' }, t('searchLabel')),
      h('span', { class: 'search-icon', 'aria-hidden': 'true' }),
      input,
      h('kbd', { class: 'kbd-hint', 'aria-hidden': 'true' }, '/')),
    h('p', { class: 'hint', id: 'search-hint' }, t('searchHint')),
    suggestions,
    h('div', { class: 'search-body' },
      h('aside', { class: 'facets', 'aria-label': t('filters') }, h('h2', { class: 'side-title' }, t('filters')), facets),
      h('div', { class: 'results-col' },
        h('div', { class: 'results-head' }, summary,
          h('label', { class: 'sort' }, h('span', null, t('sort')), sortSelect)),
        chips, list, pager)));
  replace(root, view);

  // --- events -------------------------------------------------------------
  input.addEventListener('input', (e) => {
    if (e.isComposing) return;
    schedule();
  });
  input.addEventListener('compositionend', schedule);
  input.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      const first = list.querySelector('a.hit-title');
      if (first) { e.preventDefault(); first.focus(); }
    } else if (e.key === 'Enter' && !e.isComposing) {
      // Enter in the box searches now; with results already fresh it opens the first.
      e.preventDefault();
      clearTimeout(timer);
      const first = list.querySelector('a.hit-title');
      if (first && input.value.trim() === state.q.trim() && list.dataset.q === state.q) first.click();
      else run(true);
    } else if (e.key === 'Escape' && input.value) {
      input.value = '';
      schedule();
    }
  });
  list.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    const links = [...list.querySelectorAll('a.hit-title')];
    const i = links.indexOf(document.activeElement);
    if (i < 0) return;
    e.preventDefault();
    if (e.key === 'ArrowDown' && i < links.length - 1) links[i + 1].focus();
    else if (e.key === 'ArrowUp') (i > 0 ? links[i - 1] : input).focus();
  });
  sortSelect.addEventListener('change', () => {
    go({ ...state, sort: sortSelect.value, page: 1 });
  });

  function schedule() {
    performance.clearMarks('baton:input');
    performance.mark('baton:input');
    clearTimeout(timer);
    timer = setTimeout(() => run(false), DEBOUNCE_MS);
  }

  /** Applies typed text: replaces the URL entry (typing is not history). */
  function run(push) {
    const q = input.value;
    if (q === state.q && !push && list.dataset.q === q) return;
    const next = { ...state, q, page: 1 };
    const href = urlOf(next);
    if (push && href !== location.pathname + location.search) history.pushState({ app: true }, '', href);
    else history.replaceState(history.state, '', href);
    state = next;
    load();
  }

  /** Systems and tags completing what was typed, offered as one-click filters. */
  async function suggest() {
    if (suggestController) suggestController.abort();
    const q = state.q.trim();
    if (!q) { suggestions.hidden = true; return; }
    suggestController = new AbortController();
    try {
      const r = await api.getJSON(`/api/suggest?q=${encodeURIComponent(q)}`, { signal: suggestController.signal });
      if (typeof r.query === 'string' && r.query.trim() !== state.q.trim()) return;
      const offers = (r.suggestions || [])
        .filter((x) => (x.type === 'system' || x.type === 'tag') && !state[x.type].includes(x.text))
        .slice(0, 6);
      suggestions.hidden = !offers.length;
      replace(suggestions, h('span', { class: 'muted' }, t('suggestFilters')), ...offers.map((x) => h('button', {
        type: 'button', class: `chip suggest-${x.type}`,
        onclick: () => go({ ...state, [x.type]: [...state[x.type], x.text], page: 1 }),
      }, x.type === 'tag' ? `#${x.text}` : `${t('facetSystems')}: ${x.text}`)));
    } catch (e) {
      if (e.name !== 'AbortError') suggestions.hidden = true;
    }
  }

  /** New state from a click: pushes a history entry. */
  function go(next) {
    state = next;
    history.pushState({ app: true }, '', urlOf(next));
    load();
  }

  // --- loading ------------------------------------------------------------
  async function load() {
    if (controller) controller.abort();
    controller = new AbortController();
    const mine = ++seq;
    view.setAttribute('aria-busy', 'true');
    performance.clearMarks('baton:request');
    performance.mark('baton:request');
    try {
      const [r, l] = await Promise.all([
        api.search(state, { signal: controller.signal, limit: PAGE_SIZE }),
        api.staleLimits(),
      ]);
      if (mine !== seq) return;
      limits = l;
      paint(r);
      if (refocus) { refocus(); refocus = null; }
      if (!painted) restore();
      painted = true;
      performance.clearMarks('baton:results');
      performance.mark('baton:results');
      // Completions only after the results, so they never delay them.
      suggest();
    } catch (e) {
      if (e.name === 'AbortError' || mine !== seq) return;
      replace(summary, t('searchFailed', { m: e.message }));
      summary.classList.add('error');
    } finally {
      if (mine === seq) view.removeAttribute('aria-busy');
    }
  }

  /** Back from a document: the same scroll position and the result it was opened from. */
  function restore() {
    const st = history.state || {};
    if (st.focusHref) {
      const a = [...list.querySelectorAll('a.hit-title')].find((x) => x.getAttribute('href') === st.focusHref);
      if (a) a.focus({ preventScroll: true });
    }
    if (typeof st.scrollY === 'number') window.scrollTo(0, st.scrollY);
  }

  function paint(r) {
    document.title = state.q ? `${state.q} · baton` : `baton ${t('brand')}`;
    summary.classList.remove('error');
    const head = !state.q && !hasFilters(state)
      ? [h('strong', null, t('recent')), ' · ', t('resultsCount', { n: r.total })]
      : [h('strong', null, t('resultsCount', { n: r.total }))];
    replace(summary, ...head, h('span', { class: 'took' }, ' · ', t('resultsTook', { ms: Number(r.took_ms).toFixed(1) })));
    list.dataset.q = state.q;
    list.dataset.total = String(r.total);
    paintChips();
    paintFacets(r.facets || {});
    if (!r.hits.length) {
      replace(list, emptyState());
      replace(pager);
      announce(state.q ? t('emptyTitle', { q: state.q }) : t('emptyFiltered'));
      return;
    }
    replace(list, ...r.hits.map(hitItem));
    paintPager(r.total);
    announce(t('resultsCount', { n: r.total }));
  }

  function hitItem(hit) {
    const days = daysSince(hit.updated);
    const limit = limits[hit.kind];
    const stale = days !== null && limit && days > limit;
    return h('li', { class: 'hit' },
      h('div', { class: 'hit-head' },
        h('span', { class: `badge kind kind-${hit.kind}` }, kindName(hit.kind)),
        h('a', { class: 'hit-title', href: hit.url || `/doc/${hit.id}` }, hit.title)),
      h('p', { class: 'snippet' }, snippetNodes(hit.snippet)),
      hit.segment && typeof hit.segment.seconds === 'number'
        ? h('p', { class: 'hit-segment' }, h('a', { href: `${hit.url || `/doc/${hit.id}`}?t=${hit.segment.seconds}` },
          h('span', { class: 'seg-time' }, text(hit.segment.at)), ' ', text(hit.segment.label)))
        : null,
      h('div', { class: 'hit-meta' },
        hit.systems && hit.systems.length
          ? h('span', { class: 'systems' }, hit.systems.map((s) => h('span', { class: 'sys' }, s)))
          : null,
        h('span', { class: 'updated', title: hit.updated || '' },
          days === null ? t('updatedUnknown') : days < 0 ? t('dated', { date: hit.updated }) : t('updatedAgo', { rel: relDays(days) })),
        stale ? h('span', { class: 'stale', title: t('staleTitle', { d: limit, kind: kindName(hit.kind) }) }, t('stale')) : null,
        h('span', { class: 'path' }, hit.id)));
  }

  function emptyState() {
    return h('li', { class: 'empty' },
      h('p', { class: 'empty-title' }, state.q ? t('emptyTitle', { q: state.q }) : t('emptyFiltered')),
      h('ul', { class: 'tips' },
        h('li', null, t('emptyTip1')), h('li', null, t('emptyTip2')), h('li', null, t('emptyTip3'))),
      h('p', { class: 'empty-actions' },
        hasFilters(state)
          ? h('button', { type: 'button', class: 'btn', onclick: () => go({ ...state, kind: [], system: [], tag: [], page: 1 }) }, t('clearFilters'))
          : null,
        ' ',
        h('a', { class: 'btn secondary', href: '/', 'data-nav': true }, t('browseAll'))));
  }

  function paintChips() {
    const all = [
      ...state.kind.map((v) => ['kind', v, kindName(v)]),
      ...state.system.map((v) => ['system', v, v]),
      ...state.tag.map((v) => ['tag', v, `#${v}`]),
    ];
    if (!all.length) { replace(chips); chips.hidden = true; return; }
    chips.hidden = false;
    replace(chips, ...all.map(([field, v, label]) =>
      h('button', {
        type: 'button', class: 'chip', 'aria-label': t('removeFilter', { v: label }),
        onclick: () => { input.focus(); go({ ...state, [field]: state[field].filter((x) => x !== v), page: 1 }); },
      }, label, h('span', { 'aria-hidden': 'true', class: 'x' }, '×'))),
    h('button', { type: 'button', class: 'linkish', onclick: () => go({ ...state, kind: [], system: [], tag: [], page: 1 }) }, t('clearFilters')));
  }

  function paintFacets(f) {
    const groups = [
      ['kind', 'kind', t('facetKind'), (v) => kindName(v)],
      ['system', 'systems', t('facetSystems'), (v) => v],
      ['tag', 'tags', t('facetTags'), (v) => v],
    ];
    replace(facets, ...groups.map(([field, key, title, label]) => {
      const counts = { ...(f[key] || {}) };
      for (const v of state[field]) if (!(v in counts)) counts[v] = 0;
      const entries = Object.entries(counts).sort((a, b) =>
        (state[field].includes(b[0]) - state[field].includes(a[0])) || b[1] - a[1] || a[0].localeCompare(b[0]));
      if (!entries.length) return null;
      const open = expanded.has(field);
      const shown = open ? entries : entries.slice(0, FACET_SHOWN);
      const id = `facet-${field}`;
      return h('fieldset', { class: 'facet', id },
        h('legend', null, title),
        h('ul', null, shown.map(([v, n]) => {
          const checked = state[field].includes(v);
          const cb = h('input', {
            type: 'checkbox', checked, value: v, dataset: { field, value: v },
            onchange: () => {
              const values = checked ? state[field].filter((x) => x !== v) : [...state[field], v];
              // Keep the keyboard on this checkbox once the facets are rebuilt.
              refocus = () => facets.querySelector(`input[data-field="${field}"][data-value="${CSS.escape(v)}"]`)?.focus();
              go({ ...state, [field]: values, page: 1 });
            },
          });
          return h('li', null, h('label', { class: 'facet-item' }, cb,
            h('span', { class: 'facet-label' }, label(v)), h('span', { class: 'facet-count' }, String(n))));
        })),
        entries.length > FACET_SHOWN
          ? h('button', {
            type: 'button', class: 'linkish more', 'aria-expanded': String(open), 'aria-controls': id,
            onclick: () => { if (open) expanded.delete(field); else expanded.add(field); paintFacets(f); },
          }, open ? t('showLess') : `${t('showMore')} (${entries.length - FACET_SHOWN})`)
          : null);
    }));
  }

  function paintPager(total) {
    const pages = Math.ceil(total / PAGE_SIZE);
    if (pages <= 1) { replace(pager); return; }
    const link = (p, text, extra = {}) => h('a', {
      href: urlOf({ ...state, page: p }), class: 'page-link', ...extra,
      onclick: (e) => {
        e.preventDefault();
        refocus = () => list.querySelector('a.hit-title')?.focus({ preventScroll: true });
        go({ ...state, page: p });
        window.scrollTo(0, 0);
      },
    }, text);
    const items = [];
    if (state.page > 1) items.push(link(state.page - 1, `‹ ${t('prev')}`, { rel: 'prev' }));
    const from = Math.max(1, state.page - 3);
    const to = Math.min(pages, from + 6);
    for (let p = from; p <= to; p++) {
      items.push(p === state.page
        ? h('span', { class: 'page-link current', 'aria-current': 'page' }, String(p))
        : link(p, String(p), { 'aria-label': t('pageN', { n: p }) }));
    }
    if (state.page < pages) items.push(link(state.page + 1, `${t('next')} ›`, { rel: 'next' }));
    replace(pager, ...items);
  }

  load();
  if (!(history.state && history.state.focusHref)) input.focus({ preventScroll: true });

  return {
    /** Back/forward within the search page: show what that URL holds. */
    update(u) {
      state = stateFromUrl(u);
      if (input.value !== state.q) input.value = state.q;
      sortSelect.value = state.sort;
      load();
    },
    destroy() {
      clearTimeout(timer);
      if (controller) controller.abort();
      if (suggestController) suggestController.abort();
    },
  };
}
