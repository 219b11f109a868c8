"""Field-level settings edits: applied by path, refused on a clash, diffed into audit rows."""

from __future__ import annotations

import json

import pytest

from admin.settings_changes import (
    ChangeConflict,
    ChangeRejected,
    SettingChange,
    apply_changes,
    diff_settings,
    json_pointer,
)


def settings() -> dict:
    return {
        "default_model": "a",
        "note": "kept",
        "models": {
            "a": {"display_name": "A", "options": {"temperature": 0.3}},
            "llama3.2:3b": {"display_name": "L", "options": {}},
        },
    }


def change(**fields) -> SettingChange:
    return SettingChange.model_validate(fields)


def test_changes_apply_by_path_and_leave_the_rest():
    data = settings()
    apply_changes(
        data,
        [
            change(path=["models", "llama3.2:3b", "display_name"], value="Large", base="L"),
            change(path=["models", "a", "options", "top_k"], value=40),
            change(path=["models", "a", "options", "temperature"], remove=True, base=0.3),
        ],
    )
    assert data["models"]["llama3.2:3b"]["display_name"] == "Large"
    assert data["models"]["a"]["options"] == {"top_k": 40}
    assert data["note"] == "kept" and data["default_model"] == "a"


def test_a_stale_base_is_a_conflict():
    data = settings()
    with pytest.raises(ChangeConflict) as raised:
        apply_changes(data, [change(path=["models", "a", "display_name"], value="X", base="Old")])
    assert raised.value.current == "A"
    assert "/models/a/display_name" in str(raised.value)


def test_a_null_base_means_the_field_must_be_absent():
    data = settings()
    apply_changes(data, [change(path=["models", "b"], value={"display_name": "B"}, base=None)])
    assert data["models"]["b"] == {"display_name": "B"}
    with pytest.raises(ChangeConflict):
        apply_changes(data, [change(path=["models", "b"], value={"display_name": "C"}, base=None)])


def test_paths_into_nothing_are_rejected():
    with pytest.raises(ChangeRejected, match="/models/zz does not exist"):
        apply_changes(settings(), [change(path=["models", "zz", "display_name"], value="x")])
    with pytest.raises(ChangeRejected, match="is not an object"):
        apply_changes(settings(), [change(path=["default_model", "x"], value=1)])
    with pytest.raises(ChangeRejected, match="does not exist"):
        apply_changes(settings(), [change(path=["models", "a", "version"], remove=True)])


def test_diff_lists_each_changed_field_with_json_values():
    before, after = settings(), settings()
    after["models"]["a"]["options"]["temperature"] = 0.5
    after["models"]["llama3.2:3b"]["show_in_ui"] = False
    del after["note"]
    rows = {d.path: (d.old_value, d.new_value) for d in diff_settings(before, after)}
    assert rows == {
        "/models/a/options/temperature": ("0.3", "0.5"),
        "/models/llama3.2:3b/show_in_ui": (None, "false"),
        "/note": (json.dumps("kept"), None),
    }
    assert diff_settings(before, settings()) == []


def test_json_pointer_escapes_slashes_and_tildes():
    assert json_pointer(["models", "org/model~1"]) == "/models/org~1model~01"
