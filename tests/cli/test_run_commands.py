"""`edge run` and `hub serve` refuse bad configuration, data dirs and databases clearly (exit 2)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from tourtrace.cli.main import app


def test_every_config_error_is_listed_with_its_path(tmp_path: Path) -> None:
    config = tmp_path / "station.yaml"
    config.write_text("site: Demo\nzone: 3\ntap_mode: sometimes\nbroker: {url: http://x}\nnote: {max_s: -1}\n")
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2
    for expected in ("site: expected [a-z0-9]", "station: required", "zone: expected str, got int",
                     "data_dir: required", "tap_mode: expected one of toggle|enter_only",
                     "broker.url: expected mqtt://", "note.max_s: must be > 0"):  # fmt: skip
        assert expected in result.output, (expected, result.output)
    assert "Traceback" not in result.output


def test_one_gpio_pin_for_two_jobs_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "station.yaml"
    config.write_text(
        "site: demo\nstation: gate-a\nzone: injection\ndata_dir: /tmp/x\nnote: {button_pin: 17}\n"
        "feedback: {backend: gpio, buzzer_pin: 18, led_pin: 17}\n"
    )
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2 and "  note.button_pin: GPIO17 is also feedback.led_pin\n" in result.output


def test_unusable_data_dir_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    config = tmp_path / "station.yaml"
    config.write_text(
        f"site: demo\nstation: gate-a\nzone: injection\ndata_dir: {blocker}/sub\nreader: udp:127.0.0.1:9\n"
    )
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2
    assert f"error: cannot use data_dir {blocker}/sub" in result.output
    assert "Traceback" not in result.output


def test_unreadable_yaml_names_line_and_column(tmp_path: Path) -> None:
    config = tmp_path / "station.yaml"
    config.write_text("site: demo\nstation: [unclosed\n")
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2 and "invalid YAML" in result.output and "line 3" in result.output


def test_hub_serve_refuses_an_unusable_database(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    result = CliRunner().invoke(app, ["hub", "serve", "--db", f"{blocker}/hub.sqlite3", "--http", "127.0.0.1:9"])
    assert result.exit_code == 2
    assert f"error: cannot use the database {blocker}/hub.sqlite3" in result.output


def test_unreadable_broker_password_file_is_a_config_error(tmp_path: Path) -> None:
    config = tmp_path / "station.yaml"
    config.write_text(
        f"site: demo\nstation: gate-a\nzone: injection\ndata_dir: {tmp_path / 'data'}\n"
        f"broker: {{url: 'mqtt://127.0.0.1:1883', username: demo.gate-a, password_file: {tmp_path / 'missing'}}}\n"
    )
    result = CliRunner().invoke(app, ["edge", "run", "--config", str(config)])
    assert result.exit_code == 2
    assert f"broker.password_file: cannot read {tmp_path / 'missing'}" in result.output
    assert "data_dir" not in result.output


def test_hub_serve_lists_every_setting_error_and_exits_2(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(
        "broker: tcp://hub\nhttp: nowhere\ndwell_timeout_s: 0\ncolour: red\n"
        "notify:\n  sales: {kind: slack, url: 'https://x.example/h'}\n"
    )
    result = CliRunner().invoke(app, ["hub", "serve", "--config", str(config)])
    assert result.exit_code == 2, result.output
    for expected in (
        "broker: expected mqtt://HOST:PORT or mqtts://HOST:PORT, got 'tcp://hub'",
        "http: expected HOST:PORT, got 'nowhere'",
        "dwell_timeout_s: must be > 0, got 0",
        "colour: unknown setting",
        "notify.sales.kind: expected one of wecom|dingtalk|crm, got 'slack'",
    ):
        assert f"  {expected}\n" in result.output, (expected, result.output)
    assert "Traceback" not in result.output and "validation error" not in result.output
    missing = CliRunner().invoke(app, ["hub", "serve", "--config", str(tmp_path / "nope.yaml")])
    assert missing.exit_code == 2 and "no such file" in missing.output and "tourtrace certs init" in missing.output


def test_hub_serve_names_an_unreadable_password_file(tmp_path: Path) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(f"db: {tmp_path / 'hub.sqlite3'}\nusername: hub\npassword_file: {tmp_path / 'missing'}\n")
    result = CliRunner().invoke(app, ["hub", "serve", "--config", str(config), "--http", "127.0.0.1:9"])
    assert result.exit_code == 2, result.output
    assert f"password_file: cannot read {tmp_path / 'missing'}" in result.output
