"""Start llama-cpp-python's OpenAI-compatible server on loopback, for the ``server`` tests and ``.ci/run``.

Two processes, one model each: the fast chat model (SmolLM2-135M) and the
MiniLM embedder briefer converts.  One server given both models through
``--config_file`` would close and reload a model whenever requests alternate
between them, so the tests would mostly measure model loading.

``python tests/llama_server.py --env-file FILE`` starts both, writes
``BRIEFER_TEST_LLM_URL=...`` / ``BRIEFER_TEST_EMBED_URL=...`` lines to FILE once
they answer, and stops them on SIGTERM/SIGINT (``.ci/run`` does this around pytest).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

CHAT_ALIAS = "smollm2-135m"
EMBED_ALIAS = "all-minilm-l6-v2"
N_CTX = 4096  # briefer's default, so the server and the in-process model see the same window


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_settings(path: Path, alias: str, *, embedding: bool) -> dict:
    common = {"model": str(path), "model_alias": alias, "n_threads": 1, "n_threads_batch": 1, "n_gpu_layers": 0,
              "verbose": False}
    if embedding:  # an encoder sees a whole input in one ubatch; MiniLM was trained for 512 tokens
        return {**common, "embedding": True, "n_ctx": 512, "n_batch": 512, "n_ubatch": 512}
    return {**common, "n_ctx": N_CTX, "seed": 42}


# ``python -m llama_cpp.server``, after the AMX bypass that briefer's own loads get (briefer/llama_cpu.py): the
# server loads its models itself, in this child process.
_SERVE = ("import runpy, llama_cpp; from briefer.llama_cpu import plain_buffers_for_process; "
          "plain_buffers_for_process(llama_cpp); runpy.run_module('llama_cpp.server', run_name='__main__', alter_sys=True)")


def start(settings: dict, workdir: Path, timeout: float = 120.0) -> tuple[subprocess.Popen, str]:
    """One server on a free loopback port; returns (process, base URL) once /v1/models answers."""
    port = free_port()
    config = workdir / f"{settings['model_alias']}.json"
    config.write_text(json.dumps({"host": "127.0.0.1", "port": port, "models": [settings]}))
    log = open(workdir / f"{settings['model_alias']}.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", _SERVE, "--config_file", str(config)],
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama_cpp.server exited ({proc.returncode}); see {log.name}")
        try:
            if httpx.get(f"{url}/models", timeout=2.0, trust_env=False).status_code == 200:
                return proc, url
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    stop(proc)
    raise RuntimeError(f"llama_cpp.server did not answer on {url} within {timeout:.0f} s; see {log.name}")


def stop(proc: subprocess.Popen) -> None:
    """Terminate the server (and only it: its own process group)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def model_paths(models_dir: Path) -> tuple[Path, Path]:
    from briefer.embed import prepare_default_embedder
    from briefer.modelfile import resolve_model_path

    return resolve_model_path(CHAT_ALIAS, models_dir), prepare_default_embedder(models_dir)


def start_both(models_dir: Path, workdir: Path) -> tuple[list[subprocess.Popen], str, str]:
    chat_path, embed_path = model_paths(models_dir)
    chat, chat_url = start(model_settings(chat_path, CHAT_ALIAS, embedding=False), workdir)
    try:
        embed, embed_url = start(model_settings(embed_path, EMBED_ALIAS, embedding=True), workdir)
    except BaseException:
        stop(chat)
        raise
    return [chat, embed], chat_url, embed_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env-file", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, default=None,
                        help="BRIEFER_MODELS_DIR for the converted embedder (shared with pytest by .ci/run)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="briefer-servers-"))
    procs, chat_url, embed_url = start_both(args.models_dir or workdir / "models", workdir)
    done = False

    def finish(*_: object) -> None:
        nonlocal done
        done = True

    signal.signal(signal.SIGTERM, finish)
    signal.signal(signal.SIGINT, finish)
    tmp = args.env_file.with_suffix(".part")
    tmp.write_text(f"BRIEFER_TEST_LLM_URL={chat_url}\nBRIEFER_TEST_EMBED_URL={embed_url}\n")
    os.replace(tmp, args.env_file)
    try:
        while not done and all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        for p in procs:
            stop(p)


if __name__ == "__main__":
    main()
