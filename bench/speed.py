"""Speed helpers for the bench: child processes with their own peak RSS, stage breakdowns, machine facts.

Peak memory of a child is its ``VmHWM`` (high-water RSS of the program it
exec'd), polled from ``/proc/<pid>/status`` while it runs.  Neither rusage
figure works here: ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` is the maximum over
*all* children so far, and even a single child's ``ru_maxrss`` (``os.wait4``)
starts at the parent's RSS at fork time, so a ``briefer render`` started by a
bench process holding a model "peaks" at the bench's 500 MB.  Without /proc
we fall back to ``wait4``'s figure.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("model_load", "index", "retrieval", "llm_prompt", "llm_generation", "verification", "rendering")


@dataclass
class Proc:
    rc: int
    wall_s: float
    max_rss_mb: float
    stdout: str
    stderr: str
    timed_out: bool = False


def _vm_hwm_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0  # gone, or a zombie whose memory is already released


def run_proc(cmd: list[str], env: dict[str, str], timeout_s: float) -> Proc:
    """Run ``cmd`` (cwd: repo root), returning wall time and the child's own peak RSS."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=env, cwd=ROOT)
        timed_out, hwm_kb = False, 0  # Popen returns after the child's exec, so this is the new program
        try:
            while True:
                hwm_kb = max(hwm_kb, _vm_hwm_kb(proc.pid))
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
                if pid:
                    break
                if time.perf_counter() - t0 > timeout_s and not timed_out:
                    proc.kill()
                    timed_out = True
                time.sleep(0.01)
        except BaseException:  # Ctrl-C / SIGTERM of the bench: take the child down with us
            proc.kill()
            os.wait4(proc.pid, 0)
            raise
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # Popen must not wait for a reaped child
        out.seek(0)
        err.seek(0)
        return Proc(proc.returncode, wall, (hwm_kb or usage.ru_maxrss) / 1024.0, out.read().decode("utf-8", "replace"),
                    err.read().decode("utf-8", "replace"), timed_out)


def briefer_cmd() -> list[str]:
    """The installed console script next to this interpreter (what an analyst runs)."""
    script = Path(sys.executable).parent / "briefer"
    if script.is_file():
        return [str(script)]
    found = shutil.which("briefer")
    return [found] if found else [sys.executable, "-c", "from briefer.cli import main; main()"]


def clean_env(home: Path, threads: int | None) -> dict[str, str]:
    """The caller's environment without BRIEFER_* (a stray setting would skew the figures)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFER_")}
    env["BRIEFER_HOME"] = str(home)
    if threads:
        env["BRIEFER_THREADS"] = str(threads)
    if os.environ.get("BRIEFER_BENCH_MODEL"):  # bench/run.py --model NAME
        env["BRIEFER_MODEL"] = os.environ["BRIEFER_BENCH_MODEL"]
    if os.environ.get("BRIEFER_BENCH_REWORD"):  # bench/run.py --reword
        env["BRIEFER_REWORD"] = "true"
    return env


def breakdown(record: dict, wall_s: float) -> dict:
    """Per-stage seconds from the record, the unaccounted rest, and token throughput."""
    t = record.get("timings", {})
    tok = record.get("tokens", {})
    stages = {k: (float(t[k]) if k in t else None) for k in STAGES}  # None: not in this record
    llm = (stages["llm_prompt"] or 0.0) + (stages["llm_generation"] or 0.0)
    return {
        "wall_s": wall_s,
        "stages_s": stages,
        # Imports, CLI start-up, topic/template loading, interpreter exit: wall minus the timed stages.
        "other_s": max(0.0, wall_s - sum(v for v in stages.values() if v is not None)),
        "llm_s": llm,
        "outside_llm_s": wall_s - llm,
        "outside_llm_share": (wall_s - llm) / wall_s if wall_s else None,
        "tokens": dict(tok),
        "prompt_evaluated_share": tok["prompt_evaluated"] / tok["prompt_sent"] if tok.get("prompt_sent") else None,
        "prompt_tok_per_s": tok.get("prompt_evaluated", 0) / stages["llm_prompt"] if stages["llm_prompt"] else None,
        "gen_tok_per_s": tok.get("generated", 0) / stages["llm_generation"] if stages["llm_generation"] else None,
    }


def cli_generate(home: Path, out_dir: Path, corpus: Path, threads: int | None, timeout_s: float) -> dict:
    """`briefer generate --topic export-controls` in a new process."""
    cmd = briefer_cmd() + ["generate", "--topic", "export-controls", "--corpus", str(corpus), "--out", str(out_dir)]
    p = run_proc(cmd, clean_env(home, threads), timeout_s)
    result: dict = {"command": " ".join(["briefer"] + cmd[len(briefer_cmd()):]), "rc": p.rc, "max_rss_mb": p.max_rss_mb,
                    "wall_s": p.wall_s, "timed_out": p.timed_out}
    record_path = out_dir / "export-controls.json"
    if p.rc != 0 or not record_path.is_file():
        result["error"] = (p.stderr.strip().splitlines() or ["(no output)"])[-1]
        return result
    record = json.loads(record_path.read_text(encoding="utf-8"))
    result.update(breakdown(record, p.wall_s), record_path=str(record_path))
    return result


def render_subprocess(home: Path, record_path: Path, out_dir: Path, repeats: int, timeout_s: float) -> dict:
    """`briefer render RECORD` in a new process, ``repeats`` times (interpreter start-up included)."""
    cmd = briefer_cmd() + ["render", str(record_path), "--out", str(out_dir)]
    runs = [run_proc(cmd, clean_env(home, None), timeout_s) for _ in range(repeats)]
    bad = [r for r in runs if r.rc != 0]
    if bad:
        return {"error": (bad[0].stderr.strip().splitlines() or ["(no output)"])[-1]}
    walls = [r.wall_s for r in runs]
    return {"median_s": statistics.median(walls), "min_s": min(walls), "runs": walls,
            "max_rss_mb": max(r.max_rss_mb for r in runs)}


def render_in_process(record_path: Path, out_dir: Path, repeats: int) -> dict:
    """load_record + render_files (md and html) in this process; the first call also compiles templates."""
    from briefer.record import load_record
    from briefer.render import render_files

    walls = []
    for _ in range(repeats):
        t = time.perf_counter()
        render_files(load_record(record_path), out_dir, ["md", "html"])
        walls.append(time.perf_counter() - t)
    return {"median_s": statistics.median(walls), "first_s": walls[0], "runs": walls}


def self_peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _ram_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_commit() -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True,
                               text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if head.returncode == 0 else None


def source_fingerprint() -> str:
    """Hash of briefer's code and templates: other engineers edit the tree while the bench runs,
    and a figure measured across an edit compares two different programs."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted([*(ROOT / "briefer").glob("*.py"), *(ROOT / "templates").rglob("*")]):
        if path.is_file():
            digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def machine_info() -> dict:
    from briefer.settings import physical_cores

    return {
        "cpu_model": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "physical_cores": physical_cores(),
        "ram_gb": _ram_gb(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "llama_cpp_python": _version("llama_cpp_python"),
        "briefer": _version("briefer"),
        "git_commit": _git_commit(),
        "loadavg_start": list(os.getloadavg()),
        # llama.cpp here is an OpenMP build: these change how its threads wait (see bench/README.md).
        "omp_env": {k: v for k, v in os.environ.items() if k.startswith(("OMP_", "GOMP_"))},
    }
