"""Broker URLs: one parser for stations and the hub; a bad one is a clear config error, not a crash later."""

from __future__ import annotations

import re

import pytest

from edge.agent.config import ConfigError, parse_config
from hub.settings import load_settings
from protocol.broker_url import BrokerUrl


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://hub.plant", BrokerUrl("hub.plant", 1883, False)),
        ("mqtts://hub.plant", BrokerUrl("hub.plant", 8883, True)),
        ("mqtt://127.0.0.1:18830", BrokerUrl("127.0.0.1", 18830, False)),
        ("mqtts://[::1]:8884", BrokerUrl("::1", 8884, True)),
    ],
)
def test_valid_urls_give_host_port_and_tls(url: str, expected: BrokerUrl) -> None:
    assert BrokerUrl.parse(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("tcp://hub:1883", "expected mqtt://HOST:PORT or mqtts://HOST:PORT, got 'tcp://hub:1883'"),
        ("mqtt://:1883", "expected mqtt://HOST:PORT or mqtts://HOST:PORT, got 'mqtt://:1883'"),
        ("mqtt://hub:99999", "Port out of range 0-65535 in 'mqtt://hub:99999'"),
        ("mqtt://hub:port", "Port could not be cast to integer value as 'port' in 'mqtt://hub:port'"),
    ],
)
def test_bad_urls_say_what_is_wrong_for_station_and_hub(url: str, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        BrokerUrl.parse(url)
    with pytest.raises(ConfigError) as station:
        parse_config({"site": "s1", "station": "gate-a", "zone": "z", "data_dir": "/tmp/x", "broker": {"url": url}},
                     "station.yaml")  # fmt: skip
    assert f"broker.url: {message}" in station.value.errors
    with pytest.raises(ConfigError) as hub:
        load_settings(None, {"broker": url})
    assert f"broker: {message}" in hub.value.errors
