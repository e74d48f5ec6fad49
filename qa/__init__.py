"""qa: offline question answering and quote checking over Chinese documents, with exact citations."""

from .config import Settings
from .errors import QAError
from .records import Answer, Article, Citation, Hit, Passage

__version__ = "0.1.0"

__all__ = ["Settings", "QAError", "Answer", "Article", "Citation", "Hit", "Passage", "__version__"]
