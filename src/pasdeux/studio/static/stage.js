// The stage: the pasdeux viewer component playing the chosen motion, and the timeline selecting a phrase.
import { $, api, el, emit, on, q, say, seconds, state } from './api.js';

let phraseLoop = false;
let drag = null;

function frames() { return state.payload ? state.payload.frames : 0; }

// `keepPhrase`: a generated result is shown without making it the phrase that the next generation starts from.
export function mount(payload, entry, keepPhrase = false) {
  if (state.viewer) { state.viewer.dispose(); state.viewer = null; }
  const box = $('viewer');
  box.replaceChildren();
  state.payload = payload;
  state.viewing = entry;
  state.viewer = PasdeuxViewer.createViewer(box, payload, { autoplay: true });
  window.studioViewer = state.viewer;  // for tests and the console
  const dancers = payload.figures.filter((f) => !f.ghost).map((f) => f.label);
  $('sel-dancer').replaceChildren(...dancers.map((label, i) => el('option', { value: i, textContent: label })));
  const s = state.selection;
  s.dancer = Math.min(s.dancer, dancers.length - 1);
  $('sel-dancer').value = String(s.dancer);
  s.frames = Math.max(1, Math.min(s.frames, payload.frames));
  s.start = Math.max(0, Math.min(s.start, payload.frames - s.frames));
  phraseLoop = false;
  drawSelection(!keepPhrase);
}

function ghostChoices(entry, chosen) {
  const sel = $('ghost-select');
  const opts = [el('option', { value: '', textContent: 'none' })];
  const mode = entry && entry.kind === 'generated' && entry.provenance ? entry.provenance.mode : null;
  if (mode === 'variations') opts.push(el('option', { value: '@source', textContent: 'its source phrase' }));
  if (mode === 'partner') opts.push(el('option', { value: '@source', textContent: 'the real partner' }));
  for (const m of state.library.motions) {
    if (m.kind !== 'unreadable' && (!entry || m.path !== entry.path)) opts.push(el('option', { value: m.path, textContent: m.path }));
  }
  sel.replaceChildren(...opts);
  sel.value = opts.some((o) => o.value === chosen) ? chosen : '';
}

let showing = 0;  // the latest request to show something: an answer to an earlier one arrives too late to show

async function show(entry, ghost = null) {
  const ticket = ++showing;
  if (!entry) {
    if (state.viewer) state.viewer.dispose();
    state.viewer = null; state.payload = null;
    $('viewer').replaceChildren(el('p', { class: 'empty', textContent: 'Choose a motion in the library.' }));
    return;
  }
  // A generated variation shows its source phrase under it unless another ghost is chosen.
  const chosen = ghost !== null ? ghost : (entry.kind === 'generated' ? '@source' : '');
  const params = chosen === '@source' ? { with_source: true } : { ghost: chosen };
  try {
    const payload = await api('GET', `/api/motions/payload?${q({ path: entry.path, ...params })}`);
    if (ticket !== showing) return;  // another motion was chosen (or this one deleted) meanwhile
    mount(payload, entry, ghost !== null);
    ghostChoices(entry, chosen);
  } catch (err) {
    if (ticket !== showing) return;
    // Nothing stale: the motion shown before is not left on the stage under the new one's name.
    if (state.viewer) state.viewer.dispose();
    state.viewer = null; state.payload = null; state.viewing = null;
    $('viewer').replaceChildren(el('p', { class: 'empty error', textContent: `${entry.path} cannot be shown: ${err.message}` }));
    say(`${entry.path}: ${err.message}`, true);
  }
}

export function phrase() {
  if (!state.viewing) return null;
  const s = state.selection;
  return { path: state.viewing.path, dancer: s.dancer, start: s.start, frames: s.frames };
}

function setSelection(start, length) {
  // every change made on the timeline chooses the phrase
  const n = frames();
  if (!n) return;
  const len = Math.max(1, Math.min(Math.round(length), n));
  state.selection.frames = len;
  state.selection.start = Math.max(0, Math.min(Math.round(start), n - len));
  drawSelection(true);
}

function drawSelection(choose) {
  const n = frames(), s = state.selection;
  $('sel-start').value = s.start;
  $('sel-frames').value = s.frames;
  if (!n) return;
  const sel = $('sel');
  sel.style.left = `${(100 * s.start) / n}%`;
  sel.style.width = `${(100 * s.frames) / n}%`;
  const fps = state.payload.fps;
  $('sel-time').textContent = `${seconds(s.start, fps)} – ${seconds(s.start + s.frames, fps)}`;
  if (choose) { state.phrase = phrase(); emit('selection', state.phrase); }
}

function frameAt(e) {
  const r = $('track').getBoundingClientRect();
  return Math.round(((e.clientX - r.left) / r.width) * frames());
}

function tick() {
  requestAnimationFrame(tick);
  const v = state.viewer;
  if (!v) return;
  const st = v.state(), n = frames();
  $('head').style.left = `${(100 * Math.max(st.frame, 0)) / Math.max(n, 1)}%`;
  const s = state.selection;
  if (!st.playing) phraseLoop = false;  // pausing ends "play phrase"
  if (phraseLoop && st.playing && (st.frame >= s.start + s.frames - 1 || st.frame < s.start)) v.seek(s.start);
}

export function setup() {
  const track = $('track'), sel = $('sel');
  track.addEventListener('pointerdown', (e) => {
    if (!frames()) return;
    const f = frameAt(e);
    track.setPointerCapture(e.pointerId);
    if (e.target === sel) drag = { mode: 'move', offset: f - state.selection.start };
    else { drag = { mode: 'new', anchor: f }; setSelection(f, 1); }
  });
  track.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const f = frameAt(e);
    if (drag.mode === 'move') setSelection(f - drag.offset, state.selection.frames);
    else setSelection(Math.min(drag.anchor, f), Math.abs(f - drag.anchor) + 1);
  });
  track.addEventListener('pointerup', () => {
    if (drag && state.viewer) state.viewer.seek(state.selection.start);
    drag = null;
  });
  $('sel-start').addEventListener('change', () => setSelection(Number($('sel-start').value), state.selection.frames));
  $('sel-frames').addEventListener('change', () => setSelection(state.selection.start, Number($('sel-frames').value)));
  $('sel-dancer').addEventListener('change', () => { state.selection.dancer = Number($('sel-dancer').value); drawSelection(true); });
  $('sel-here').addEventListener('click', () => {
    if (state.viewer) setSelection(state.viewer.state().frame, state.selection.frames);
  });
  $('sel-play').addEventListener('click', () => {
    if (!state.viewer) return;
    phraseLoop = true;
    state.viewer.seek(state.selection.start);
    state.viewer.play();
  });
  for (const which of ['A', 'B']) {
    $(`sel-${which.toLowerCase()}`).addEventListener('click', () => {
      const p = phrase();  // what the timeline shows now
      if (!p) return;
      state[`phrase${which}`] = p;
      say(`phrase ${which}: ${p.path}, dancer ${p.dancer + 1}, frames ${p.start}–${p.start + p.frames}`);
      emit('phrases');
    });
  }
  on('motion-selected', (entry) => show(entry));
  on('show-payload', ({ payload, entry }) => { showing += 1; mount(payload, entry, true); ghostChoices(entry, '@source'); });
  $('ghost-select').addEventListener('change', () => { if (state.viewing) show(state.viewing, $('ghost-select').value); });
  requestAnimationFrame(tick);
}
