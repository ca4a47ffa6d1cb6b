// The compare panel (the `pasdeux evaluate` report of a result against real dance) and the export panel.
import { $, api, el, on, q, seconds, state, withStatus } from './api.js';

function options(select, motions, keep) {
  select.replaceChildren(...motions.map((m) => el('option', { value: m.path, textContent: m.path })));
  if (motions.some((m) => m.path === keep)) select.value = keep;
}

function renderChoices() {
  const readable = state.library.motions.filter((m) => m.kind !== 'unreadable');
  options($('cmp-result'), readable.filter((m) => m.kind === 'generated'), $('cmp-result').value);
  options($('cmp-real'), readable.filter((m) => m.kind !== 'generated'), $('cmp-real').value);
}

function follow(entry) {
  if (!entry) return;
  if (entry.kind === 'generated') {
    $('cmp-result').value = entry.path;
    const p = entry.provenance || {};
    const src = p.source || p.source_a;
    if (src) $('cmp-real').value = src;
  }
  renderExports();
}

// One row per figure the result has (figures only a duet has are left out of a solo result's table), with what
// it means and which way is better beside the floor (real dance of the same dancers).
function table(report) {
  const names = Object.keys(report.rows);
  const result = names.find((n) => !/floor|reference|real/i.test(n)) || names[names.length - 1];
  const keys = [...new Set(names.flatMap((n) => Object.keys(report.rows[n])))]
    .filter((k) => report.rows[result][k] !== undefined && report.rows[result][k] !== null);
  const fmt = (v) => (v === undefined || v === null ? '–' : Number.isInteger(v) ? String(v) : Number(v).toPrecision(4));
  const meaning = (k) => report.meanings[k] || { meaning: '', better: '' };
  return el('table', { class: 'report' },
    el('thead', {}, el('tr', {}, el('th', { textContent: 'figure' }), ...names.map((n) => el('th', { textContent: n })),
      el('th', { textContent: 'better' }))),
    el('tbody', {}, ...keys.map((k) => el('tr', { dataset: { metric: k } },
      el('td', {}, el('b', { textContent: k }), el('div', { class: 'meaning', textContent: meaning(k).meaning })),
      ...names.map((n) => el('td', { textContent: fmt(report.rows[n][k]) })),
      el('td', { class: 'better', textContent: meaning(k).better })))));
}

// A plot opened full size over the page; a click or Escape closes it.
function enlarge(src, alt) {
  const box = el('div', { class: 'lightbox', role: 'dialog', title: 'click to close' }, el('img', { src, alt }));
  const close = () => { box.remove(); document.removeEventListener('keydown', onKey); };
  const onKey = (e) => { if (e.key === 'Escape') close(); };
  box.addEventListener('click', close);
  document.addEventListener('keydown', onKey);
  document.body.append(box);
}

async function compare() {
  const body = { result: $('cmp-result').value, real: $('cmp-real').value || null };
  if (!body.result) { $('cmp-status').className = 'status error'; $('cmp-status').textContent = 'generate a result first'; return; }
  const report = await withStatus($('cmp-status'), 'scoring…', $('cmp-button'), () => api('POST', '/api/compare', body));
  if (!report) return;
  $('cmp-table').replaceChildren(el('p', { class: 'muted', textContent: `Reference: ${report.reference}. Floor: ${report.floor}.` }),
    el('div', { class: 'scroll' }, table(report)));
  $('cmp-plots').replaceChildren(...report.plots.map((name) => {
    const src = `/api/compare/plot?${q({ id: report.id, name })}`;
    return el('a', { href: src, title: 'click to see it full size',
      onclick: (e) => { e.preventDefault(); enlarge(src, name); } }, el('img', { src, alt: name }));
  }));
}

function renderExports() {
  const m = state.viewing;
  const box = $('exp-links');
  if (!m) { box.replaceChildren(); return; }
  const phraseOnly = $('exp-phrase').checked, s = state.selection;
  const fps = state.payload ? state.payload.fps : 30;
  $('exp-what').textContent = phraseOnly ? `${m.path}, ${seconds(s.start, fps)} – ${seconds(s.start + s.frames, fps)}` : m.path;
  box.replaceChildren(...['npz', 'bvh', 'csv', 'gif', 'mp4', 'html'].map((format) => el('a', {
    href: `/api/motions/export?${q({ path: m.path, format, start: phraseOnly ? s.start : null, frames: phraseOnly ? s.frames : null })}`,
    textContent: format.toUpperCase(), download: '', dataset: { format } })));
}

export function setup() {
  $('cmp-button').addEventListener('click', compare);
  $('exp-phrase').addEventListener('change', renderExports);
  on('library', renderChoices);
  on('motion-selected', follow);
  on('show-payload', ({ entry }) => follow(entry));
  on('selection', renderExports);
}
