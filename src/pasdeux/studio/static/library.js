// The library panel: motions and models, upload, the info panel (what `pasdeux info` prints), rename, delete.
import { $, api, el, emit, on, q, say, state, withStatus } from './api.js';
import { sectionsOf, sectionsText } from './stage.js';

export async function refresh() {
  state.library = await api('GET', '/api/library');
  $('library-root').textContent = `library: ${state.library.root}`;
  if (state.current) state.current = entry(state.current.path) || state.current;
  render();
  emit('library', state.library);
  await renderTrash();
}

// The trash: what was deleted, from where and when, each with Restore; emptied only by its own button.
async function renderTrash() {
  let items = [];
  try { items = await api('GET', '/api/trash'); } catch (err) { say(err.message, true); }
  $('trash-summary').textContent = items.length ? `Trash (${items.length})` : 'Trash (empty)';
  $('trash-list').replaceChildren(...items.map((t) => el('li', { dataset: { id: t.id, path: t.path } },
    el('div', { class: 'name', textContent: t.name },
      el('button', { type: 'button', class: 'restore', textContent: 'Restore', onclick: () => restore(t) })),
    el('div', { class: 'meta', textContent: `${t.kind} from ${t.path} · deleted ${t.deleted}` }))));
  const empty = $('trash-empty');
  empty.disabled = !items.length;
  empty.dataset.count = String(items.length);
}

async function restore(t) {
  try {
    const out = await api('POST', '/api/trash/restore', { id: t.id });
    say(`restored ${t.name} as ${out.path}`);
    await refresh();
    if (t.kind === 'motion') await choose(out.path);
  } catch (err) { say(err.message, true); }
}

// A button that asks again, naming what it will do, before it does it (a second click within 6 s confirms).
export function confirmTwice(button, what, question, action) {
  if (button.dataset.armed !== what) {
    button.dataset.armed = what;
    button.dataset.label = button.dataset.label || button.textContent;
    button.textContent = question;
    clearTimeout(Number(button.dataset.timer));
    button.dataset.timer = String(setTimeout(() => disarm(button), 6000));
    return;
  }
  disarm(button);
  action();
}

export function disarm(button) {
  button.dataset.armed = '';
  if (button.dataset.label) button.textContent = button.dataset.label;
}

// Move a motion or run to the trash; says so, with where to get it back.
export async function trash(path) {
  try {
    await api('POST', '/api/library/delete', { path });
    say(`moved ${path} to the trash (Library → Trash restores it)`);
    return true;
  } catch (err) { say(err.message, true); return false; }
}

function motionMeta(m) {
  if (m.kind === 'unreadable') return m.error;
  const p = m.provenance || {};
  // Variations are several takes of one phrase, not a group of dancers.
  const who = p.mode === 'variations' ? `${m.dancers} variation${m.dancers === 1 ? '' : 's'} of a solo phrase`
    : m.dancers === 1 ? 'solo' : `${m.dancers} dancers`;
  const warned = p.extract && Array.isArray(p.extract.warnings) && p.extract.warnings.length ? ' · ⚠ parts not seen in the video' : '';
  return `${who} · ${m.duration_s.toFixed(1)} s (${m.frames} frames) · ${m.skeleton}${warned}`;
}

function modelMeta(m) {
  const st = m.status && m.status.state;
  const parts = [m.family || 'model', m.skeleton, m.window ? `window ${m.window}` : null];
  if (!m.trained) parts.push(st === 'running' ? 'training' : 'no model yet');
  return parts.filter(Boolean).join(' · ');
}

function render() {
  const list = $('motion-list');
  list.replaceChildren(...state.library.motions.map((m) => el('li', {
    class: state.current && state.current.path === m.path ? 'current' : '', dataset: { path: m.path },
    onclick: () => choose(m.path),
  }, el('div', { class: 'name' }, m.path, el('span', { class: `badge ${m.kind}`, textContent: m.kind })),
  el('div', { class: 'meta', textContent: motionMeta(m) }))));
  if (!state.library.motions.length) list.append(el('li', { class: 'meta', textContent: 'no motion files yet' }));
  renderPairChoices();
  renderPickChoices();
  const models = $('model-list');
  models.replaceChildren(...state.library.models.map((m) => {
    const st = (m.status && m.status.state) || (m.trained ? 'done' : 'unknown');
    return el('li', { dataset: { path: m.path }, onclick: () => emit('run-selected', m.path) },
      el('div', { class: 'name' }, m.path, el('span', { class: `badge ${st}`, textContent: m.kind === 'run' ? st : 'model' })),
      el('div', { class: 'meta', textContent: modelMeta(m) }));
  }));
  if (!state.library.models.length) models.append(el('li', { class: 'meta', textContent: 'no models yet: train one' }));
}

