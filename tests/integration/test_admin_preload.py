"""`auto_preload` toggles load and unload models on Ollama; the pages say what is loaded."""

from __future__ import annotations

import json
import time
from pathlib import Path

from tests.support.admin_client import AdminClient, start_admin_server
from tests.support.background_loop import BackgroundLoop
from tests.support.fake_ollama import FakeOllama, ScriptedModel

TOKENS = ["Thanks", " for", " calling", "."]


def wait_for(condition, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_auto_preload_toggles_load_and_unload_through_the_backend(tmp_path: Path):
    with BackgroundLoop() as background:
        fake = background.run(
            FakeOllama(
                models={
                    "smollm2:135m": ScriptedModel(tokens=TOKENS),
                    "llama3.2:3b": ScriptedModel(tokens=TOKENS),
                }
            ).start()
        )
        server = start_admin_server(tmp_path, backend="ollama", ollama_host=fake.url)
        try:
            admin = AdminClient(server)
            assert wait_for(lambda: "smollm2:135m" in fake.loaded)  # auto_preload at start
            assert admin.get("/admin/api/settings/loaded").json()["loaded"] == {
                "smollm2:135m": True,
                "llama3.2:3b": False,
            }

            on = admin.change({"path": ["models", "llama3.2:3b", "auto_preload"], "value": True})
            assert on.status_code == 200, on.text
            assert on.json()["preload"] == {"llama3.2:3b": "loaded"}
            assert on.json()["loaded"]["llama3.2:3b"] is True
            loads = [b for b in fake.bodies("/api/chat") if b["model"] == "llama3.2:3b"]
            assert loads[-1]["messages"] == [] and loads[-1]["keep_alive"] == -1

            off = admin.change({"path": ["models", "smollm2:135m", "auto_preload"], "value": False})
            assert off.json()["preload"] == {"smollm2:135m": "unloaded"}
            assert "smollm2:135m" not in fake.loaded
            unload = fake.bodies("/api/chat")[-1]
            assert unload["model"] == "smollm2:135m" and unload["messages"] == []
            assert unload["keep_alive"] == 0
            page = admin.get("/admin/settings").text
            assert 'data-model="smollm2:135m">no<' in page
            assert 'data-model="llama3.2:3b">yes<' in page

            # A hand edit of the file that flips the flag loads the model too.
            path = server.services.model_settings.path
            data = json.loads(path.read_text())
            data["models"]["smollm2:135m"]["auto_preload"] = True
            path.write_text(json.dumps(data))
            assert wait_for(lambda: "smollm2:135m" in fake.loaded)
            admin.close()
        finally:
            server.stop()
            background.run(fake.stop())
