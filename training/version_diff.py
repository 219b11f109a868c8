"""What changed between two versions, for a person: base model, parameters, prompt, data,
example pairs and eval results (`pete models diff A B`, the admin's diff view)."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, Field

from core.llm.base import ModelSpec
from training.datasets import Dataset
from training.versions import VersionRecord

_EVAL_MEASURES = (
    ("pass_rate", "pass rate", 100.0, "%"),
    ("mean_jamie_score", "mean Jamie score", 1.0, ""),
    ("emergency_recall", "emergency recall", 100.0, "%"),
    ("adversarial_pass_rate", "adversarial passed", 100.0, "%"),
    ("ttft_ms_p50", "ttft p50", 1.0, " ms"),
)


class Pair(BaseModel):
    tenant: str
    jamie: str


class Change(BaseModel):
    name: str
    before: Any = None
    after: Any = None


class VersionDiff(BaseModel):
    a: str
    b: str
    changes: list[Change] = Field(default_factory=list)  # base model, parameters, dataset, ...
    system_diff: list[str] = Field(default_factory=list)  # unified diff lines
    categories: list[Change] = Field(default_factory=list)  # dataset items per category
    examples_added: list[Pair] = Field(default_factory=list)
    examples_removed: list[Pair] = Field(default_factory=list)
    examples_kept: int = 0
    eval: list[Change] = Field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not (
            self.changes or self.system_diff or self.examples_added or self.examples_removed
        )


def _pairs(spec: ModelSpec) -> list[Pair]:
    messages = spec.messages
    return [
        Pair(tenant=messages[i].content, jamie=messages[i + 1].content)
        for i in range(0, len(messages) - 1, 2)
    ]


def diff_versions(
    a: VersionRecord,
    b: VersionRecord,
    dataset_a: Dataset | None = None,
    dataset_b: Dataset | None = None,
) -> VersionDiff:
    diff = VersionDiff(a=a.label, b=b.label)
    if a.spec.base_model != b.spec.base_model:
        diff.changes.append(
            Change(name="base model", before=a.spec.base_model, after=b.spec.base_model)
        )
    for key in sorted(set(a.spec.parameters) | set(b.spec.parameters)):
        before, after = a.spec.parameters.get(key), b.spec.parameters.get(key)
        if before != after:
            diff.changes.append(Change(name=f"parameter {key}", before=before, after=after))
    if a.spec.template != b.spec.template:
        diff.changes.append(Change(name="template", before=a.spec.template, after=b.spec.template))
    if a.dataset_hash != b.dataset_hash:
        diff.changes.append(
            Change(
                name="dataset",
                before=_dataset_label(a, dataset_a),
                after=_dataset_label(b, dataset_b),
            )
        )
    diff.system_diff = list(
        difflib.unified_diff(
            (a.spec.system or "").splitlines(),
            (b.spec.system or "").splitlines(),
            fromfile=f"{a.label} system",
            tofile=f"{b.label} system",
            lineterm="",
        )
    )
    if dataset_a is not None and dataset_b is not None:
        before, after = dataset_a.categories(), dataset_b.categories()
        for name in sorted(set(before) | set(after)):
            if before.get(name, 0) != after.get(name, 0):
                diff.categories.append(
                    Change(name=name, before=before.get(name, 0), after=after.get(name, 0))
                )
    pairs_a, pairs_b = _pairs(a.spec), _pairs(b.spec)
    diff.examples_added = [p for p in pairs_b if p not in pairs_a]
    diff.examples_removed = [p for p in pairs_a if p not in pairs_b]
    diff.examples_kept = len(pairs_b) - len(diff.examples_added)
    for key, label, _scale, _unit in _EVAL_MEASURES:
        before = (a.eval or {}).get(key)
        after = (b.eval or {}).get(key)
        if before is not None or after is not None:
            diff.eval.append(Change(name=label, before=before, after=after))
    return diff


def _dataset_label(record: VersionRecord, dataset: Dataset | None) -> str:
    if dataset is None:
        return record.dataset_hash[:12]
    return (
        f"{dataset.content_hash[:12]} ({dataset.conversations} conversations, "
        f"{dataset.exchanges} exchanges, {dataset.corrections} corrections)"
    )


def _measure(name: str, value: Any) -> str:
    if value is None:
        return "n/a"
    for _key, label, scale, unit in _EVAL_MEASURES:
        if label == name:
            return f"{value * scale:.1f}{unit}"
    return str(value)


def _short(text: str, width: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def format_diff(diff: VersionDiff) -> str:
    lines = [f"{diff.a} -> {diff.b}"]
    if diff.identical:
        lines.append("  same spec and data")
    for change in diff.changes:
        lines.append(f"  {change.name}: {change.before} -> {change.after}")
    for change in diff.categories:
        delta = change.after - change.before
        lines.append(f"    {change.name}: {change.before} -> {change.after} ({delta:+d})")
    if diff.system_diff:
        lines.append("  system prompt:")
        lines += [f"    {line}" for line in diff.system_diff]
    else:
        lines.append("  system prompt: same")
    lines.append(
        f"  examples: {diff.examples_kept} kept, {len(diff.examples_added)} added, "
        f"{len(diff.examples_removed)} removed"
    )
    for sign, pairs in (("+", diff.examples_added), ("-", diff.examples_removed)):
        for pair in pairs:
            lines.append(f"    {sign} tenant: {_short(pair.tenant)}")
            lines.append(f"      jamie:  {_short(pair.jamie)}")
    for change in diff.eval:
        lines.append(
            f"  eval {change.name}: {_measure(change.name, change.before)} -> "
            f"{_measure(change.name, change.after)}"
        )
    return "\n".join(lines)


async def load_diff(conn: Any, a_ref: str, b_ref: str) -> VersionDiff:
    """The diff of two stored versions; raises LookupError for an unknown one."""
    from training.datasets import load_dataset
    from training.versions import find_version

    records = []
    for ref in (a_ref, b_ref):
        record = await find_version(conn, ref)
        if record is None:
            raise LookupError(f"no version {ref!r}")
        records.append(record)
    a, b = records
    datasets = [await load_dataset(conn, r.dataset_id) if r.dataset_id else None for r in records]
    return diff_versions(a, b, datasets[0], datasets[1])
