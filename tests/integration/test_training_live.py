"""Promote and rollback from the command line reach a call in progress on its next turn: the
real server (embedded model) in this process, `pete` run as another process would run it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import openai
import pytest

from core.llm.embedded import EmbeddedBackend
from tests.conftest import make_settings, query_db
from tests.support.training_store import CORPUS, seed, set_parameter
from voice.cli import main
from voice.server import ServerThread


def wait_until(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the server did not pick the change up")
        time.sleep(0.05)


@pytest.mark.timeout(300)
def test_promote_and_rollback_reach_the_next_turn_of_a_live_call(
    tmp_path: Path, embedded_backend: EmbeddedBackend, monkeypatch: pytest.MonkeyPatch
):
    settings = make_settings(tmp_path)
    set_parameter(settings, "max_pairs", 2)  # a short prompt for the CPU model
    asyncio.run(seed(settings, CORPUS))
    for name, value in (
        ("PETE_DATA_DIR", settings.data_dir),
        ("PETE_CONFIG_DIR", settings.config_dir),
        ("PETE_BACKEND", "embedded"),
    ):
        monkeypatch.setenv(name, str(value))
    assert main(["train", "--no-eval"]) == 0
    set_parameter(settings, "temperature", 0.2)
    assert main(["train", "--no-eval"]) == 0

    server = ServerThread(settings, backend=embedded_backend).start()
    try:
        models = server.services.model_settings.current.models
        names = {e.version: name for name, e in models.items() if e.version}
        first, second = names["v0.1.0"], names["v0.1.1"]
        # Each version was registered from its stored spec, example pairs included.
        assert len(embedded_backend._specs[first].messages) == 4

        client = openai.OpenAI(base_url=server.base_url + "/vapi", api_key="unused")
        call_id = f"call-{uuid.uuid4()}"
        history: list[dict[str, str]] = []

        def turn(text: str) -> None:
            stream = client.chat.completions.create(
                model="jamie",
                messages=[*history, {"role": "user", "content": text}],
                stream=True,
                max_tokens=6,
                extra_body={"call": {"id": call_id}},
            )
            reply = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
            history.extend(
                [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
            )

        def default_is(name: str) -> Callable[[], bool]:
            return lambda: server.services.model_settings.current.default_model == name

        turn("Hi, my kitchen sink is leaking.")
        assert main(["models", "promote", "v0.1.0", "--force"]) == 0
        wait_until(default_is(first))
        turn("It's under the cabinet.")
        assert main(["models", "promote", "v0.1.1", "--force"]) == 0
        wait_until(default_is(second))
        turn("Will someone come today?")
        assert main(["models", "rollback"]) == 0
        wait_until(default_is(first))
        turn("Thanks.")

        turns = query_db(
            server,
            "SELECT model, model_version FROM turns WHERE call_id = ? ORDER BY id",
            (call_id,),
        )
        assert [(t["model"], t["model_version"]) for t in turns] == [
            ("smollm2:135m", None),
            (first, "v0.1.0"),
            (second, "v0.1.1"),
            (first, "v0.1.0"),
        ]
        promotions = query_db(server, "SELECT action, version FROM model_promotions ORDER BY id")
        assert [(p["action"], p["version"]) for p in promotions] == [
            ("promote", "0.1.0"),
            ("promote", "0.1.1"),
            ("rollback", "0.1.0"),
        ]
    finally:
        server.stop()
