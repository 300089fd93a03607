"""A small JSON client for OpenAI-compatible servers (llama-cpp-python's, llama.cpp's, vLLM...).

Why not the ``openai`` package: briefer needs two endpoints, bounded retries
and one-line errors, and must never fall back to a hosted default.  httpx is
already installed (LlamaIndex needs it).  The client only ever talks to the
base URL the analyst configured (``BRIEFER_LLM_URL`` / ``BRIEFER_EMBED_URL``);
there is no default host.

Failure policy, chosen so a long memo survives a server restart but a wrong
request fails at once:

* connection errors and 5xx answers are retried ``retries`` times with
  exponential backoff (0.5 s, 1 s, 2 s..., capped at 8 s; a ``Retry-After``
  header of at most 8 s is honoured), then raise :class:`ServerUnavailable`;
* a timeout is not retried (a generation that took too long would take too
  long again): :class:`ServerUnavailable` naming ``BRIEFER_LLM_TIMEOUT``;
* a 4xx answer is never retried: :class:`ServerRejected` with the server's own
  message, on one line.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import ConfigError, ServerRejected, ServerUnavailable

MAX_BACKOFF = 8.0
MESSAGE_CHARS = 300


def check_base_url(url: str, setting: str) -> str:
    """``http(s)://host[:port]/prefix`` without a trailing slash; anything else is a ConfigError."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{setting}={url!r} is not an http(s) URL; use e.g. http://127.0.0.1:8000/v1.")
    return url.strip().rstrip("/")


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MESSAGE_CHARS else text[:MESSAGE_CHARS - 1] + "…"


def _server_message(response: httpx.Response) -> str:
    """The error text an OpenAI-style server puts in ``{"error": {"message"}}`` (or ``detail``)."""
    try:
        body = response.json()
    except ValueError:
        return _one_line(response.text) or response.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body.get("detail", body))
        if isinstance(err, dict):
            err = err.get("message", err)
        return _one_line(err if isinstance(err, str) else str(err))
    return _one_line(str(body))


class JsonClient:
    """POST/GET JSON against one base URL, with the retry policy in the module docstring."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout: float = 300.0, retries: int = 3,
                 setting: str = "BRIEFER_LLM_URL", backoff: float = 0.5) -> None:
        self.base_url = check_base_url(base_url, setting)
        self.setting = setting
        self.retries = max(0, int(retries))
        self.backoff = backoff
        headers = {"Accept": "application/json"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"  # never logged, never stored in the record
        # trust_env=False: no proxy from the environment sees the analyst's documents unless configured here.
        self._http = httpx.Client(headers=headers, timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                                  trust_env=False)
        self.timeout = timeout

    def close(self) -> None:
        self._http.close()

    def get(self, path: str) -> Any:
        return self._request("GET", path, None)

    def post(self, path: str, payload: dict) -> Any:
        return self._request("POST", path, payload)

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        if response is not None:
            try:
                after = float(response.headers.get("retry-after", ""))
                if 0 <= after <= MAX_BACKOFF:
                    return after
            except ValueError:
                pass
        return min(MAX_BACKOFF, self.backoff * (2 ** attempt))

    def _request(self, method: str, path: str, payload: dict | None) -> Any:
        url = f"{self.base_url}/{path.lstrip('/')}"
        where = f"{method} {url}"
        problem = ""
        for attempt in range(self.retries + 1):
            response = None
            try:
                response = self._http.request(method, url, json=payload)
            except httpx.TimeoutException:
                raise ServerUnavailable(f"{where} timed out after {self.timeout:g} s; raise BRIEFER_LLM_TIMEOUT or "
                                        f"check the server's load.") from None
            except httpx.TransportError as exc:
                problem = f"cannot connect ({_one_line(str(exc)) or type(exc).__name__})"
            else:
                if response.status_code < 400:
                    return self._json(response, where)
                if response.status_code < 500:
                    raise ServerRejected(f"{where} was rejected (HTTP {response.status_code}): "
                                         f"{_server_message(response)}. Check {self.setting} and the model name and key.")
                problem = f"HTTP {response.status_code}: {_server_message(response)}"
            if attempt < self.retries:
                time.sleep(self._delay(attempt, response))
        raise ServerUnavailable(f"{where} failed after {self.retries + 1} attempts: {problem}. "
                                f"Is the server running? Check {self.setting}.")

    @staticmethod
    def _json(response: httpx.Response, where: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise ServerUnavailable(f"{where} answered HTTP {response.status_code} with a body that is not JSON: "
                                    f"{_one_line(response.text)[:80]}") from None

    def only_model(self) -> str:
        """The one model the server lists (``GET /models``), for when no model name was configured."""
        listing = self.get("models")
        ids = [m.get("id") for m in listing.get("data", []) if isinstance(m, dict)] if isinstance(listing, dict) else []
        if len(ids) != 1 or not isinstance(ids[0], str):
            raise ConfigError(f"{self.base_url} serves {len(ids)} models ({', '.join(map(str, ids[:5]))}); "
                              f"name one with the model setting that goes with {self.setting}.")
        return ids[0]
