"""The sounddevice path against a real ALSA capture PCM: the `file` plugin replaying speech as a microphone."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from edge.voice.audio import FRAME_BYTES
from edge.voice.recognizer import Transcriber
from tests.voice.conftest import GRAMMAR

CAPTURE = textwrap.dedent(
    """
    import sys
    from edge.voice.audio import AudioSource
    source = AudioSource.from_uri(sys.argv[1])
    print(source.name, source.rate, source.channels, file=sys.stderr)
    out = bytearray()
    for frame in source.frames():
        out += frame
        if len(out) >= int(sys.argv[2]):
            source.close()
    sys.stdout.buffer.write(out)
    """
)


def test_capture_from_an_alsa_device_by_name(tmp_path: Path, speech, ko_model):
    raw = tmp_path / "mic.raw"
    wav = speech("안녕하세요", before_s=0.2, after_s=0.5)
    subprocess.run(["sox", str(wav), "-t", "raw", "-e", "signed", str(raw)], check=True)
    (tmp_path / ".asoundrc").write_text(
        f'pcm.ttmic {{\n type file\n slave.pcm "null"\n file "/dev/null"\n infile "{raw}"\n format "raw"\n}}\n'
    )
    pcm = raw.read_bytes()
    wanted = len(pcm) - len(pcm) % FRAME_BYTES
    env = {**os.environ, "HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).parents[2])}
    done = subprocess.run(
        [sys.executable, "-c", CAPTURE, "sounddevice:ttmic", str(wanted)],
        env=env,
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert done.stderr.decode().split()[-3:] == ["ttmic", "16000", "1"]
    captured = done.stdout
    assert captured[:wanted] == pcm[:wanted]
    result = Transcriber(ko_model, GRAMMAR, grammar=True).transcribe([captured])
    assert result.text == "안녕하세요"
