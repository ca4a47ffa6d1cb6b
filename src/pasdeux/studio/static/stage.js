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
  state.selection.dancer = Math.min(state.selection.dancer, dancers.length - 1);
  $('sel-dancer').value = String(state.selection.dancer);
  place();
  phraseLoop = false;
  drawSelection(!keepPhrase);
  drawSections(entry);
}

// The parts a result is made of (a transition: phrase A, the generated bridge, phrase B), from its provenance.
export function sectionsOf(entry) {
  const list = entry && entry.provenance && entry.provenance.sections;
  if (!Array.isArray(list)) return [];
  return list.filter((p) => p && typeof p.name === 'string' && Number.isFinite(p.start) && Number.isFinite(p.end)
    && p.end > p.start);
}

export function sectionsText(sections, fps) {
  return sections.map((p) => `${p.name} ${seconds(p.start, fps)} – ${seconds(p.end, fps)}`).join(' · ');
}

// Marked on the timeline, labelled, so the bridge can be found and played on its own.
function drawSections(entry) {
  const n = frames(), list = sectionsOf(entry);
  $('marks').replaceChildren(...list.map((p) => {
    const mark = el('div', { class: `mark ${p.name === 'bridge' ? 'bridge' : 'given'}`, dataset: { section: p.name },
      title: `${p.name}: ${sectionsText([p], state.payload.fps)}` }, el('span', { textContent: p.name }));
    Object.assign(mark.style, { left: `${(100 * p.start) / n}%`, width: `${(100 * (p.end - p.start)) / n}%` });
    return mark;
  }));
}

function ghostChoices(entry, chosen) {
  const sel = $('ghost-select');
  const opts = [el('option', { value: '', textContent: 'none' })];
  const mode = entry && entry.kind === 'generated' && entry.provenance ? entry.provenance.mode : null;
  const made = state.modes.modes.find((m) => m.name === mode);  // what the registry shows this mode over
  if (made && made.ghost && made.ghost_on_reopen) opts.push(el('option', { value: '@source', textContent: made.ghost }));
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
    $('marks').replaceChildren();
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
    $('marks').replaceChildren();
    $('viewer').replaceChildren(el('p', { class: 'empty error', textContent: `${entry.path} cannot be shown: ${err.message}` }));
    say(`${entry.path}: ${err.message}`, true);
  }
}

// A phrase as the user reads it: its file, dancer and seconds.
export function describe(p) {
  return `${p.path}, dancer ${p.dancer + 1}, ${seconds(p.start, p.fps)} – ${seconds(p.start + p.frames, p.fps)}`;
}

export function phrase() {
  if (!state.viewing) return null;
  const s = state.selection;
  return { path: state.viewing.path, dancer: s.dancer, start: s.start, frames: s.frames, fps: state.payload.fps };
}

// The phrase is kept in seconds, as the user sets it; its frames are worked out with each file's own rate, so a
// phrase carried to a file at another rate covers the same time (1 s is 120 frames of a 120 fps take, 30 of 30).
function place() {
  const n = frames(), s = state.selection;
  if (!n) return;
  const fps = state.payload.fps;
  s.frames = Math.max(1, Math.min(Math.round(s.length_s * fps), n));
  s.start = Math.max(0, Math.min(Math.round(s.start_s * fps), n - s.frames));
}

// From frames chosen on the timeline (a drag, "start here"): the seconds they cover become the phrase.
function setFrames(start, length) {
  const n = frames();
  if (!n) return;
  const fps = state.payload.fps, len = Math.max(1, Math.min(Math.round(length), n));
  state.selection.length_s = len / fps;
  state.selection.start_s = Math.max(0, Math.min(Math.round(start), n - len)) / fps;
  place();
  drawSelection(true);
}

// From the seconds typed in the start and length boxes.
function setSeconds(start, length) {
  if (!frames() || !Number.isFinite(start) || !Number.isFinite(length)) { drawSelection(false); return; }
  state.selection.start_s = Math.max(0, start);
  state.selection.length_s = Math.max(0, length);
  place();
  const fps = state.payload.fps;  // what the file allows (a phrase longer than the file is the whole file)
  state.selection.length_s = state.selection.frames / fps;
  state.selection.start_s = state.selection.start / fps;
  drawSelection(true);
}

function drawSelection(choose) {
  const n = frames(), s = state.selection;
  if (!n) return;
  const fps = state.payload.fps;
  $('sel-start').value = +(s.start / fps).toFixed(2);
  $('sel-length').value = +(s.frames / fps).toFixed(2);
  const sel = $('sel');
  sel.style.left = `${(100 * s.start) / n}%`;
  sel.style.width = `${(100 * s.frames) / n}%`;
  $('sel-time').textContent = `${seconds(s.start, fps)} – ${seconds(s.start + s.frames, fps)} (frames ${s.start}–${s.start + s.frames} `
    + `at ${+fps.toFixed(2)} fps)`;
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
    if (e.target === sel) drag = { mode: 'move', offset: f - state.selection.start };
    else { drag = { mode: 'new', anchor: f }; setFrames(f, 1); }
    // Capture keeps the drag going outside the track. It is the one call here that can throw (a pointer the
    // browser no longer holds as active), so it comes last and may fail: a fresh-clone test run once saw a drag
    // leave the phrase where it was.
    try { track.setPointerCapture(e.pointerId); } catch { /* the drag goes on without capture */ }
  });
  track.addEventListener('pointermove', (e) => {
    if (!drag) return;
    const f = frameAt(e);
    if (drag.mode === 'move') setFrames(f - drag.offset, state.selection.frames);
    else setFrames(Math.min(drag.anchor, f), Math.abs(f - drag.anchor) + 1);
  });
  track.addEventListener('pointerup', () => {
    if (drag && state.viewer) state.viewer.seek(state.selection.start);
    drag = null;
  });
  const typed = () => setSeconds(parseFloat($('sel-start').value), parseFloat($('sel-length').value));
  $('sel-start').addEventListener('change', typed);
  $('sel-length').addEventListener('change', typed);
  $('sel-dancer').addEventListener('change', () => { state.selection.dancer = Number($('sel-dancer').value); drawSelection(true); });
  $('sel-here').addEventListener('click', () => {
    if (state.viewer) setFrames(state.viewer.state().frame, state.selection.frames);
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
      say(`phrase ${which}: ${describe(p)}`);
      emit('phrases');
    });
  }
  on('motion-selected', (entry) => show(entry));
  on('show-payload', ({ payload, entry }) => { showing += 1; mount(payload, entry, true); ghostChoices(entry, '@source'); });
  $('ghost-select').addEventListener('change', () => { if (state.viewing) show(state.viewing, $('ghost-select').value); });
  requestAnimationFrame(tick);
}
