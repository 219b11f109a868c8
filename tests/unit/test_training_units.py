"""Training building blocks: versions, PII scrubbing, speakers, Modelfile, example choice."""

from __future__ import annotations

import random

import pytest

from core.categories import Categories
from core.llm.base import ChatMessage, ModelSpec
from core.settings import PROJECT_ROOT
from training.config import ExampleConfig, load_training_config
from training.datasets import DatasetItem, content_hash
from training.examples import select_examples
from training.model_spec import parse_modelfile, to_modelfile, version_key
from training.pii import PiiScrubber
from training.semver import SemVer, next_version
from training.speakers import SpeakerResolver, labelled_segments, pair_exchanges
from training.train import choose_bump

CONFIG = load_training_config(PROJECT_ROOT / "config")
CATEGORIES = Categories.load(PROJECT_ROOT / "config")


def test_versions_compare_as_numbers_not_strings():
    assert SemVer.parse("v0.10.0") > SemVer.parse("v0.9.1")
    assert "v0.10.0" < "v0.9.1"  # what sorting the text would have said
    labels = ["v0.9.1", "v0.10.0", "v1.0.0", "v0.2.0", "v0.10.2"]
    ordered = [v.label for v in sorted(SemVer.parse(x) for x in labels)]
    assert ordered == ["v0.2.0", "v0.9.1", "v0.10.0", "v0.10.2", "v1.0.0"]
    assert SemVer.parse("0.10.0") == SemVer.parse("v0.10.0")
    with pytest.raises(ValueError):
        SemVer.parse("v1.2")


def test_bumps_follow_the_rules():
    assert str(next_version(None, "first")) == "0.1.0"
    assert str(next_version(SemVer.parse("0.9.1"), "patch")) == "0.9.2"
    assert str(next_version(SemVer.parse("0.9.1"), "minor")) == "0.10.0"
    assert str(next_version(SemVer.parse("0.10.3"), "major")) == "1.0.0"


def test_minor_only_when_eval_improves_by_the_margin(monkeypatch):
    from training.versions import VersionRecord

    spec = ModelSpec(name="m", base_model="smollm2:135m")
    previous = VersionRecord(
        version="0.1.0",
        model_name="m",
        version_key="k",
        dataset_id=None,
        dataset_hash="h",
        bump="first",
        reason="",
        eval={"mean_jamie_score": 40.0, "pass_rate": 0.50},
        backend="embedded",
        spec=spec,
        modelfile="",
        created_at="",
    )
    margins = CONFIG.versioning  # 2.0 points of score, 0.02 of pass rate
    small = {"mean_jamie_score": 41.0, "pass_rate": 0.51}
    big_score = {"mean_jamie_score": 42.5, "pass_rate": 0.50}
    big_pass = {"mean_jamie_score": 39.0, "pass_rate": 0.53}
    assert choose_bump(previous, small, [previous], margins, major=False) == "patch"
    assert choose_bump(previous, big_score, [previous], margins, major=False) == "minor"
    assert choose_bump(previous, big_pass, [previous], margins, major=False) == "minor"
    assert choose_bump(previous, None, [previous], margins, major=False) == "patch"
    assert choose_bump(previous, small, [previous], margins, major=True) == "major"
    assert choose_bump(None, None, [], margins, major=False) == "first"


def test_pii_is_replaced_by_placeholders():
    scrubber = PiiScrubber(
        known_names=["Dana Whitfield"], keep=["jamie", "Jamie", "Maple Grove Property Management"]
    )
    texts = [
        "Hi Jamie, this is Avery Okafor in unit 4B at 1234 Maple Grove Dr. My number is "
        "(503) 555-0142, or email avery.okafor@example.com.",
        "Thanks for letting me know, Avery. I'll call you back at +15035550142 today.",
        "Dana said the neighbor in apartment 310 at 42 elm street is loud.",
        "Mr. Okafor, the plumber comes to #12 tomorrow. This is Jamie with Maple Grove.",
    ]
    clean = scrubber.scrub_all(texts)
    joined = " ".join(clean)
    for secret in (
        "Avery",
        "Okafor",
        "Dana",
        "555",
        "0142",
        "example.com",
        "4B",
        "1234",
        "310",
        "elm street",
        "#12",
    ):
        assert secret not in joined, (secret, clean)
    assert clean[0] == (
        "Hi Jamie, this is [NAME] in [UNIT] at [ADDRESS] My number is [PHONE], or email [EMAIL]."
    )
    assert clean[1] == "Thanks for letting me know, [NAME]. I'll call you back at [PHONE] today."
    assert "Jamie with Maple Grove" in clean[3]  # the persona and company stay
    assert "tomorrow" in clean[3] and "[NAME], the plumber comes to [UNIT]" in clean[3]
    # Ordinary words after "this is" or a comma are not names.
    assert scrubber.scrub("Okay, Monday works. This is urgent, Thanks!") == (
        "Okay, Monday works. This is urgent, Thanks!"
    )
    # A tenant on file named like everyday words: only the whole name goes, words stay.
    on_file = PiiScrubber(known_names=["Will Hunter", "Don Avila"])
    assert on_file.scrub("Will someone come? I will wait, don't worry. Don't rush.") == (
        "Will someone come? I will wait, don't worry. Don't rush."
    )
    assert on_file.scrub("will hunter called; Avila said so.") == "[NAME] called; [NAME] said so."