// The solo files offered for pairing (each keeps its choice across refreshes).
function renderPairChoices() {
  const solos = state.library.motions.filter((m) => m.kind !== 'unreadable' && m.dancers === 1);
  for (const [id, k] of [['pair-a', 0], ['pair-b', 1]]) {
    const sel = $(id), keep = sel.value;
    sel.replaceChildren(...solos.map((m) => el('option', { value: m.path,
      textContent: `${m.path} (${m.duration_s.toFixed(1)} s, ${+Number(m.fps).toFixed(2)} fps)` })));
    if (solos.some((m) => m.path === keep)) sel.value = keep;
    else if (solos[k]) sel.value = solos[k].path;
  }
  $('pair-button').disabled = solos.length < 2;
}

// The files with two dancers or more, whose dancers can be picked as a couple.
function renderPickChoices() {
  const groups = state.library.motions.filter((m) => m.kind !== 'unreadable' && m.dancers >= 2);
  const sel = $('pick-file'), keep = sel.value;
  sel.replaceChildren(...groups.map((m) => el('option', { value: m.path,
    textContent: `${m.path} (${m.dancers} dancers, ${m.duration_s.toFixed(1)} s)` })));
  if (groups.some((m) => m.path === keep)) sel.value = keep;
  $('pick-button').disabled = !groups.length;
  const chosen = entry(sel.value);
  for (const id of ['pick-a', 'pick-b']) $(id).max = chosen ? chosen.dancers : 2;
}

// The page counts dancers from 1, the API from 0.
async function pickDancers() {
  const path = $('pick-file').value, a = Number($('pick-a').value), b = Number($('pick-b').value);
  const out = await withStatus($('pick-status'), `picking dancers ${a} and ${b} of ${path}…`, $('pick-button'),
    () => api('POST', '/api/library/pick', { path, dancers: [a - 1, b - 1] }));
  if (!out) return;
  $('pick-status').textContent = `${out.path}: dancer ${a} of ${path} is dancer 1, its dancer ${b} dancer 2; train the duet recipe on it`;
  await refresh();
  await choose(out.path);
  emit('paired', out.path);
}

async function pairFiles() {
  const a = $('pair-a').value, b = $('pair-b').value;
  const out = await withStatus($('pair-status'), `pairing ${a} and ${b}…`, $('pair-button'),
    () => api('POST', '/api/library/pair', { a, b }));
  if (!out) return;
  $('pair-status').textContent = `${out.path}: ${a} is dancer 1, ${b} dancer 2; train the duet recipe on it`;
  await refresh();
  await choose(out.path);
  emit('paired', out.path);
}

export function entry(path) { return state.library.motions.find((m) => m.path === path) || null; }

export async function choose(path) {
  const m = entry(path);
  if (!m) return;
  if (m.kind === 'unreadable') { say(`${path}: ${m.error}`, true); return; }
  select(m);
  emit('motion-selected', m);
}

// Make a motion the one the info panel, rename box and Delete act on (a result just generated, too).
function select(m) {
  state.current = m;
  disarm($('delete-button'));
  render();
  showInfo(m.path);
}

async function showInfo(path) {
  const panel = $('info-panel');
  $('info-title').textContent = path;
  $('rename-input').value = path.split('/').pop();
  $('delete-button').title = `move ${path} to the trash`;
  try {
    const info = await api('GET', `/api/motions/info?${q({ path })}`);
    panel.hidden = false;
    $('info-title').textContent = path;
    $('info-text').textContent = info.text;
    $('rename-input').value = path.split('/').pop();
    const prov = info.provenance;
    const m = entry(path) || state.current, parts = sectionsOf({ provenance: prov });
    const fps = m && m.fps ? m.fps : 30;
    const warned = prov && prov.extract && Array.isArray(prov.extract.warnings) ? prov.extract.warnings : [];
    $('info-provenance').replaceChildren(...warned.map((w) => el('p', { class: 'warning', textContent: `warning: ${w}` })),
      ...(parts.length ? [el('p', { class: 'sections', textContent: sectionsText(parts, fps) })] : []),
      ...(prov ? [el('h3', { textContent: 'provenance' }), el('pre', { textContent: JSON.stringify(prov, null, 1) })] : []));
    $('again-button').hidden = !prov;
  } catch (err) { say(err.message, true); }
}

