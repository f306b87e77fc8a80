"""Real Vosk Korean model: grammar-restricted transcripts of espeak-ng speech, word times, model errors."""

from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest

from edge.voice.audio import AudioSource
from edge.voice.recognizer import (
    DecoderSettings,
    ModelError,
    Transcriber,
    Transcript,
    check_model_dir,
    load_model,
    missing_words,
)
from tests.voice.conftest import GRAMMAR, PHRASES


def _transcribe(transcriber: Transcriber, path: Path) -> Transcript:
    return transcriber.transcribe(AudioSource.from_uri(f"wav:{path}", realtime=False).frames())


@pytest.mark.parametrize("phrase", PHRASES)
def test_grammar_restricted_phrase_is_transcribed(ko_model, speech, phrase):
    transcriber = Transcriber(ko_model, GRAMMAR, grammar=True)
    path = speech(phrase, before_s=0.3, after_s=0.3)
    result = _transcribe(transcriber, path)
    assert result.text == phrase
    assert [w.w for w in result.words] == phrase.split()
    with wave.open(str(path)) as wav:
        duration = wav.getnframes() / wav.getframerate()
    starts = [w.start for w in result.words]
    assert starts == sorted(starts)
    for word in result.words:
        assert 0.0 <= word.start < word.end <= duration + 0.05
        assert 0.0 < word.conf <= 1.0


def test_transcriber_is_reusable_across_utterances(ko_model, speech):
    transcriber = Transcriber(ko_model, GRAMMAR, grammar=True)
    first = _transcribe(transcriber, speech(PHRASES[0]))
    second = _transcribe(transcriber, speech(PHRASES[1]))
    assert (first.text, second.text) == (PHRASES[0], PHRASES[1])


def test_free_decoding_gives_words_with_times(ko_model, speech):
    result = _transcribe(Transcriber(ko_model), speech("안녕하세요 물 좀 주세요"))
    assert result.text
    assert result.text == " ".join(w.w for w in result.words)


def test_out_of_lexicon_vocabulary_is_reported_not_dropped(ko_model):
    vocabulary = ["안녕하세요", "热处理", "报价 交期", "xyzzy"]
    assert missing_words(ko_model, vocabulary) == ("热处理", "报价 交期", "xyzzy")
    transcriber = Transcriber(ko_model, vocabulary, grammar=True)
    assert transcriber.oov == ("热处理", "报价 交期", "xyzzy")
    assert transcriber.vocabulary == ("안녕하세요",)


def test_grammar_without_known_words_is_a_clear_error(ko_model):
    with pytest.raises(ValueError, match="grammar mode needs"):
        Transcriber(ko_model, ["热处理", "报价"], grammar=True)


def test_transcript_json_shape(ko_model, speech):
    result = _transcribe(Transcriber(ko_model, GRAMMAR, grammar=True), speech(PHRASES[2]))
    data = result.to_dict()
    assert data["text"] == PHRASES[2]
    assert set(data["words"][0]) == {"w", "start", "end", "conf"}


def test_missing_chinese_model_dir_names_the_fix(tmp_path: Path):
    with pytest.raises(ModelError, match=r"tourtrace model fetch --lang zh") as info:
        load_model(tmp_path / "vosk-model-small-cn-0.22")
    assert "does not exist" in str(info.value)
    assert "model:" in str(info.value)


def test_incomplete_and_corrupt_model_dirs(tmp_path: Path, ko_model_dir: Path):
    partial = tmp_path / "partial"
    shutil.copytree(ko_model_dir / "conf", partial / "conf")
    with pytest.raises(ModelError, match=r"incomplete \(missing am/final.mdl.*graph/HCLr.fst"):
        check_model_dir(partial)
    corrupt = tmp_path / "corrupt"
    for name in ("conf", "graph", "ivector"):
        (corrupt / name).parent.mkdir(parents=True, exist_ok=True)
        (corrupt / name).symlink_to(ko_model_dir / name)
    (corrupt / "am").mkdir()
    (corrupt / "am" / "final.mdl").write_bytes(b"<html>404 not found</html>")
    with pytest.raises(ModelError, match=r"corrupt \(am/final.mdl\)"):
        load_model(corrupt)


def test_truncated_graph_is_caught_before_use(tmp_path: Path, ko_model_dir: Path):
    model = tmp_path / "truncated"
    (model / "graph").mkdir(parents=True)
    for name in ("am", "conf", "ivector"):
        (model / name).symlink_to(ko_model_dir / name)
    for entry in (ko_model_dir / "graph").iterdir():
        if entry.name != "HCLr.fst":
            (model / "graph" / entry.name).symlink_to(entry)
    with (ko_model_dir / "graph" / "HCLr.fst").open("rb") as fh:
        (model / "graph" / "HCLr.fst").write_bytes(fh.read(200_000))
    with pytest.raises(ModelError, match="Vosk could not load"):
        load_model(model)


def test_decoder_knobs_reach_vosk_and_leave_the_model_dir_alone(ko_model_dir: Path, speech):
    conf = (ko_model_dir / "conf" / "model.conf").read_text()
    narrow = load_model(ko_model_dir, DecoderSettings(max_active=500, beam=6.0, lattice_beam=1.0))
    assert (ko_model_dir / "conf" / "model.conf").read_text() == conf
    assert narrow.decoder.overrides() == {"--max-active": "500", "--beam": "6.0", "--lattice-beam": "1.0"}
    result = _transcribe(Transcriber(narrow, GRAMMAR, grammar=True), speech(PHRASES[0]))
    assert result.text == PHRASES[0]
