"""`tourtrace transcribe` and `tourtrace model fetch` through CliRunner, fetching from a local http.server."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from edge.voice.model_fetch import FetchError, ModelSpec, fetch_model, spec_for
from edge.voice.recognizer import check_model_dir
from tests.voice.conftest import GRAMMAR
from tourtrace.cli import voice_cmd

ZH = "vosk-model-small-cn-0.22"

app = typer.Typer()
app.command("transcribe")(voice_cmd.transcribe)
app.add_typer(voice_cmd.model_app, name="model")
runner = CliRunner()


def _fake_model_zip(path: Path, *, top: str = ZH, complete: bool = True, extra: str | None = None) -> Path:
    files = {
        "am/final.mdl": b"\0B<TransitionModel> fake",
        "conf/model.conf": b"--beam=10.0\n",
        "conf/mfcc.conf": b"--use-energy=false\n",
        "graph/phones/word_boundary.int": b"1 nonword\n",
        "graph/Gr.fst": bytes.fromhex("d6fdb27e") + b"fake",
    }
    if complete:
        files["graph/HCLr.fst"] = bytes.fromhex("d6fdb27e") + b"fake" * 1000
    if extra:
        files[extra] = b"x"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(f"{top}/{name}", data)
    return path


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_fetch_verifies_checksum_and_unpacks_atomically(server, tmp_path: Path):
    base, root = server
    archive = _fake_model_zip(root / "vosk-model-test.zip")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    spec = ModelSpec("xx", ZH, f"{base}/vosk-model-test.zip", sha256=digest)
    seen: list[tuple[int, int | None]] = []
    dest = tmp_path / "models"
    result = fetch_model(spec, dest, progress=lambda done, total: seen.append((done, total)))
    assert result.path == dest / ZH and result.sha256 == digest
    check_model_dir(result.path)
    assert [p.name for p in dest.iterdir()] == [ZH]
    assert seen[-1] == (archive.stat().st_size, archive.stat().st_size)
    assert fetch_model(spec, dest).already_present


def test_cli_checksum_mismatch_leaves_nothing(server, tmp_path: Path):
    base, root = server
    _fake_model_zip(root / f"{ZH}.zip")
    dest = tmp_path / "models"
    result = runner.invoke(
        app, ["model", "fetch", "--lang", "zh", "--mirror", base, "--dest", str(dest), "--sha256", "0" * 64]
    )
    assert result.exit_code == 1
    assert "checksum mismatch" in result.stderr
    assert "nothing was unpacked" in result.stderr
    assert list(dest.iterdir()) == []


def test_cli_fetch_from_mirror_then_already_installed(server, tmp_path: Path):
    base, root = server
    archive = _fake_model_zip(root / f"{ZH}.zip")
    dest = tmp_path / "models"
    first = runner.invoke(app, ["model", "fetch", "--mirror", f"{base}/", "--dest", str(dest)])
    assert first.exit_code == 0, first.output
    assert hashlib.sha256(archive.read_bytes()).hexdigest() in first.stdout
    assert f"model: {dest / ZH}" in first.stdout
    check_model_dir(dest / ZH)
    again = runner.invoke(app, ["model", "fetch", "--dest", str(dest)])
    assert again.exit_code == 0 and "already installed" in again.stdout


def test_missing_file_on_mirror_is_a_clear_error(server, tmp_path: Path):
    base, _root = server
    result = runner.invoke(app, ["model", "fetch", "--mirror", f"{base}/nope.zip", "--dest", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert "download of" in result.stderr and "404" in result.stderr
    assert list((tmp_path / "m").iterdir()) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"PK\x03\x04 truncated garbage"), "not a valid zip"),
        (lambda p: _fake_model_zip(p, complete=False), "graph/HCLr.fst"),
        (lambda p: _fake_model_zip(p, extra="../../evil"), "unsafe path"),
    ],
)
def test_bad_local_zips_are_rejected_cleanly(tmp_path: Path, make, message: str):
    archive = tmp_path / "model.zip"
    make(archive)
    dest = tmp_path / "models"
    result = runner.invoke(app, ["model", "fetch", "--zip", str(archive), "--dest", str(dest)])
    assert result.exit_code == 1
    assert message in result.stderr
    assert list(dest.iterdir()) == []
    assert not (tmp_path / "evil").exists()


def test_corrupt_member_fails_crc_check(tmp_path: Path):
    archive = _fake_model_zip(tmp_path / "model.zip")
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(f"{ZH}/graph/HCLr.fst")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 2
    data[start] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(FetchError, match=r"corrupt|not a valid zip"):
        fetch_model(ModelSpec("xx", ZH, "unused"), tmp_path / "models", zip_path=archive)
    assert list((tmp_path / "models").iterdir()) == []


def test_unknown_language_is_a_clear_error():
    with pytest.raises(FetchError, match="known: zh"):
        spec_for("fr")


def test_cli_transcribe_prints_json(ko_model_dir: Path, speech):
    path = speech("물 좀 주세요", after_s=0.3)
    vocabulary = ",".join((*GRAMMAR, "热处理"))
    result = runner.invoke(
        app, ["transcribe", str(path), "--model", str(ko_model_dir), "--vocabulary", vocabulary, "--grammar"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["text"] == "물 좀 주세요"
    assert [w["w"] for w in data["words"]] == ["물", "좀", "주세요"]
    assert "热处理" in result.stderr


def test_cli_transcribe_missing_chinese_model_names_the_fix(tmp_path: Path, speech):
    result = runner.invoke(
        app, ["transcribe", str(speech("병원")), "--model", str(tmp_path / ZH), "--vocabulary", "热处理,报价"]
    )
    assert result.exit_code == 2
    assert "tourtrace model fetch --lang zh" in result.stderr
    assert result.stdout == ""


def test_cli_transcribe_bad_inputs(tmp_path: Path, ko_model_dir: Path):
    bad = tmp_path / "bad.wav"
    bad.write_text("hello")
    result = runner.invoke(app, ["transcribe", str(bad), "--model", str(ko_model_dir)])
    assert result.exit_code == 2 and "not a PCM WAV" in result.stderr
    result = runner.invoke(app, ["transcribe", str(bad), "--model", str(ko_model_dir), "--grammar"])
    assert result.exit_code == 2 and "--grammar needs --vocabulary" in result.stderr
