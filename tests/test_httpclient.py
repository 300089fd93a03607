"""The OpenAI-compatible client's failure policy, against a local stub HTTP server (no model needed):
5xx and connection errors retried with backoff, 4xx never, errors on one line; backend chosen by settings."""

from __future__ import annotations

import time

import numpy as np
import pytest

from briefer.backends import make_chat_model, make_embedder
from briefer.errors import ConfigError, ServerRejected, ServerUnavailable
from briefer.httpclient import JsonClient
from briefer.remote import RemoteChatModel, RemoteEmbedder
from briefer.settings import load_settings
from llama_server import free_port
from stub_server import FlakyServer

COMPLETION = {"choices": [{"message": {"role": "assistant", "content": "Fine."}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 7, "completion_tokens": 2}}


def test_5xx_is_retried_with_backoff_then_succeeds():
    with FlakyServer([503, 502], COMPLETION) as stub:
        t0 = time.monotonic()
        out = JsonClient(stub.url, retries=3, backoff=0.2).post("chat/completions", {"messages": []})
        elapsed = time.monotonic() - t0
    assert out == COMPLETION and len(stub.requests) == 3
    assert elapsed >= 0.2 + 0.4  # 0.2 s, then twice that


def test_retries_are_bounded_and_the_error_is_one_line():
    with FlakyServer([503] * 10, COMPLETION) as stub:
        with pytest.raises(ServerUnavailable) as info:
            JsonClient(stub.url, retries=2, backoff=0.01).post("chat/completions", {})
    assert len(stub.requests) == 3
    message = str(info.value)
    assert "\n" not in message and "3 attempts" in message and "HTTP 503" in message and "model is loading" in message


def test_retry_after_is_honoured():
    with FlakyServer([503], COMPLETION, retry_after="1") as stub:
        t0 = time.monotonic()
        JsonClient(stub.url, retries=1, backoff=0.0).get("models")
        assert time.monotonic() - t0 >= 1.0


def test_4xx_is_not_retried():
    with FlakyServer([401, 401], COMPLETION) as stub:
        with pytest.raises(ServerRejected) as info:
            JsonClient(stub.url, retries=3, backoff=1.0).post("chat/completions", {})
    assert len(stub.requests) == 1
    assert "HTTP 401" in str(info.value) and "\n" not in str(info.value)


def test_connection_refused_is_retried_then_fails():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nobody listens there
    t0 = time.monotonic()
    with pytest.raises(ServerUnavailable, match="cannot connect"):
        JsonClient(url, retries=2, backoff=0.1).get("models")
    assert time.monotonic() - t0 >= 0.3


@pytest.mark.parametrize("url", ["localhost:8000", "ftp://host/v1", ""])
def test_base_url_must_be_http(url):
    with pytest.raises(ConfigError, match="not an http"):
        JsonClient(url)


def test_settings_choose_the_backend_and_embeddings_are_normalised():
    def vectors(request: dict) -> dict:  # unnormalised rows, listed out of order (the index field says which)
        rows = [{"index": i, "embedding": [3.0, 4.0] if i % 2 == 0 else [0.0, 2.0]} for i in range(len(request["input"]))]
        return {"data": rows[::-1]}

    with FlakyServer([], COMPLETION) as chat, FlakyServer([], vectors) as emb:
        settings = load_settings(llm_url=chat.url + "/v1", llm_model="served", embed_url=emb.url + "/v1",
                                 embed_model="minilm", llm_retries=0)
        model = make_chat_model(settings)
        assert isinstance(model, RemoteChatModel) and model.info["endpoint"] == chat.url + "/v1"
        assert model.chat([{"role": "user", "content": "hi"}], max_tokens=5, temperature=0.0, seed=1).text == "Fine."
        embedder = make_embedder(settings)
        assert isinstance(embedder, RemoteEmbedder) and embedder.model_id.endswith("minilm@" + emb.url + "/v1")
        got = embedder.embed(["a", "b"])
    assert np.allclose(got, [[0.6, 0.8], [0.0, 1.0]])  # rows in the server's index order, unit length
    assert chat.requests[-1] == ("POST", "/v1/chat/completions")
