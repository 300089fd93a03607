"""How a chat becomes the tokens llama.cpp reads: control tokens broken up, the GGUF's chat
template applied, the context window checked.

``LlamaChatModel`` (``briefer/llm.py``) keeps the loaded model and the decoding; this is the
text-to-prompt side it shares between one chat at a time (``create_chat_completion``) and chats
decoded side by side (``briefer/batchgen.py``), which must see the same prompt tokens and fail
with the same one-line advice when a prompt does not fit.
"""

from __future__ import annotations

import re

from .errors import ModelError

ZWSP = "\u200b"


def control_pattern(llama_cpp, llm) -> re.Pattern | None:
    """The loaded model's own control-token strings as one regex, or None if it has none."""
    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    control = {t for i in range(llm.n_vocab()) if llama_cpp.llama_vocab_is_control(vocab, i)
               and len(t := llm._model.token_get_text(i)) > 1}
    # One alternation, longest first (Gemma has 6000+ control tokens, <unused0>...).
    return re.compile("|".join(map(re.escape, sorted(control, key=len, reverse=True)))) if control else None


def defang_with(control: re.Pattern | None, text: str) -> str:
    """Break up control-token strings (``<|im_start|>``...) that occur in prompt text.

    llama-cpp-python tokenizes the formatted chat with ``special=True``, so
    a corpus document containing ``<|im_end|><|im_start|>system`` would
    otherwise open a real system turn.  A zero-width space after the first
    character makes it ordinary text; only the model's view changes, the
    quotes and offsets in the record come from the document itself.
    """
    if control is None:
        return text
    return control.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], text)


def chat_formatter(llm):
    """The chat template's formatter, as llama-cpp-python builds it, or None for other chat formats."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    template = llm.metadata.get("tokenizer.chat_template")
    if llm.chat_format != "chat_template.default" or not template:
        return None
    def text(token_id: int) -> str:
        return llm._model.token_get_text(token_id) if token_id != -1 else ""

    return Jinja2ChatFormatter(template=template, eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos()),
                               stop_token_ids=[llm.token_eos()])


def batch_request(llm, formatter, messages: list[dict], *, max_tokens: int, n_ctx: int, n_ctx_train: int | None):
    """One (defanged) chat as a batch decoder ``Request``: the prompt tokenised as
    ``create_chat_completion`` would, refused as it would be when prompt and answer exceed the context."""
    from .batchgen import Request

    r = formatter(messages=messages)
    tokens = llm.tokenize(r.prompt.encode("utf-8"), add_bos=not r.added_special, special=True)
    if len(tokens) + max_tokens > n_ctx:
        raise context_error(ValueError(f"Requested tokens ({len(tokens) + max_tokens}) exceed context window "
                                       f"of {n_ctx}"), n_ctx=n_ctx,
                            max_tokens=max_tokens, n_ctx_train=n_ctx_train)
    stops = [r.stop] if isinstance(r.stop, str) else list(r.stop or [])
    return Request(tokens, stops)


def context_error(exc: ValueError, *, n_ctx: int, max_tokens: int, n_ctx_train: int | None = None) -> Exception:
    """llama-cpp-python's "Requested tokens (N) exceed context window of C" as a one-line ModelError
    that names the context size needed (prompt + answer, rounded up to 512); other ValueErrors unchanged."""
    found = re.search(r"Requested tokens \((\d+)\) exceed context window of (\d+)", str(exc))
    if not found:
        return exc
    prompt, window = int(found.group(1)), int(found.group(2)) or n_ctx
    needed = -(-(prompt + max_tokens) // 512) * 512
    limit = f" (the model was trained for {n_ctx_train})" if n_ctx_train and needed > n_ctx_train else ""
    return ModelError(f"The prompt needs {prompt} tokens plus up to {max_tokens} for the answer, but the model's context "
                      f"is {window} tokens. Use --n-ctx {needed} or more (BRIEFER_N_CTX){limit}, or fewer evidence "
                      "sentences per section.")
