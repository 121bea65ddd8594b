"""Sample the server's workers with py-spy while an endpoint is under load.

py-spy attaches to the running gunicorn (master and workers) without
restarting or instrumenting it, so the flame graph shows where production
requests spend their CPU. It needs the right to trace other processes: root,
or ``kernel.yama.ptrace_scope=0``, or ``--cap-add SYS_PTRACE`` in a container.
The sampler shares the machine's CPUs with the server: throughput measured
while profiling is far lower than without (on 2 cores, by half or more), so
take the figures from a run without ``--profile`` and the flame graphs from
one with it.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path
from types import TracebackType

from load import BenchError

from movieratings.testing import PYTHON

# py-spy's output formats and the file extension each is written with: an SVG
# flame graph, a speedscope profile (https://www.speedscope.app, or offline with
# its npm package), or collapsed stacks ("frame;frame;frame count" lines).
FORMATS = {"flamegraph": "svg", "speedscope": "json", "raw": "txt"}

# Samples per second (py-spy's default): a clear flame graph from a 15 s run.
# Each sample reads every worker's stack, which costs the machine CPU.
SAMPLE_RATE = 100


def py_spy() -> str:
    """Return the py-spy executable of this virtualenv (requirements-dev.txt)."""
    found = shutil.which("py-spy", path=str(Path(PYTHON).parent)) or shutil.which(
        "py-spy"
    )
    if found is None:
        raise BenchError("--profile needs py-spy: pip install -r requirements-dev.txt")
    return found


class Profile:
    """``with Profile(...):`` samples ``pid`` and its children into ``output``."""

    def __init__(
        self, pid: int, seconds: float, output: Path, output_format: str
    ) -> None:
        self.output = output
        self.command = [
            py_spy(),
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",  # Never pause the workers to read their stacks.
            "--rate",
            str(SAMPLE_RATE),
            "--duration",
            str(max(1, math.ceil(seconds))),
            "--format",
            output_format,
            "--output",
            str(output),
        ]
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Profile:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is None:
            return
        if exc_type is not None:
            self._process.kill()
            self._process.wait()
            return
        try:
            _, stderr = self._process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
            raise BenchError("py-spy did not finish within 60 s") from None
        if self._process.returncode != 0 or not self.output.exists():
            message = stderr.decode(errors="replace").strip().splitlines()
            raise BenchError(
                "py-spy failed: " + (message[-1] if message else "no output")
            )
