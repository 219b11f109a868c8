"""Long training work started from the admin page (train, import, replay) runs as a `pete`
command in a child process: the server's event loop and its calls never wait on it, its
progress lines (JSON on stderr) are shown live, and Cancel sends it Ctrl-C, after which the
command leaves the store as whole units of work (see training/store.py).

One job runs at a time; the last few are kept in memory for the page.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
import os
import re
import signal
import sys
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from core.clock import utc_now_iso
from core.logging import get_logger
from core.settings import Settings

log = get_logger(__name__)

JobKind = Literal["train", "import", "replay"]
JobStatus = Literal["running", "finished", "failed", "cancelled"]
_KEEP = 20
_TAIL = 20
_BAR = re.compile(r"\]\s+(\d+)/(\d+)\s*$")  # `pete eval`'s own bar: "[####....] 3/8"
EXIT_INTERRUPTED = 130


class Job(BaseModel):
    id: str
    kind: JobKind
    label: str
    status: JobStatus = "running"
    stage: str = "starting"
    done: int = 0
    total: int = 0
    started_at: str = Field(default_factory=utc_now_iso)
    finished_at: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    output: list[str] = Field(default_factory=list)  # the last lines the command wrote


class JobBusy(Exception):
    def __init__(self, job: Job):
        super().__init__(f"a {job.kind} job is running ({job.id})")
        self.job = job


def child_environment(settings: Settings) -> dict[str, str]:
    """The server's own settings, so the command works on the same store, config and backend."""
    env = dict(os.environ)
    env.update(
        {
            "PETE_DATA_DIR": str(Path(settings.data_dir).resolve()),
            "PETE_CONFIG_DIR": str(Path(settings.config_dir).resolve()),
            "PETE_BACKEND": settings.backend,
            "PETE_OLLAMA_HOST": settings.ollama_host,
            "PETE_PERSONA": settings.persona,
            "PETE_EMBEDDED_THREADS": str(settings.embedded_threads),
            "PETE_EMBEDDED_CONTEXT": str(settings.embedded_context),
            "PETE_HISTORY_MAX_MESSAGES": str(settings.history_max_messages),
            "HF_HUB_OFFLINE": "1",
        }
    )
    env.pop("OLLAMA_HOST", None)  # PETE_OLLAMA_HOST is the one meant
    return env


class JobRunner:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.jobs: OrderedDict[str, Job] = OrderedDict()
        self._processes: dict[str, asyncio.subprocess.Process] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def running(self) -> Job | None:
        return next((job for job in self.jobs.values() if job.status == "running"), None)

    def list(self) -> builtins.list[Job]:
        return list(reversed(self.jobs.values()))

    async def start(
        self, kind: JobKind, label: str, args: builtins.list[str], cleanup: Path | None = None
    ) -> Job:
        busy = self.running()
        if busy is not None:
            raise JobBusy(busy)
        job = Job(id=uuid.uuid4().hex[:10], kind=kind, label=label)
        command = [sys.executable, "-m", "voice.cli", *args, "--progress", "json", "--json"]
        process = await asyncio.create_subprocess_exec(
            *command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=child_environment(self.settings),
        )
        self.jobs[job.id] = job
        while len(self.jobs) > _KEEP:
            self.jobs.popitem(last=False)
        self._processes[job.id] = process
        task = asyncio.create_task(self._follow(job, process, cleanup), name=f"job-{job.id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        log.info("training_job_started", job=job.id, kind=kind, args=args)
        return job

    async def _follow(
        self, job: Job, process: asyncio.subprocess.Process, cleanup: Path | None
    ) -> None:
        assert process.stdout is not None and process.stderr is not None
        try:
            stdout, _ = await asyncio.gather(process.stdout.read(), self._progress(job, process))
            code = await process.wait()
            job.finished_at = utc_now_iso()
            if code == 0:
                job.status = "finished"
                job.result = json.loads(stdout.decode() or "null")
                job.stage = "done"
            elif code in (EXIT_INTERRUPTED, -signal.SIGINT):
                job.status, job.error = "cancelled", "cancelled: nothing half-written was kept"
            else:
                job.status = "failed"
                job.error = next(
                    (line for line in reversed(job.output) if line.strip()), f"exit code {code}"
                )
        except Exception as exc:  # a job's failure is shown on the page, never raised
            job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
            log.exception("training_job_failed", job=job.id)
        finally:
            self._processes.pop(job.id, None)
            if cleanup is not None:
                await asyncio.to_thread(cleanup.unlink, missing_ok=True)
            log.info("training_job_done", job=job.id, status=job.status)

    async def _progress(self, job: Job, process: asyncio.subprocess.Process) -> None:
        assert process.stderr is not None
        buffered = b""
        while chunk := await process.stderr.read(4096):
            buffered += chunk
            *lines, buffered = re.split(rb"[\r\n]", buffered)
            for raw in lines:
                self._line(job, raw.decode("utf-8", "replace").strip())
        self._line(job, buffered.decode("utf-8", "replace").strip())

    @staticmethod
    def _line(job: Job, line: str) -> None:
        if not line:
            return
        if line.startswith("{"):
            with contextlib.suppress(json.JSONDecodeError):
                step = json.loads(line)
                if isinstance(step, dict) and "stage" in step:
                    job.stage, job.done, job.total = step["stage"], step["done"], step["total"]
                    return
        bar = _BAR.search(line)
        if bar:
            job.done, job.total = int(bar.group(1)), int(bar.group(2))
            return
        job.output = [*job.output, line][-_TAIL:]

    def cancel(self, job_id: str) -> bool:
        process = self._processes.get(job_id)
        if process is None or process.returncode is not None:
            return False
        process.send_signal(signal.SIGINT)  # Ctrl-C: the command rolls back what it was doing
        return True

    async def close(self) -> None:
        for job_id in list(self._processes):
            self.cancel(job_id)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=30)
