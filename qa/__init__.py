"""qa: offline question answering and quote checking over Chinese documents, with exact citations."""

import os as _os

# Offline by default: the hub libraries read these when first imported, which may happen before
# the model is loaded (gradio imports huggingface_hub). QA_ALLOW_DOWNLOAD=1 lifts it.
if _os.environ.get("QA_ALLOW_DOWNLOAD", "").lower() not in ("1", "true", "yes", "on"):
    _os.environ.setdefault("HF_HUB_OFFLINE", "1")
    _os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
_os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

from .config import Settings  # noqa: E402
from .errors import QAError  # noqa: E402
from .records import Answer, Article, Citation, Hit, Passage  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Settings", "QAError", "Answer", "Article", "Citation", "Hit", "Passage", "__version__"]
