"""Progress of long training work: a bar on a terminal, JSON lines for the admin page, or none.

JSON lines (`{"stage", "done", "total"}` on stderr) are what the admin's job runner reads to
show live progress; the command's result still goes to stdout.
"""

from __future__ import annotations

import json
import sys
from typing import Literal, TextIO

ProgressMode = Literal["bar", "json", "off"]
_WIDTH = 30


class Progress:
    def __init__(self, mode: ProgressMode = "off", stream: TextIO | None = None):
        self.mode = mode
        self.stream = stream or sys.stderr
        self.stage_name = ""
        self.done = 0
        self.total = 0

    def stage(self, name: str, total: int = 0) -> None:
        if self.mode == "bar" and self.total and self.done < self.total:
            self.stream.write("\n")
        self.stage_name, self.done, self.total = name, 0, total
        self._show()

    def step(self, count: int = 1) -> None:
        self.done += count
        self._show()

    def _show(self) -> None:
        if self.mode == "json":
            line = {"stage": self.stage_name, "done": self.done, "total": self.total}
            self.stream.write(json.dumps(line) + "\n")
        elif self.mode == "bar":
            if self.total:
                filled = int(_WIDTH * min(self.done, self.total) / self.total)
                bar = "#" * filled + "." * (_WIDTH - filled)
                self.stream.write(f"\r{self.stage_name:<12} [{bar}] {self.done}/{self.total}")
                if self.done >= self.total:
                    self.stream.write("\n")
            else:
                self.stream.write(f"{self.stage_name}...\n")
        else:
            return
        self.stream.flush()


def default_mode(json_output: bool) -> ProgressMode:
    """A bar when a person watches a terminal; nothing when the output is read by a program."""
    if json_output or not sys.stderr.isatty():
        return "off"
    return "bar"
