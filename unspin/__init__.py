"""unspin: forensics of spun text: detect, localise and restore synonym-spun copies."""

from .document import Document, Report, Substitution
from .errors import InputError, PackError, UnspinError

__version__ = "0.1.0"
# (unspin.restore is the decoder module; the text-in, text-out helper is unspin.api.restore)
__all__ = ["Checker", "Document", "InputError", "PackError", "Report", "Substitution", "UnspinError", "check"]


def __getattr__(name):  # import the heavy parts (KenLM, SQLite) only when used
    if name in ("Checker", "check"):
        from . import api

        return getattr(api, name)
    raise AttributeError(name)
