// The single-page shell: routes page URLs to views, keeps links inside the
// app (history API, so back/forward work), the global `/` shortcut, the
// language switch and the problems count in the header.

import { applyStatic, lang, setLang, t } from './i18n.js';
import * as api from './api.js';
import { h, replace } from './dom.js';
import { searchView } from './search.js';
import { docView } from './doc.js';
import { handoversView, handoverView } from './handover.js';
import { problemsView } from './problems.js';

const main = document.getElementById('main');
// Views restore their own scroll position once their content is loaded.
history.scrollRestoration = 'manual';
/** The mounted view: { route, update(url)?, destroy()? }. */
let current = null;

function routeOf(path) {
  if (path === '/' || path === '/index.html') return { name: 'search' };
  if (path.startsWith('/doc/')) return { name: 'doc', id: path.slice(5) };
  if (path === '/handovers') return { name: 'handovers' };
  if (path.startsWith('/handover/')) return { name: 'handover', id: path.slice(10) };
  if (path === '/problems') return { name: 'problems' };
  return { name: 'notfound' };
}

const VIEWS = {
  search: searchView,
  doc: docView,
  handovers: handoversView,
  handover: handoverView,
  problems: problemsView,
  notfound: (root) => {
    replace(root, h('section', { class: 'page narrow' }, h('h1', null, t('notFound')),
      h('p', null, h('a', { href: '/', 'data-nav': true }, t('home')))));
    return {};
  },
};

/** Renders the page for the current URL. */
function render({ focus = false } = {}) {
  const url = new URL(location.href);
  const route = routeOf(url.pathname);
  for (const a of document.querySelectorAll('.mainnav a[data-route]')) {
    const on = a.dataset.route === route.name || (a.dataset.route === 'handovers' && route.name === 'handover');
    if (on) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (current && current.route === route.name && current.update && current.key === (route.id ?? '')) {
    current.update(url);
    return;
  }
  if (current && current.destroy) current.destroy();
  main.replaceChildren();
  const view = VIEWS[route.name](main, url, route) || {};
  current = { ...view, route: route.name, key: route.id ?? '' };
  if (focus && route.name !== 'search') main.focus({ preventScroll: true });
}

/** Goes to an app URL (pushState), or replaces the current entry. */
export function navigate(href, { replace: rep = false } = {}) {
  const url = new URL(href, location.href);
  // Remember where we were on this entry, so back can return there.
  const active = document.activeElement;
  history.replaceState({ ...(history.state || {}), scrollY: window.scrollY,
    focusHref: active && active.tagName === 'A' ? active.getAttribute('href') : null }, '');
  if (rep) history.replaceState(history.state, '', url);
  else history.pushState({ app: true }, '', url);
  render({ focus: true });
  if (!rep && !url.hash) window.scrollTo(0, 0);
}

// Same-origin links to pages stay inside the app.
document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname.startsWith('/static/') || url.pathname === '/metrics') return;
  if (url.pathname === location.pathname && url.search === location.search && url.hash) return;
  e.preventDefault();
  navigate(url.href);
});

window.addEventListener('popstate', () => render());

// `/` focuses the search box from anywhere but a text field.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const el = document.activeElement;
  if (el && (el.tagName === 'INPUT' || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT' || el.isContentEditable)) return;
  e.preventDefault();
  const box = document.getElementById('q');
  if (box) {
    box.focus();
    box.select();
  } else {
    navigate('/');
    document.getElementById('q')?.focus();
  }
});

const langSelect = document.getElementById('lang');
langSelect.value = lang();
langSelect.addEventListener('change', () => {
  setLang(langSelect.value);
  applyStatic();
  document.getElementById('signout')?.remove();
  showSignout();
  // Views rebuild their text from scratch in the new language.
  if (current && current.destroy) current.destroy();
  current = null;
  render();
});

// A server that requires a token for reads answers 401: ask for one once,
// keep it for this tab, and show the page again with it.
let asking = false;
window.addEventListener('baton:auth-required', (event) => {
  if (asking) return;
  asking = true;
  const input = h('input', { id: 'read-token', type: 'password', autocomplete: 'off', required: true });
  const form = h('form', { class: 'signin card', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signinTitle')),
    h('p', null, api.token() ? t('signinRejected') : event.detail && event.detail.reason === 'restricted' ? t('maybeRestricted') : t('signinIntro')),
    h('p', { class: 'token-row' }, h('label', { for: 'read-token' }, t('token')), input,
      h('button', { type: 'submit', class: 'btn' }, t('signin'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    api.setToken(input.value.trim());
    asking = false;
    if (current && current.destroy) current.destroy();
    current = null;
    render();
    refreshHealth();
    showSignout();
  });
  if (current && current.destroy) current.destroy();
  current = null;
  replace(main, form);
  input.focus();
});

/** The header's sign-out button while this tab holds a token. */
function showSignout() {
  const nav = document.querySelector('.mainnav');
  let btn = document.getElementById('signout');
  if (!api.token()) { btn?.remove(); return; }
  if (btn) return;
  btn = h('button', { type: 'button', id: 'signout', class: 'signout', onclick: () => { api.setToken(''); showSignout(); render(); } }, t('signout'));
  nav.after(btn);
}

/** The header's problems count, and a notice while the service is degraded. */
async function refreshHealth() {
  try {
    const health = await api.health();
    const link = document.querySelector('.problems-link');
    const n = Number(health.problems) || 0;
    document.getElementById('problem-count').textContent = String(n);
    link.hidden = n === 0;
    showDegraded(health);
  } catch { /* the header works without it */ }
}

/** Says why searches may be stale (`/api/health` status `degraded`). */
function showDegraded(health) {
  document.getElementById('health-notice')?.remove();
  const reasons = [];
  if (health.index_error) reasons.push(h('p', null, t('degradedIndex'), String(health.index_error)));
  if (health.corpus_error) reasons.push(h('p', null, t('degradedCorpus'), String(health.corpus_error)));
  if (!reasons.length) return;
  document.querySelector('header.topbar').after(h('div', { id: 'health-notice', class: 'notice health-notice', role: 'status' }, ...reasons));
}

applyStatic();
render();
refreshHealth();
showSignout();
window.__batonReady = true;
