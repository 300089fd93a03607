"""A tiny HTTP server on 127.0.0.1 that fails the first requests, for the client's retry tests.

``FlakyServer(failures=[503, 503])`` answers the first two requests with those
statuses, then either a JSON body (fixed, or computed from the request) or, with ``forward_to``, the real
server's answer to the same request (so a retried request still reaches a real model).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx


class FlakyServer:
    def __init__(self, failures: list[int], body: dict | Callable[[dict], dict] | None = None, forward_to: str | None = None,
                 retry_after: str | None = None) -> None:
        self.failures = list(failures)
        self.body = body or {}
        self.forward_to = forward_to
        self.retry_after = retry_after
        self.requests: list[tuple[str, str]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                payload = self.rfile.read(length) if length else b""
                owner.requests.append((self.command, self.path))
                if owner.failures:
                    status, data = owner.failures.pop(0), json.dumps({"error": {"message": "model is loading"}}).encode()
                elif owner.forward_to:
                    real = httpx.request(self.command, owner.forward_to + self.path, content=payload or None,
                                         headers={"content-type": "application/json"}, timeout=300, trust_env=False)
                    status, data = real.status_code, real.content
                elif callable(owner.body):
                    status, data = 200, json.dumps(owner.body(json.loads(payload or b"{}"))).encode()
                else:
                    status, data = 200, json.dumps(owner.body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                if owner.retry_after and status >= 500:
                    self.send_header("retry-after", owner.retry_after)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *_: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FlakyServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
