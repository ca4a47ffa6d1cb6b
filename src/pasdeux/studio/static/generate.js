// The generate panel: a model, a mode and its settings; results are kept in the library and played at once.
import { $, api, el, emit, on, q, state, withStatus } from './api.js';
import { describe } from './stage.js';

const NEEDS = { variations: 1, interpolate: 2, transition: 2, prior: 0, long: 0, partner: 1, duet_prior: 0,
  duet_variations: 1 };

function models() { return state.library.models.filter((m) => m.trained); }

function renderModels() {
  const sel = $('gen-model'), keep = sel.value;
  const list = models();
  sel.replaceChildren(...list.map((m) => el('option', { value: m.path,
    textContent: `${m.path} (${m.family || 'model'}${m.skeleton ? `, ${m.skeleton}` : ''})` })));
  if (!list.length) sel.append(el('option', { value: '', textContent: 'no trained model: train one first' }));
  if (list.some((m) => m.path === keep)) sel.value = keep;
  renderModes();
}

// Duet models make partners and duets; solo models make the solo modes.
function renderModes() {
  const model = models().find((m) => m.path === $('gen-model').value);
  const family = model && model.family === 'duet' ? 'duet' : 'solo';
  const modes = [...$('gen-mode').options];
  for (const o of modes) o.hidden = o.dataset.family !== family;
  if ($('gen-mode').selectedOptions[0].hidden) $('gen-mode').value = modes.find((o) => !o.hidden).value;
  renderFields();
}

function describePhrase(p) {
  return p ? describe(p) : 'not chosen';
}

function renderFields() {
  const mode = $('gen-mode').value;
  for (const f of document.querySelectorAll('[data-pane=generate] [data-for]')) {
    f.hidden = !f.dataset.for.split(' ').includes(mode);
  }
  const box = $('gen-phrases');
  if (NEEDS[mode] === 1) box.textContent = `phrase: ${describePhrase(currentPhrase())} (select it on the timeline)`;
  else if (NEEDS[mode] === 2) box.textContent = `A: ${describePhrase(state.phraseA)} · B: ${describePhrase(state.phraseB)}`;
  else box.textContent = '';
}

// What the API takes: the phrase's frames in its own file (the page worked them out from seconds and its rate).
function span(p) { return p ? { path: p.path, dancer: p.dancer, start: p.start, frames: p.frames } : null; }

function currentPhrase() { return state.phrase || null; }

function body() {
  const mode = $('gen-mode').value;
  const b = { mode, model: $('gen-model').value, sigma: Number($('gen-sigma').value), n: Number($('gen-n').value),
    seconds: Number($('gen-seconds').value), steps: Number($('gen-steps').value), bridge_seconds: Number($('gen-bridge').value) };
  if ($('gen-direction').value) b.direction = $('gen-direction').value;
  const seed = $('gen-seed').value;
  if (seed !== '') b.seed = Number(seed);
  if (NEEDS[mode] === 1) b.source = span(currentPhrase());
  if (NEEDS[mode] === 2) { b.source = span(state.phraseA); b.source_b = span(state.phraseB); }
  return b;
}

function addResult(out) {
  const p = out.provenance;
  const params = ['sigma', 'n', 'seconds', 'bridge_seconds', 'steps', 'frames', 'direction', 'seed'].filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${p[k]}`).join(', ');
  const item = el('li', { dataset: { path: out.motion.path },
    onclick: () => emit('show-payload', { payload: out.payload, entry: out.motion }) },
  el('div', { class: 'name', textContent: out.motion.path }),
  el('div', { class: 'meta', textContent: `${p.mode} · ${params}` }));
  $('gen-results').prepend(item);
}

// The duet model's influence heatmap for the lead's file, beside the partner just made.
async function showInfluence(model, path, direction) {
  const box = $('gen-influence');
  const out = await withStatus($('gen-status'), 'measuring which body parts lead…', null,
    () => api('POST', '/api/influence', { model, path, direction }));
  if (!out) return;
  const src = `/api/influence/plot?${q({ id: out.id })}`;
  $('gen-influence-img').src = src;
  $('gen-influence-link').href = src;
  $('gen-influence-top').replaceChildren(...out.top.slice(0, 5).map((t) => el('li', {
    textContent: `${t.leader.replaceAll('_', ' ')} → ${t.partner.replaceAll('_', ' ')} (${(100 * Number(t.influence)).toPrecision(2)} cm)` })));
  box.hidden = false;
}

export function setup() {
  $('gen-sigma').addEventListener('input', () => { $('gen-sigma-value').textContent = $('gen-sigma').value; });
  $('gen-mode').addEventListener('change', renderFields);
  const button = $('gen-button');
  button.addEventListener('click', async () => {
    const b = body();
    if (!b.model) { $('gen-status').className = 'status error'; $('gen-status').textContent = 'train a model first'; return; }
    const out = await withStatus($('gen-status'), `generating ${b.mode}…`, button, () => api('POST', '/api/generate', b));
    if (!out) return;
    addResult(out);
    emit('show-payload', { payload: out.payload, entry: out.motion });
    emit('generated', out);
    if (b.mode === 'partner') showInfluence(b.model, b.source.path, out.provenance.direction);
  });
  $('gen-model').addEventListener('change', renderModes);
  on('library', () => { renderModels(); renderFields(); });
  on('selection', renderFields);
  on('phrases', renderFields);
  renderFields();
}
