"""briefer: cited briefing memos from a folder of documents, with a local GGUF model."""

__version__ = "0.1.0"

from .settings import bound_openmp_spin as _bound_openmp_spin

_bound_openmp_spin()  # before anything loads llama.cpp's OpenMP runtime, which reads it once
