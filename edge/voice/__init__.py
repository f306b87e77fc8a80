"""Voice notes on the station: audio sources, VAD endpointing, Vosk recognition, note recording, models.

Modules: audio (AudioSource.from_uri), resample, vad (Endpointer), recognizer (load_model,
Transcriber), notes (NoteRecorder), retention (keep_audio, prune_expired), model_fetch.
None of them knows about MQTT; the station agent turns a NoteResult into a `note` event.
"""
