"""The AMX bypass (briefer/llama_cpu.py): models load without extra buffer types only on a build with AMX kernels.

The real fault (SIGILL in llama.cpp's AMX matmul) needs an AMX Xeon; there, every chat and embedding test of
this suite exercises the bypass.  These tests pin down its logic on any machine with a fake library.
"""

from __future__ import annotations

import types

import pytest

from briefer import llama_cpu


class _Params:
    def __init__(self) -> None:
        self.use_extra_bufts = True
        self.n_gpu_layers = 0


def _fake_llama_cpp(system_info: bytes, params=_Params) -> types.ModuleType:
    lib = types.ModuleType("llama_cpp.llama_cpp")
    lib.llama_model_default_params = params
    mod = types.ModuleType("llama_cpp")
    mod.llama_cpp = lib
    mod.llama_print_system_info = lambda: system_info
    return mod


AMX = b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | AVX512_VNNI = 1 | AMX_INT8 = 1 | REPACK = 1 | "
NO_AMX = b"CPU : SSE3 = 1 | AVX2 = 1 | AVX512 = 1 | REPACK = 1 | "


def test_a_build_with_amx_kernels_loads_with_plain_buffers_and_gets_its_defaults_back():
    lib = _fake_llama_cpp(AMX)
    original = lib.llama_cpp.llama_model_default_params
    with llama_cpu.plain_buffers(lib):
        params = lib.llama_cpp.llama_model_default_params()
        assert params.use_extra_bufts is False and params.n_gpu_layers == 0
    assert lib.llama_cpp.llama_model_default_params is original
    assert lib.llama_cpp.llama_model_default_params().use_extra_bufts is True


def test_the_defaults_come_back_when_loading_fails():
    lib = _fake_llama_cpp(AMX)
    original = lib.llama_cpp.llama_model_default_params
    with pytest.raises(ValueError), llama_cpu.plain_buffers(lib):
        raise ValueError("llama.cpp rejected the file")
    assert lib.llama_cpp.llama_model_default_params is original


def test_other_builds_and_old_versions_load_exactly_as_before():
    for lib in (_fake_llama_cpp(NO_AMX), _fake_llama_cpp(AMX, params=types.SimpleNamespace)):
        original = lib.llama_cpp.llama_model_default_params
        with llama_cpu.plain_buffers(lib):
            assert lib.llama_cpp.llama_model_default_params is original
    broken = _fake_llama_cpp(AMX)
    broken.llama_print_system_info = lambda: (_ for _ in ()).throw(OSError("no library"))
    assert not llama_cpu.has_amx_kernels(broken)


def test_the_server_process_keeps_plain_buffers_for_good():
    lib = _fake_llama_cpp(AMX)
    assert llama_cpu.plain_buffers_for_process(lib)
    assert lib.llama_cpp.llama_model_default_params().use_extra_bufts is False
    assert not llama_cpu.plain_buffers_for_process(_fake_llama_cpp(NO_AMX))

