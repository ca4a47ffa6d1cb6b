// The music of a viewer page (payload.audio: a data URI starting at the first frame). While the music really
// plays, its clock leads the frames, so picture and sound cannot drift apart; paused, seeked or looped, the
// music is put where the frames are. A browser that refuses to start sound before a click (autoplay policy)
// leaves the frames on their own clock until the user presses play or ticks "music".

export function createSound(spec) {
  if (!spec || !spec.src) return null;
  const audio = new Audio();
  audio.preload = 'auto';
  audio.src = spec.src;
  let blocked = false;
  const sound = {
    spec,
    audio,
    // Seconds into the time line the music is at while it plays; null when the frames keep their own clock.
    clock() { return !audio.paused && !audio.seeking && audio.readyState >= 2 ? audio.currentTime : null; },
    play(t, speed) {
      audio.currentTime = t;
      audio.playbackRate = speed;
      const started = audio.play();
      if (started) started.then(() => { blocked = false; }, () => { blocked = true; });
    },
    pause() { audio.pause(); },
    seek(t) { if (Math.abs(audio.currentTime - t) > 1e-4) audio.currentTime = t; },
    setSpeed(s) { audio.playbackRate = s; },
    setMuted(m) { audio.muted = !!m; },
    state() {
      return { time: audio.currentTime, paused: audio.paused, muted: audio.muted, ready: audio.readyState,
        blocked, source: spec.source, start: spec.start };
    },
    dispose() { audio.pause(); audio.removeAttribute('src'); audio.load(); },
  };
  return sound;
}
