"""briefer: cited briefing memos from a folder of documents, with a local GGUF model."""

__version__ = "0.1.0"
