"""`pete train` and `pete models`: versions only when something changed, semantic bumps, the
exact create request Ollama gets, promotion gated on eval, rollback re-creating a model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.corpus import Conversation, Exchange
from core.persona import load_persona
from core.settings import Settings
from tests.conftest import make_settings
from tests.support.fake_ollama import FakeOllama, ScriptedModel
from tests.support.scripted_backend import words
from tests.support.training_store import CORPUS, seed, set_parameter
from training.model_spec import parse_modelfile
from training.models_cli import change_default
from training.promotion import PromotionRefused
from training.train import TrainOptions, train

PETE = str(Path(sys.executable).parent / "pete")
NO_EVAL = TrainOptions(evaluate=False)


def model_settings(settings: Settings) -> dict:
    return json.loads((settings.config_dir / "model_settings.json").read_text())


def pete(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PETE_DATA_DIR": str(settings.data_dir),
        "PETE_CONFIG_DIR": str(settings.config_dir),
        "PETE_BACKEND": "embedded",
    }
    return subprocess.run([PETE, *args], env=env, capture_output=True, text=True, timeout=120)


async def test_a_new_version_only_when_data_base_prompt_or_parameters_change(tmp_path: Path):
    settings = make_settings(tmp_path)
    await seed(settings, CORPUS)
    first = await train(settings, NO_EVAL)
    assert (first.status, first.version, first.bump) == ("created", "v0.1.0", "first")
    assert first.examples == 12 and first.model_name.startswith("jamie-")

    same = await train(settings, NO_EVAL)
    assert (same.status, same.version, same.version_key) == (
        "unchanged",
        "v0.1.0",
        first.version_key,
    )

    set_parameter(settings, "temperature", 0.4)  # one thing: a parameter
    tuned = await train(settings, NO_EVAL)
    assert (tuned.status, tuned.version, tuned.bump, tuned.reason) == (
        "created",
        "v0.1.1",
        "patch",
        "parameters",
    )
    assert tuned.diff is not None and [(c.name, c.before, c.after) for c in tuned.diff.changes] == [
        ("parameter temperature", 0.3, 0.4)
    ]
    assert not tuned.diff.examples_added and tuned.diff.examples_kept == 12

    extra = Conversation(
        id="import-new-1",
        source="csv",
        category="pest",
        split="train",
        exchanges=[
            Exchange(
                tenant="There are wasps nesting by my door.",
                jamie="Sorry about that. I'm sending pest control "
                "tomorrow morning to remove the nest.",
            )
        ],
    )
    await seed(settings, [extra])  # one thing: new data
    fed = await train(settings, NO_EVAL)
    assert (fed.version, fed.bump) == ("v0.1.2", "patch") and fed.reason.startswith("new data")
    assert fed.dataset.exchanges == tuned.dataset.exchanges + 1
    [pest] = fed.diff.categories
    assert pest.name == "pest" and pest.after == pest.before + 1

    persona_file = settings.personas_dir / "jamie.toml"  # one thing: the prompt
    persona_file.write_text(
        persona_file.read_text().replace(
            "speaking with a tenant on the phone.", "speaking with a tenant on the phone today."
        )
    )
    prompted = await train(settings, NO_EVAL)
    assert (prompted.version, prompted.reason) == ("v0.1.3", "prompt")
    assert any(line.startswith("+You are Jamie") for line in prompted.diff.system_diff)

    set_parameter(settings, "top_p", 0.8)
    major = await train(settings, TrainOptions(evaluate=False, major=True, reason="new voice"))
    assert (major.version, major.bump, major.reason) == ("v1.0.0", "major", "new voice")

    entries = model_settings(settings)
    assert entries["default_model"] == "smollm2:135m"  # training never promotes by itself
    listed = {e["version"]: name for name, e in entries["models"].items() if e.get("version_key")}
    assert listed == {
        "v0.1.0": first.model_name,
        "v0.1.1": tuned.model_name,
        "v0.1.2": fed.model_name,
        "v0.1.3": prompted.model_name,
        "v1.0.0": major.model_name,
    }

    versions = pete(settings, "models", "versions")
    assert versions.returncode == 0, versions.stderr
    order = [line.split()[0] for line in versions.stdout.splitlines() if line.startswith("  v")]
    assert order == ["v1.0.0", "v0.1.3", "v0.1.2", "v0.1.1", "v0.1.0"]  # by number, newest first
    diff = pete(settings, "models", "diff", "v0.1.0", "v0.1.1")
    assert "parameter temperature: 0.3 -> 0.4" in diff.stdout
    assert "examples: 12 kept, 0 added, 0 removed" in diff.stdout
    again = pete(settings, "train", "--no-eval")
    assert again.returncode == 0 and again.stdout.startswith("nothing changed: v1.0.0")

    modelfile = Path(major.modelfile_path).read_text()
    shown = pete(settings, "models", "modelfile", "v1.0.0").stdout
    assert shown == modelfile and "FROM smollm2:135m" in modelfile
    spec = parse_modelfile(modelfile, name=major.model_name)
    persona = load_persona(settings.personas_dir, "jamie")
    assert spec.system == persona.system_prompt and len(spec.messages) == 24
    assert spec.parameters == {"repeat_penalty": 1.1, "temperature": 0.4, "top_p": 0.8}
    for secret in ("Avery", "Testwood", "unit 4B", "apartment 203"):
        assert secret not in modelfile


async def test_ollama_gets_the_structured_create_call_and_rollback_recreates_a_missing_model(
    tmp_path: Path,
):
    fake = await FakeOllama().start()
    try:
        settings = make_settings(tmp_path, backend="ollama", ollama_host=fake.url)
        await seed(settings, CORPUS)
        first = await train(settings, NO_EVAL)
        persona = load_persona(settings.personas_dir, "jamie")
        spec = parse_modelfile(Path(first.modelfile_path).read_text())
        create = {
            "model": first.model_name,
            "from": "smollm2:135m",
            "system": persona.system_prompt,
            "parameters": {"repeat_penalty": 1.1, "temperature": 0.3, "top_p": 0.9},
            "messages": [{"role": m.role, "content": m.content} for m in spec.messages],
            "stream": False,
        }
        assert fake.bodies("/api/create") == [create]
        assert "modelfile" not in fake.bodies("/api/create")[0]  # current Ollama rejects it

        with pytest.raises(PromotionRefused, match="not evaluated"):
            await change_default(settings, "promote", "v0.1.0", force=False)
        promoted = await change_default(settings, "promote", "v0.1.0", force=True)
        assert promoted.forced and promoted.backend_state == "present"
        set_parameter(settings, "temperature", 0.5)
        second = await train(settings, NO_EVAL)
        await change_default(settings, "promote", second.version, force=True)
        assert model_settings(settings)["default_model"] == second.model_name

        del fake.models[first.model_name]  # someone deleted it on the GPU pod
        back = await change_default(settings, "rollback", None, force=False)
        assert (back.version, back.backend_state) == ("v0.1.0", "recreated")
        assert fake.bodies("/api/create")[-1] == create  # the same spec, created again
        current = model_settings(settings)
        assert current["default_model"] == first.model_name
        assert current["models"][first.model_name]["auto_preload"] is True
        assert current["models"][second.model_name]["auto_preload"] is False

        base = await change_default(settings, "rollback", None, force=False)
        assert (base.model_name, base.backend_state) == ("smollm2:135m", "not_a_version")
        with pytest.raises(PromotionRefused, match="no version"):
            await change_default(settings, "promote", "v9.9.9", force=True)
    finally:
        await fake.stop()


GOOD = "I'm sorry about that. I'll have maintenance come by tomorrow morning to take a look."
BAD = "As an AI I cannot help with that."


@pytest.mark.timeout(600)  # three evaluations with real scoring (torch)
async def test_eval_gates_promotion_and_a_clear_improvement_is_a_minor_version(tmp_path: Path):
    fake = FakeOllama()
    reply = {"text": GOOD}
    created = fake._create

    async def create_with_reply(request):  # type: ignore[no-untyped-def]
        response = await created(request)
        name = fake.requests[-1][1]["model"]
        fake.models[name] = ScriptedModel(tokens=words(reply["text"]))
        return response

    fake._create = create_with_reply  # type: ignore[method-assign]
    await fake.start()
    try:
        settings = make_settings(tmp_path, backend="ollama", ollama_host=fake.url)
        await seed(settings, CORPUS)
        options = TrainOptions(eval_limit=2, promote=True)
        good = await train(settings, options, newly_listed=None)
        assert good.eval is not None and good.eval["cases"] == 2 + 6 and good.eval["errors"] == 0
        assert good.promotion is not None and not good.gate_failures
        assert model_settings(settings)["default_model"] == good.model_name

        reply["text"] = BAD
        set_parameter(settings, "temperature", 0.35)
        bad = await train(settings, options, newly_listed=None)
        assert (bad.version, bad.bump) == ("v0.1.1", "patch")
        assert bad.promotion is None and any("pass rate" in f for f in bad.gate_failures)
        assert bad.eval["mean_jamie_score"] < good.eval["mean_jamie_score"]
        assert model_settings(settings)["default_model"] == good.model_name  # kept

        reply["text"] = GOOD
        set_parameter(settings, "temperature", 0.3)
        set_parameter(settings, "top_p", 0.85)
        better = await train(settings, options, newly_listed=None)
        assert (better.version, better.bump) == ("v0.2.0", "minor")
        assert better.promotion is not None
        assert better.diff is not None and {c.name for c in better.diff.eval} >= {"pass rate"}
        # Eval's own failed turns never become training data: nothing changed, no version.
        again = await train(settings, options, newly_listed=None)
        assert (again.status, again.version) == ("unchanged", "v0.2.0")
    finally:
        await fake.stop()