def test_opaque_speaker_labels_are_named_by_phrases_then_by_who_spoke_first():
    resolver = SpeakerResolver(CONFIG.speakers)
    segments = labelled_segments(
        '{"utterances": [{"speaker": "B", "text": "Hello?"},'
        '{"speaker": "A", "text": "Hi, this is Jamie with Maple Grove, how can I help?"},'
        '{"speaker": "B", "text": "My sink is leaking."},'
        '{"speaker": "A", "text": "I\'ll have the plumber there today."}]}'
    )
    split = resolver.from_labels(segments, incoming=True, source="labels")
    assert split.named_by == "phrases"  # A says Jamie's phrases, though B spoke first
    assert pair_exchanges(split.utterances) == [
        ("Hello?", "Hi, this is Jamie with Maple Grove, how can I help?"),
        ("My sink is leaking.", "I'll have the plumber there today."),
    ]
    plain = [("spk_0", "Good morning."), ("spk_1", "The dryer is broken."), ("spk_0", "Got it.")]
    incoming = resolver.from_labels(plain, incoming=True, source="labels")
    assert incoming.named_by == "first_speaker"
    assert pair_exchanges(incoming.utterances) == [("The dryer is broken.", "Got it.")]
    outgoing = resolver.from_labels(plain, incoming=False, source="labels")
    assert pair_exchanges(outgoing.utterances) == [("Good morning.", "The dryer is broken.")]
    roles = resolver.from_labels(
        [("customer", "Hi."), ("agent", "Hello, Maple Grove."), ("customer", "Rent question.")],
        incoming=True,
        source="labels",
    )
    assert roles.named_by == "roles"
    assert pair_exchanges(roles.utterances) == [("Hi.", "Hello, Maple Grove.")]


def test_modelfile_is_readable_and_parses_back_to_the_same_spec():
    spec = ModelSpec(
        name="jamie-abc",
        base_model="llama3.2:3b",
        system='You are Jamie.\nSpeak plainly; never say """ or {{ .Prompt }}.',
        parameters={"temperature": 0.3, "stop": ["<|eot_id|>", "User:"], "num_ctx": 4096},
        messages=[
            ChatMessage(role="user", content='My {sink} leaks, she said "help"'),
            ChatMessage(role="assistant", content="I'll send the plumber today.\nSee you then."),
        ],
    )
    text = to_modelfile(spec, ["Jamie v0.1.0"])
    assert text.startswith("# Jamie v0.1.0\nFROM llama3.2:3b\nSYSTEM ")
    assert "PARAMETER temperature 0.3" in text and 'PARAMETER stop "User:"' in text
    assert "{{ .Prompt }}" in text  # braces kept as written (no f-string collapse)
    assert parse_modelfile(text, name="jamie-abc") == spec


def _item(category: str, tenant: str, jamie: str, quality: float, kind: str = "exchange"):
    return DatasetItem(
        kind=kind,
        ref=tenant,
        category=category,
        tenant=tenant,
        jamie=jamie,
        quality=quality,
        passed=True,
    )


def test_example_pairs_are_diverse_best_scored_and_independent_of_order():
    items = (
        [
            _item(
                "plumbing", f"Sink problem {i}.", f"I'll send the plumber today, case {i}.", 50 + i
            )
            for i in range(6)
        ]
        + [
            _item("pest", f"Ants again {i}.", f"Pest control comes Monday, case {i}.", 40 + i)
            for i in range(3)
        ]
        + [
            _item("noise", "It's loud.", "I'm sending a reminder today.", 90),
            _item("noise", "Hi, this is [NAME].", "Hi [NAME], I'll look into it today.", 99),
            _item("emergency_gas_leak", "I smell gas.", "Leave now and call 911.", 100),
            _item(
                "plumbing", "Fix failed.", "Sorry, I'll send them back tomorrow.", 30, "correction"
            ),
        ]
    )
    config = ExampleConfig(max_pairs=5, max_corrections=1)
    chosen = select_examples(items, config, CATEGORIES)
    assert [(c.category, c.tenant) for c in chosen] == [
        ("plumbing", "Fix failed."),  # the correction first
        ("plumbing", "Sink problem 5."),  # then the best of each category, biggest first
        ("pest", "Ants again 2."),
        ("noise", "It's loud."),  # a reply with a placeholder never teaches the model
        ("plumbing", "Sink problem 4."),  # second round
    ]
    for seed in range(5):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        assert select_examples(shuffled, config, CATEGORIES) == chosen
        assert content_hash(shuffled) == content_hash(items)


def test_version_key_changes_with_any_one_input():
    spec = ModelSpec(
        name="", base_model="smollm2:135m", system="s", parameters={"temperature": 0.3}
    )
    key = version_key(spec, "data-1")
    assert version_key(spec.model_copy(update={"name": "other"}), "data-1") == key
    assert version_key(spec, "data-2") != key
    assert version_key(spec.model_copy(update={"system": "t"}), "data-1") != key
    assert (
        version_key(spec.model_copy(update={"parameters": {"temperature": 0.4}}), "data-1") != key
    )
    assert version_key(spec.model_copy(update={"base_model": "llama3.2:3b"}), "data-1") != key
