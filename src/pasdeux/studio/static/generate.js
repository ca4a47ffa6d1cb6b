// The generate panel: a model, a mode and its settings; results are kept in the library and played at once.
// The modes and their settings come from the registry (GET /api/modes): the form is built from it.
import { $, api, el, emit, on, q, state, withStatus } from './api.js';
import { describe } from './stage.js';

function mode() { return state.modes.modes.find((m) => m.name === $('gen-mode').value); }
function inputId(s) { return `gen-${(s.form && s.form.id) || s.name}`; }

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

// One field per setting: a slider, a list of choices, or a number box, with the registry's bounds and help.
function settingInput(s) {
  const f = s.form || {}, id = inputId(s);
  if (s.choices.length) {
    return [el('select', { id, title: s.help }, ...s.choices.map((c) => el('option', { value: c.value, textContent: c.label })))];
  }
  const lowest = f.min ?? s.minimum ?? s.above, highest = f.max ?? s.maximum;
  const input = el('input', { id, title: s.help, type: f.widget === 'range' ? 'range' : (s.type === 'file' ? 'text' : 'number') });
  if (lowest !== null && lowest !== undefined) input.min = lowest;
  if (highest !== null && highest !== undefined) input.max = highest;
  if (f.step) input.step = f.step;
  if (s.default !== null) input.value = s.default;
  if (f.placeholder) input.placeholder = f.placeholder;
  else if (s.type === 'file') input.placeholder = `a file of the library (${s.suffixes.join(' ')})`;
  if (f.width) input.style.width = f.width;
  if (f.widget !== 'range') return [input];
  const shown = el('output', { id: `${id}-value`, textContent: input.value });
  input.addEventListener('input', () => { shown.textContent = input.value; });
  return [input, ' ', shown];
}

function buildForm(registry) {
  $('gen-mode').replaceChildren(...registry.modes.map((m) => el('option', { value: m.name, dataset: { family: m.kind },
    textContent: m.label })));
  $('gen-settings').replaceChildren(...Object.values(registry.settings).map((s) => {
    const unit = s.unit && !(s.form && s.form.unit === '') ? ` ${s.unit}` : null;
    return el('label', { class: 'field', dataset: { setting: s.name }, title: s.help }, `${s.label} `,
      ...settingInput(s), unit);
  }));
}

function describePhrase(p) {
  return p ? describe(p) : 'not chosen';
}

function renderFields() {
  const m = mode();
  if (!m) return;
  for (const f of $('gen-settings').children) f.hidden = !m.settings.includes(f.dataset.setting);
  const box = $('gen-phrases');
  if (m.phrases === 1) box.textContent = `phrase: ${describePhrase(currentPhrase())} (select it on the timeline)`;
  else if (m.phrases === 2) box.textContent = `A: ${describePhrase(state.phraseA)} · B: ${describePhrase(state.phraseB)}`;
  else box.textContent = '';
}

// What the API takes: the phrase's frames in its own file (the page worked them out from seconds and its rate).
function span(p) { return p ? { path: p.path, dancer: p.dancer, start: p.start, frames: p.frames } : null; }

function currentPhrase() { return state.phrase || null; }

// The mode's settings as the API takes them; an empty field (no seed, the phrase's dancer leads) is left out.
function body() {
  const m = mode();
  const b = { mode: m.name, model: $('gen-model').value };
  for (const name of m.settings) {
    const s = state.modes.settings[name], value = $(inputId(s)).value;
    if (value === '') continue;
    b[name] = s.type === 'int' || s.type === 'float' ? Number(value) : value;
  }
  if (m.phrases === 1) b.source = span(currentPhrase());
  if (m.phrases === 2) { b.source = span(state.phraseA); b.source_b = span(state.phraseB); }
  return b;
}

function addResult(out) {
  const p = out.provenance;
  const listed = (state.modes.modes.find((m) => m.name === p.mode) || { settings: [] }).settings;
  const params = [...listed.filter((k) => k !== 'seed'), 'frames', 'seed'].filter((k) => p[k] !== undefined)
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

export async function setup() {
  state.modes = await api('GET', '/api/modes');
  buildForm(state.modes);
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
