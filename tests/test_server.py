"""The openai-compatible backend against a real llama-cpp-python server on 127.0.0.1.

The servers come from ``.ci/run`` (``BRIEFER_TEST_LLM_URL`` / ``BRIEFER_TEST_EMBED_URL``)
or, when those are unset, from the session fixture below (tests/llama_server.py):
the fast chat model and the MiniLM embedder, one thread each.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from briefer.entail import entailment_messages
from briefer.errors import ServerRejected
from briefer.httpclient import JsonClient
from briefer.llm import LlamaChatModel
from briefer.remote import RemoteChatModel, RemoteEmbedder
from briefer.settings import load_settings

import llama_server

pytestmark = pytest.mark.server

# Read at import: the autouse isolated_home fixture clears every BRIEFER_* variable.
GIVEN = (os.environ.get("BRIEFER_TEST_LLM_URL"), os.environ.get("BRIEFER_TEST_EMBED_URL"))
TOPIC = "export-controls"


@pytest.fixture(scope="session")
def servers(models_dir):
    """(chat URL, embeddings URL): given by the environment, else started here and stopped after the session."""
    if all(GIVEN):
        yield GIVEN
        return
    workdir = Path(tempfile.mkdtemp(prefix="briefer-servers-"))
    procs, chat_url, embed_url = llama_server.start_both(models_dir, workdir)
    try:
        yield chat_url, embed_url
    finally:
        for p in procs:
            llama_server.stop(p)


@pytest.fixture(scope="session")
def local_chat(fast_model_path):
    return LlamaChatModel(fast_model_path, n_ctx=llama_server.N_CTX, n_threads=1, n_gpu_layers=0, seed=42)


def test_chat_and_grammar_choice_through_the_server_equal_in_process(servers, local_chat):
    remote = RemoteChatModel(JsonClient(servers[0]))
    assert remote.model == llama_server.CHAT_ALIAS  # the one model the server lists
    messages = [{"role": "system", "content": "You answer in one short sentence."},
                {"role": "user", "content": "Which country restricted exports of advanced chips to China in 2022?"}]
    here = local_chat.chat(messages, max_tokens=40, temperature=0.0, seed=42)
    there = remote.chat(messages, max_tokens=40, temperature=0.0, seed=42)
    assert there.text and there.text == here.text
    assert there.prompt_tokens == here.prompt_tokens and there.completion_tokens == here.completion_tokens
    # The entailment check's constrained YES/NO: the grammar travels in the request.
    for claim in ("The US restricted chip exports.", "Brazil banned coffee exports in 1850."):
        asked = entailment_messages(["The United States restricted exports of advanced chips to China in 2022."], claim)
        answer = remote.choose(asked, ("YES", "NO"))
        assert answer in ("YES", "NO") and answer == local_chat.choose(asked, ("YES", "NO"))


def test_embeddings_are_normalised_and_equal_in_process(servers, models_dir):
    from briefer.embed import Embedder, prepare_default_embedder

    texts = ["Chip export controls tightened in October 2022.", "Huawei built its own processors.",
             "The weather was mild.", "   ", "x " * 700]  # blank and over-long inputs included
    remote = RemoteEmbedder(JsonClient(servers[1], setting="BRIEFER_EMBED_URL"))
    got = remote.embed(texts)
    assert got.shape == (len(texts), 384) and remote.dim == 384
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    local = Embedder(prepare_default_embedder(models_dir), n_threads=1).embed(texts[:3])
    assert np.min(np.sum(got[:3] * local, axis=1)) >= 0.9999


def test_4xx_is_one_line_and_not_retried(servers):
    client = JsonClient(servers[0], retries=3, backoff=5.0)
    remote = RemoteChatModel(client)
    huge = [{"role": "user", "content": "word " * 6000}]  # more than the server's 4096-token context
    t0 = time.monotonic()
    with pytest.raises(ServerRejected) as info:
        remote.chat(huge, max_tokens=10, temperature=0.0, seed=42)
    assert time.monotonic() - t0 < 5.0  # no backoff sleep: a 4xx is not retried
    message = str(info.value)
    assert "\n" not in message and "HTTP 400" in message and "context" in message.lower()
    with pytest.raises(ServerRejected, match=r"HTTP 404"):
        JsonClient(servers[0].removesuffix("/v1") + "/nope").post("chat/completions", {"messages": []})


def _memo(settings_kw: dict, corpus: Path, home: Path, out: Path, model=None) -> dict:
    from briefer.pipeline import generate

    settings = load_settings(corpus=corpus, out=out, home=home, threads=1, **settings_kw)
    generate(settings, TOPIC, model=model, progress=lambda *a, **k: None)
    return json.loads((out / f"{TOPIC}.json").read_text(encoding="utf-8"))


def test_memo_through_the_server_equals_the_in_process_memo(servers, sample_corpus, tmp_path, fast_model_path):
    # One section after another, as a server answers requests (the default in-process memo decodes
    # its sections side by side, and batched arithmetic may round a near-tie the other way).
    here = _memo({"model": str(fast_model_path), "batch_sections": False}, sample_corpus, tmp_path / "home-a",
                 tmp_path / "a")
    there = _memo({"llm_url": servers[0], "embed_url": servers[1]}, sample_corpus, tmp_path / "home-b", tmp_path / "b")
    assert there["model"]["backend"] == "openai-compatible" and there["model"]["endpoint"] == servers[0]
    assert there["model"]["sha256"] is None and there["model"]["name"] == llama_server.CHAT_ALIAS
    assert here["model"]["backend"] == "llama-cpp" and here["model"]["endpoint"] is None

    def memo(record: dict) -> list:
        return [(sec["title"], sec["status"], [(s["text"], s["citations"], s["origin"]) for s in sec["sentences"]])
                for sec in record["sections"]]

    assert any(sec["sentences"] for sec in here["sections"])  # a memo, not a row of refusals
    assert here["settings"]["retrieval"] == there["settings"]["retrieval"] == "hybrid"
    assert memo(there) == memo(here)
    assert [(s["document"], s["start"], s["end"]) for s in there["sources"]] == \
           [(s["document"], s["start"], s["end"]) for s in here["sources"]]

    def body(path: Path) -> list[str]:  # the Markdown memo without its line naming the model and the time
        return [line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("*Briefing memo")]

    assert body(tmp_path / "b" / f"{TOPIC}.md") == body(tmp_path / "a" / f"{TOPIC}.md")


def test_a_503_then_the_real_server_answer_is_retried_through(servers, local_chat):
    from stub_server import FlakyServer

    root = servers[0].removesuffix("/v1")
    with FlakyServer([503], forward_to=root) as proxy:
        remote = RemoteChatModel(JsonClient(proxy.url + "/v1", retries=2, backoff=0.1), llama_server.CHAT_ALIAS)
        messages = [{"role": "user", "content": "Name one export control."}]
        got = remote.chat(messages, max_tokens=12, temperature=0.0, seed=42)
    assert [p for _, p in proxy.requests] == ["/v1/chat/completions"] * 2
    assert got.text == local_chat.chat(messages, max_tokens=12, temperature=0.0, seed=42).text
