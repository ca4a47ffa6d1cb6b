"""Music in: read a song or a video's soundtrack, find its tempo, beats, downbeats and the dancer's counts.

    music = pasdeux.load_music("song.ogg", start=30, seconds=20)
    music.tempo, music.beats, music.counts, music.downbeats
"""

from pasdeux.music.song import Music, analyse, check_span, load_music

__all__ = ["Music", "load_music", "analyse", "check_span"]
