"""A llama.cpp CPU-kernel fault that briefer steps around when it loads a model.

llama-cpp-python compiles llama.cpp with ``-march=native``.  On an Intel Xeon with AMX
(Sapphire Rapids and later) that build includes llama.cpp's AMX matrix kernels and routes
quantised weights (Q4_0, Q4_1, Q8_0, the K-quants) to them through an "extra buffer type".
With llama-cpp-python 0.3.36 built by GCC 12 those kernels die with SIGILL at their first tile
instruction (``tilezero`` in ``ggml_backend_amx_mul_mat``): every memo, every chat test and
the embedder's server crashed on such a machine, a 2-core Xeon of this project's
(README, "CPU").  The tile configuration is lost before use, which llama.cpp pull request
#26954 describes and has not released.  The machine itself runs AMX tiles correctly.

Loading with ``use_extra_bufts`` off keeps the weights in plain CPU buffers, where the
AVX-512/AVX2 kernels run them.  ``Llama()`` takes no such argument, so the defaults it reads
are swapped while it loads.  Only a build that reports ``AMX_INT8 = 1`` is touched, so other
machines (AMD, older Intel, ARM, GPU builds without AMX) load exactly as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import ModuleType

#: What ``briefer models`` says when the bypass is in effect.
AMX_BYPASSED = ("this llama.cpp build has AMX kernels (they crashed with SIGILL in llama-cpp-python 0.3.36); "
                "briefer loads models without them (README, \"CPU\")")


def has_amx_kernels(llama_cpp: ModuleType) -> bool:
    """Does this llama-cpp-python build carry llama.cpp's AMX kernels?"""
    try:
        info = llama_cpp.llama_print_system_info()
    except Exception:  # noqa: BLE001 - an old or broken build: nothing to step around
        return False
    text = info.decode(errors="replace") if isinstance(info, bytes) else str(info)
    return "AMX_INT8 = 1" in text


def _swap(llama_cpp: ModuleType):
    """(the ctypes module, its original defaults) when this build needs plain buffers, else None."""
    lib = getattr(llama_cpp, "llama_cpp", None)
    original = getattr(lib, "llama_model_default_params", None)
    if original is None or not has_amx_kernels(llama_cpp) or not hasattr(original(), "use_extra_bufts"):
        return None

    def defaults():
        params = original()
        params.use_extra_bufts = False
        return params

    lib.llama_model_default_params = defaults
    return lib, original


@contextlib.contextmanager
def plain_buffers(llama_cpp: ModuleType) -> Iterator[None]:
    """While a ``llama_cpp.Llama`` is constructed inside this block, it loads without extra buffer types
    if the build has AMX kernels.  ``Llama.__init__`` reads ``llama_cpp.llama_cpp.llama_model_default_params``
    at call time; the original is put back on leaving, whatever happens."""
    swapped = _swap(llama_cpp)
    try:
        yield
    finally:
        if swapped is not None:
            swapped[0].llama_model_default_params = swapped[1]


def plain_buffers_for_process(llama_cpp: ModuleType) -> bool:
    """The same for the rest of the process (``tests/llama_server.py`` runs llama-cpp-python's own server in a
    child process that loads its models itself).  True when the defaults were swapped."""
    return _swap(llama_cpp) is not None
