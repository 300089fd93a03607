"""GPU offload: whether llama.cpp can use a GPU here, how many layers to give it, and what to say when it cannot.

These answers need no model load and depend only on the llama-cpp-python build and the
machine's devices, so they live apart from the chat model (``briefer/llm.py``): the CLI asks
them before anything is loaded (``--gpu-layers`` warnings, ``briefer models``).  The rest of
the code looks them up here, so a test that fakes the machine patches this module.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .modelfile import default_models_dir, file_sha256, resolve_model_path


def gpu_available() -> bool:
    """A GPU offload build of llama.cpp *and* a device present.

    ``llama_supports_gpu_offload`` alone only says how the library was built; a
    CUDA build on a machine without a GPU would still fail to offload.
    """
    try:
        import llama_cpp

        if not llama_cpp.llama_supports_gpu_offload():
            return False
    except Exception:  # noqa: BLE001 - any failure means "no GPU"
        return False
    if sys.platform == "darwin":
        return True  # Metal
    return any(Path(p).exists() for p in ("/dev/nvidia0", "/dev/kfd")) or any(Path("/dev/dri").glob("renderD*"))


def choose_gpu_layers(requested: int | None) -> int:
    if requested is not None:
        return requested
    return -1 if gpu_available() else 0


def gpu_offload_supported() -> bool:
    """Whether this llama-cpp-python build can offload to a GPU at all (CUDA, Metal, Vulkan...)."""
    try:
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    except Exception:  # noqa: BLE001 - not installed or broken: no GPU
        return False


GPU_INSTALL_HINT = ('reinstall llama-cpp-python with GPU support, e.g. CMAKE_ARGS="-DGGML_CUDA=on" '
                    'pip install llama-cpp-python --no-cache-dir --force-reinstall (README, "GPU")')


def gpu_layers_warning(requested: int | None) -> str | None:
    """A warning when GPU layers were asked for but cannot be offloaded, else None."""
    if not requested:
        return None
    if not gpu_offload_supported():
        return (f"--gpu-layers {requested} has no effect: this llama-cpp-python build is CPU-only, so the model "
                f"runs on the CPU. To use a GPU, {GPU_INSTALL_HINT}.")
    if not gpu_available():
        return (f"--gpu-layers {requested}: this llama-cpp-python build supports GPU offload, but no GPU device "
                "was found (/dev/nvidia0, /dev/kfd or /dev/dri/renderD*); llama.cpp may fall back to the CPU.")
    return None


def describe_model(path: str | Path | None, *, threads: int, gpu_layers: int | None,
                   models_dir: Path | None = None) -> dict:
    """What `briefer models` prints: no model load needed."""
    from . import catalog

    resolved = resolve_model_path(path, models_dir)
    try:
        import llama_cpp

        from .llama_cpu import AMX_BYPASSED, has_amx_kernels

        version = llama_cpp.__version__
        offload = bool(llama_cpp.llama_supports_gpu_offload())
        cpu = AMX_BYPASSED if has_amx_kernels(llama_cpp) else "llama.cpp's CPU kernels as built"
    except Exception:  # noqa: BLE001
        version, offload, cpu = "not installed", False, "llama-cpp-python is not installed"
    layers = choose_gpu_layers(gpu_layers)
    device = gpu_available()
    if not offload:
        gpu = f"none: this llama-cpp-python build is CPU-only; to use a GPU, {GPU_INSTALL_HINT}"
    elif not device:
        gpu = "this build can offload, but no GPU device was found"
    else:
        gpu = f"this build can offload and a GPU is present; {'all' if layers < 0 else layers} layers offloaded"
    return {
        "gpu": gpu,
        "cpu": cpu,
        "path": str(resolved),
        "size": resolved.stat().st_size,
        "sha256": file_sha256(resolved, models_dir or default_models_dir()),
        "llama_cpp_python": version,
        "threads": threads,
        "gpu_offload_supported": offload,
        "gpu_layers": layers,
        "offloaded": layers != 0 and offload and device,
        "cpu_count": os.cpu_count(),
        "models": ", ".join(f"{m['name']}{' (default)' if m['default'] else ''}: "
                            f"{'installed' if m['installed'] else 'not installed: ' + m['install']}" for m in catalog.listing()),
    }
