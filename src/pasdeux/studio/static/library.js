// The library panel: motions and models, upload, the info panel (what `pasdeux info` prints), rename, delete.
import { $, api, el, emit, on, q, say, state } from './api.js';

export async function refresh() {
  state.library = await api('GET', '/api/library');
  $('library-root').textContent = state.library.root;
  render();
  emit('library', state.library);
}

function motionMeta(m) {
  if (m.kind === 'unreadable') return m.error;
  const who = m.dancers === 1 ? 'solo' : `${m.dancers} dancers`;
  return `${who} · ${m.duration_s.toFixed(1)} s (${m.frames} frames) · ${m.skeleton}`;
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
  const models = $('model-list');
  models.replaceChildren(...state.library.models.map((m) => {
    const st = (m.status && m.status.state) || (m.trained ? 'done' : 'unknown');
    return el('li', { dataset: { path: m.path }, onclick: () => emit('run-selected', m.path) },
      el('div', { class: 'name' }, m.path, el('span', { class: `badge ${st}`, textContent: m.kind === 'run' ? st : 'model' })),
      el('div', { class: 'meta', textContent: modelMeta(m) }));
  }));
  if (!state.library.models.length) models.append(el('li', { class: 'meta', textContent: 'no models yet: train one' }));
}

export function entry(path) { return state.library.motions.find((m) => m.path === path) || null; }

export async function choose(path) {
  const m = entry(path);
  if (!m) return;
  if (m.kind === 'unreadable') { say(`${path}: ${m.error}`, true); return; }
  state.current = m;
  render();
  emit('motion-selected', m);
  showInfo(path);
}

async function showInfo(path) {
  const panel = $('info-panel');
  try {
    const info = await api('GET', `/api/motions/info?${q({ path })}`);
    panel.hidden = false;
    $('info-title').textContent = path;
    $('info-text').textContent = info.text;
    $('rename-input').value = path.split('/').pop();
    const prov = info.provenance;
    $('info-provenance').replaceChildren(...(prov ? [el('h3', { textContent: 'provenance' }),
      el('pre', { textContent: JSON.stringify(prov, null, 1) })] : []));
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
      status.className = 'status';
      status.textContent = `extracted ${st.motion} (from ${st.video})`;
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
  del.addEventListener('click', async () => {
    if (!state.current) return;
    if (del.dataset.armed !== state.current.path) {  // a second click confirms
      del.dataset.armed = state.current.path;
      del.textContent = 'Really delete?';
      setTimeout(() => { del.dataset.armed = ''; del.textContent = 'Delete'; }, 4000);
      return;
    }
    try {
      await api('POST', '/api/library/delete', { path: state.current.path });
      say(`deleted ${state.current.path}`);
      state.current = null;
      $('info-panel').hidden = true;
      emit('motion-selected', null);
      await refresh();
    } catch (err) { say(err.message, true); }
    del.dataset.armed = ''; del.textContent = 'Delete';
  });
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