async function upload(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  say(`adding ${file.name}…`);
  try {
    const added = await api('POST', '/api/motions', form);
    say(`added ${added.path}`);
    await refresh();
    await choose(added.path);
  } catch (err) { say(err.message, true); }
}

// A video: uploaded, extracted in the studio's own process, watched until its motion joins the library.
async function extractVideo(file) {
  const form = new FormData();
  form.append('file', file, file.name);
  form.append('dancers', $('video-dancers').value);
  form.append('model', $('video-model').value);
  const status = $('video-status'), bar = $('video-bar');
  status.className = 'status busy';
  status.textContent = `sending ${file.name}…`;
  let job;
  try { job = (await api('POST', '/api/videos', form)).job; } catch (err) {
    status.className = 'status error'; status.textContent = err.message; return;
  }
  $('video-progress').hidden = false;
  for (;;) {
    let st;
    try { st = await api('GET', `/api/videos/status?${q({ job })}`); } catch (err) {
      status.className = 'status error'; status.textContent = err.message; return;
    }
    if (st.state === 'failed') { status.className = 'status error'; status.textContent = st.message; return; }
    if (st.state === 'done') {
      bar.style.width = '100%';
      // Parts the video did not show (legs of a head-and-shoulders video) are said, not shown as the dancer's.
      const warned = Array.isArray(st.warnings) ? st.warnings : [];
      status.className = warned.length ? 'status warning' : 'status';
      status.textContent = `extracted ${st.motion} (from ${st.video})${warned.map((w) => `\nwarning: ${w}`).join('')}`;
      await refresh();
      await choose(st.motion);
      return;
    }
    bar.style.width = st.total ? `${(100 * st.done) / st.total}%` : '5%';
    status.textContent = `extracting ${file.name}: frame ${st.done || 0}${st.total ? ` of ${st.total}` : ''}`;
    await new Promise((r) => setTimeout(r, 700));
  }
}

export function setup() {
  const video = $('video-input');
  video.addEventListener('change', () => { if (video.files[0]) extractVideo(video.files[0]); video.value = ''; });
  const zone = $('upload-zone'), input = $('upload-input');
  input.addEventListener('change', () => { if (input.files[0]) upload(input.files[0]); input.value = ''; });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault(); zone.classList.remove('over');
    if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]);
  });
  $('pair-button').addEventListener('click', pairFiles);
  $('pick-button').addEventListener('click', pickDancers);
  $('pick-file').addEventListener('change', renderPickChoices);
  $('rename-button').addEventListener('click', async () => {
    if (!state.current) return;
    try {
      const out = await api('POST', '/api/library/rename', { path: state.current.path, name: $('rename-input').value });
      say(`renamed to ${out.path}`);
      await refresh();
      await choose(out.path);
    } catch (err) { say(err.message, true); }
  });
  const del = $('delete-button');
  del.addEventListener('click', () => {
    if (!state.current) return;
    const path = state.current.path;
    confirmTwice(del, path, `Move ${path.split('/').pop()} to the trash?`, async () => {
      if (!(await trash(path))) return;
      if (state.current && state.current.path === path) {
        state.current = null;
        $('info-panel').hidden = true;
        if (state.viewing && state.viewing.path === path) emit('motion-selected', null);
      }
      await refresh();
    });
  });
  const empty = $('trash-empty');
  empty.addEventListener('click', () => {
    const n = Number(empty.dataset.count || 0);
    if (!n) return;
    confirmTwice(empty, `empty-${n}`, `Delete ${n} item${n === 1 ? '' : 's'} for good?`, async () => {
      try {
        const out = await api('POST', '/api/trash/empty');
        say(`the trash is empty (${out.emptied} deleted for good)`);
      } catch (err) { say(err.message, true); }
      await refresh();
    });
  });
  on('show-payload', ({ entry: m }) => { if (m) select(m); });
  $('again-button').addEventListener('click', async () => {
    if (!state.current) return;
    try {
      const out = await api('POST', '/api/generate/again', { path: state.current.path });
      say(`${out.motion.path}: ${out.identical ? 'identical to the original' : `differs (max ${out.max_abs_diff})`}`
        + (out.changed_inputs.length ? `; changed since: ${out.changed_inputs.join(', ')}` : ''), !out.identical);
      await refresh();
      await choose(out.motion.path);
    } catch (err) { say(err.message, true); }
  });
  on('generated', refresh);
}
