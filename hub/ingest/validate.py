"""Sort an incoming MQTT message into a valid envelope, a dead letter, or a message that is not for ingest."""

from __future__ import annotations

from hub.store.events import DeadLetter
from protocol import ContractError, Envelope, decode
from protocol.topics import PREFIX


def classify(topic: str, payload: bytes, received_at: str) -> Envelope | DeadLetter | None:
    """Return the envelope, a dead letter with the reason, or None for hub-to-station `ack` traffic."""
    if topic.startswith(f"{PREFIX}/") and topic.endswith("/ack") and topic.count("/") == 4:
        return None
    try:
        return decode(topic, payload)
    except ContractError as exc:
        return DeadLetter(topic=topic, reason=str(exc), payload=payload, received_at=received_at)
    except Exception as exc:  # a reader bug must not stop ingest: keep the message and say why
        return DeadLetter(topic=topic, reason=f"internal: {type(exc).__name__}: {exc}", payload=payload,
                          received_at=received_at)  # fmt: skip
