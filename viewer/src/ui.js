// The viewer's DOM controls: title, dancer/ghost toggles, play button, scrub bar, time, speed, loop, follow.

const SPEEDS = [0.25, 0.5, 1, 1.5, 2];

export function el(tag, cls, parent, props = {}) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  Object.assign(node, props);
  if (parent) parent.appendChild(node);
  return node;
}

export function buildUI(root, payload, figures, api) {
  const header = el('div', 'pdx-header', root);
  el('div', 'pdx-title', header, { textContent: payload.title || '', title: payload.title || '' });
  const legend = el('div', 'pdx-legend', header);
  const dancerBoxes = [];
  let ghostBox = null;
  figures.forEach((f) => {
    if (f.spec.ghost) return;
    const label = el('label', 'pdx-chip', legend);
    const box = el('input', '', label, { type: 'checkbox', checked: true });
    el('span', 'pdx-swatch', label).style.background = f.spec.color;
    el('span', '', label, { textContent: f.spec.label });
    box.addEventListener('change', () => api.setDancerVisible(dancerBoxes.indexOf(box), box.checked));
    dancerBoxes.push(box);
  });
  const ghosts = figures.filter((f) => f.spec.ghost);
  if (ghosts.length) {
    const label = el('label', 'pdx-chip pdx-ghost', legend);
    ghostBox = el('input', '', label, { type: 'checkbox', checked: true });
    el('span', 'pdx-swatch', label).style.background = ghosts[0].spec.color;
    el('span', '', label, { textContent: ghosts.length > 1 ? 'ghosts' : 'ghost' });
    ghostBox.addEventListener('change', () => api.setGhostVisible(ghostBox.checked));
  }
  const bar = el('div', 'pdx-bar', root);
  const play = el('button', 'pdx-play', bar, { type: 'button', title: 'play / pause (space)' });
  const scrub = el('input', 'pdx-scrub', bar, { type: 'range', min: 0, max: payload.frames - 1, step: 1,
    value: 0, title: 'frame' });
  const time = el('span', 'pdx-time', bar);
  const speed = el('select', 'pdx-speed', bar, { title: 'playback speed' });
  for (const s of SPEEDS) el('option', '', speed, { value: s, textContent: `${s}\u00d7`, selected: s === 1 });
  const loopLabel = el('label', 'pdx-loop', bar, { title: 'loop' });
  const loop = el('input', '', loopLabel, { type: 'checkbox', checked: true });
  el('span', '', loopLabel, { textContent: 'loop' });
  const followLabel = el('label', 'pdx-follow', bar, { title: 'camera follows the dancers' });
  const follow = el('input', '', followLabel, { type: 'checkbox', checked: false });
  el('span', '', followLabel, { textContent: 'follow' });
  let music = null;
  if (payload.audio) {
    const musicLabel = el('label', 'pdx-music', bar, { title: `music: ${payload.audio.source || ''}` });
    music = el('input', '', musicLabel, { type: 'checkbox', checked: true });
    el('span', '', musicLabel, { textContent: 'music' });
    music.addEventListener('change', () => api.setMusic(music.checked));
  }
  play.addEventListener('click', () => api.toggle());
  follow.addEventListener('change', () => api.setFollow(follow.checked));
  scrub.addEventListener('input', () => api.seek(Number(scrub.value)));
  speed.addEventListener('change', () => api.setSpeed(Number(speed.value)));
  loop.addEventListener('change', () => api.setLoop(loop.checked));
  return { play, scrub, time, speed, loop, follow, music, ghostBox, dancerBoxes };
}
