"""Where a variant's time goes under load: py-spy samples the gunicorn workers from outside
(no code change, no import in the service) while Locust drives them, and the collapsed stacks
are summarised per function.

py-spy needs ptrace rights over the workers (root, or kernel.yama.ptrace_scope = 0).
"""

from __future__ import annotations

import collections
import re
import shutil
import subprocess
import sys
from pathlib import Path

import psutil

# "function (path/to/file.py:123)" -> "function (file.py)"; line numbers split one function.
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")


def worker_pids(master_pid: int) -> list[int]:
    """Return the pids of the gunicorn master's workers."""
    return [child.pid for child in psutil.Process(master_pid).children()]


def worker_memory_mb(master_pid: int) -> list[float]:
    """Return each worker's resident memory in MB."""
    return [round(child.memory_info().rss / 2**20, 1) for child in psutil.Process(master_pid).children()]


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed (pip install -r requirements-dev.txt)")
    return found


def start_recording(
    pids: list[int], seconds: int, out: Path, name: str
) -> list[tuple[subprocess.Popen, Path]]:
    """Start one py-spy per worker for ``seconds``; return the processes and their output files."""
    started = []
    for pid in pids:
        raw = out / f"{name}-{pid}.txt"
        process = subprocess.Popen(
            [py_spy(), "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
             "--nonblocking", "--format", "raw", "--output", str(raw)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        started.append((process, raw))
    return started


def finish_recording(started: list[tuple[subprocess.Popen, Path]]) -> list[Path]:
    files = []
    for process, raw in started:
        _, err = process.communicate(timeout=120)
        if process.returncode != 0 or not raw.exists():
            raise SystemExit(f"py-spy failed: {err.decode(errors='replace').strip()}")
        files.append(raw)
    return files


def _frame(text: str) -> str:
    match = FRAME.match(text.strip())
    if not match:
        return text.strip()
    return f"{match['function']} ({Path(match['path']).name})"


def summarise(files: list[Path], top: int = 25) -> str:
    """Return a Markdown summary of collapsed stacks: the functions that hold the most samples
    themselves (self) and with their callees (total), as shares of all samples."""
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for path in files:
        for line in path.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            n = int(count)
            frames = [_frame(f) for f in stack.split(";")]
            samples += n
            own[frames[-1]] += n
            for frame in set(frames):
                total[frame] += n
    if not samples:
        return "No samples.\n"

    def table(counter: collections.Counter[str], title: str) -> list[str]:
        rows = [f"| {title} | share |", "|---|---:|"]
        rows += [f"| `{name}` | {n / samples:.1%} |" for name, n in counter.most_common(top)]
        return rows

    lines = [f"{samples} samples from {len(files)} workers.", ""]
    lines += [*table(own, "function (self)"), "", *table(total, "function (with callees)")]
    return "\n".join(lines) + "\n"
