// The generate panel: a model, a mode and its settings; results are kept in the library and played at once.
import { $, api, el, emit, on, state, withStatus } from './api.js';

const NEEDS = { variations: 1, interpolate: 2, transition: 2, prior: 0, long: 0 };

function models() { return state.library.models.filter((m) => m.trained); }

function renderModels() {
  const sel = $('gen-model'), keep = sel.value;
  const list = models();
  sel.replaceChildren(...list.map((m) => el('option', { value: m.path,
    textContent: `${m.path} (${m.family || 'model'}${m.skeleton ? `, ${m.skeleton}` : ''})` })));
  if (!list.length) sel.append(el('option', { value: '', textContent: 'no trained model: train one first' }));
  if (list.some((m) => m.path === keep)) sel.value = keep;
}

function describePhrase(p) {
  return p ? `${p.path}, dancer ${p.dancer + 1}, frames ${p.start}–${p.start + p.frames}` : 'not chosen';
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

function currentPhrase() { return state.phrase || null; }

function body() {
  const mode = $('gen-mode').value;
  const b = { mode, model: $('gen-model').value, sigma: Number($('gen-sigma').value), n: Number($('gen-n').value),
    seconds: Number($('gen-seconds').value), steps: Number($('gen-steps').value), frames: Number($('gen-bridge').value) };
  const seed = $('gen-seed').value;
  if (seed !== '') b.seed = Number(seed);
  if (NEEDS[mode] === 1) b.source = currentPhrase();
  if (NEEDS[mode] === 2) { b.source = state.phraseA; b.source_b = state.phraseB; }
  return b;
}

function addResult(out) {
  const p = out.provenance;
  const params = ['sigma', 'n', 'seconds', 'steps', 'frames', 'seed'].filter((k) => p[k] !== undefined)
    .map((k) => `${k} ${p[k]}`).join(', ');
  const item = el('li', { dataset: { path: out.motion.path },
    onclick: () => emit('show-payload', { payload: out.payload, entry: out.motion }) },
  el('div', { class: 'name', textContent: out.motion.path }),
  el('div', { class: 'meta', textContent: `${p.mode} · ${params}` }));
  $('gen-results').prepend(item);
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
  });
  on('library', () => { renderModels(); renderFields(); });
  on('selection', renderFields);
  on('phrases', renderFields);
  renderFields();
}
