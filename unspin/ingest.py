"""Ingest: turn what the user gave us (a path, stdin, a URL, bytes or a string) into a :class:`Document`.

``Document.text`` is the exact text that every later character offset refers to, so this stage is the only
one allowed to change the text, and it changes as little as it can: newlines are normalised to ``\\n`` and a
byte-order mark is dropped. For an HTML page the text is the extracted main article (paragraphs separated by
blank lines), since that is what a reader sees and what a spinner rewrote.

Every problem with the input surfaces as an :class:`~unspin.errors.InputError` with a one-line message the
user can act on (empty, binary, undecodable, not English, unreachable URL...), never as another exception.
Inputs are capped (``max_bytes`` read, ``max_chars`` kept) so that a huge file or page is never read whole
into memory; a cap that bites is reported in ``Document.notes``.
"""

from __future__ import annotations

import html as _html
import re
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import BinaryIO

from .document import TOKEN_RE, Document
from .errors import InputError

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_CHARS",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "check_english",
    "from_bytes",
    "from_text",
    "load",
    "looks_like_html",
]

DEFAULT_MAX_BYTES = 20_000_000
DEFAULT_MAX_CHARS = 2_000_000
DEFAULT_TIMEOUT = 15.0
USER_AGENT = "unspin/0.1"

_HTML_SUFFIXES = {".html", ".htm", ".xhtml"}

# Sniffing and binary detection only look at the start of the input: enough to decide, cheap on huge inputs.
_SNIFF_CHARS = 65_536

# ---------------------------------------------------------------------------------------------------------
# Text clean-up shared by every entry point
# ---------------------------------------------------------------------------------------------------------

_NEWLINES_RE = re.compile(r"\r\n?")

# C0 control characters other than the whitespace ones (\t \n \v \f \r), plus DEL. Real text has almost
# none; binary data has about one byte in ten.
_CONTROL_BYTES = bytes(b for b in range(32) if b not in b"\t\n\x0b\x0c\r") + b"\x7f"
_CONTROL_CHARS_RE = re.compile("[" + re.escape(_CONTROL_BYTES.decode("ascii")) + "]")
_BINARY_CONTROL_SHARE = 0.05


def _normalise(text: str) -> str:
    """Strip a BOM and make every newline ``\\n``; nothing else, so offsets keep meaning what the user sees."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _NEWLINES_RE.sub("\n", text)


def _binary_error(name: str) -> InputError:
    return InputError(f"{name} looks like a binary file, not text")


def _check_not_binary_bytes(data: bytes, name: str) -> None:
    # A NUL byte never occurs in text in an 8-bit encoding or UTF-8 (UTF-16 is handled before this check),
    # and `in` on bytes is a fast C scan even for 20 MB.
    if b"\x00" in data:
        raise _binary_error(name)
    sample = data[:_SNIFF_CHARS]
    if sample and len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > _BINARY_CONTROL_SHARE * len(sample):
        raise _binary_error(name)


def _check_not_binary_text(text: str, name: str) -> None:
    # The same test for a string that was handed to us already decoded (e.g. read with errors="replace").
    if "\x00" in text:
        raise _binary_error(name)
    sample = text[:_SNIFF_CHARS]
    if sample and len(_CONTROL_CHARS_RE.findall(sample)) > _BINARY_CONTROL_SHARE * len(sample):
        raise _binary_error(name)


def _has_words(text: str) -> bool:
    # Use the tokenizer every later stage uses, so "has words" here means "the checker will see words":
    # digits (2,000, 41st) and punctuation alone give it nothing to check.
    return any(m.group()[:1].isalpha() for m in TOKEN_RE.finditer(text))


def _truncate(text: str, max_chars: int) -> tuple[str, bool]:
    """Cap the text at ``max_chars``, cutting at the last whitespace before the cap so no word is split."""
    if max_chars <= 0 or len(text) <= max_chars:
        return text, False
    cut = max_chars
    if not text[max_chars].isspace():
        # Look back a bounded distance for a word boundary; a text without whitespace is cut hard.
        window_start = max(0, max_chars - 1_000)
        space = max(text.rfind(c, window_start, max_chars) for c in " \n\t")
        if space > 0:
            cut = space
    return text[:cut].rstrip(), True


def _finish(
    text: str,
    name: str,
    *,
    kind: str,
    title: str | None,
    notes: list[str],
    max_chars: int,
    check_language: bool,
) -> Document:
    """The checks every input goes through once it is text, then the Document."""
    if not text.strip():
        raise InputError("input is empty")
    text, truncated = _truncate(text, max_chars)
    if truncated:
        notes.append(f"input truncated to {max_chars:,} characters")
    if not _has_words(text):
        raise InputError("input has no words to check")
    if check_language:
        check_english(text)
    return Document(text=text, name=name, kind=kind, title=title, notes=notes)


# ---------------------------------------------------------------------------------------------------------
# Language check
# ---------------------------------------------------------------------------------------------------------

# Names for the codes py3langid is most likely to return; anything else is reported by its code.
LANGUAGE_NAMES = {
    "af": "Afrikaans", "ar": "Arabic", "bg": "Bulgarian", "bn": "Bengali", "ca": "Catalan", "cs": "Czech",
    "cy": "Welsh", "da": "Danish", "de": "German", "el": "Greek", "en": "English", "eo": "Esperanto",
    "es": "Spanish", "et": "Estonian", "eu": "Basque", "fa": "Persian", "fi": "Finnish", "fr": "French",
    "ga": "Irish", "gl": "Galician", "he": "Hebrew", "hi": "Hindi", "hr": "Croatian", "hu": "Hungarian",
    "id": "Indonesian", "is": "Icelandic", "it": "Italian", "ja": "Japanese", "ko": "Korean",
    "la": "Latin", "lt": "Lithuanian", "lv": "Latvian", "ms": "Malay", "nl": "Dutch", "no": "Norwegian",
    "nb": "Norwegian", "nn": "Norwegian", "pl": "Polish", "pt": "Portuguese", "ro": "Romanian",
    "ru": "Russian", "sk": "Slovak", "sl": "Slovenian", "sq": "Albanian", "sr": "Serbian", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "th": "Thai", "tl": "Tagalog", "tr": "Turkish", "uk": "Ukrainian",
    "ur": "Urdu", "vi": "Vietnamese", "zh": "Chinese",
}

# English-based creoles and close varieties: the identifier sometimes prefers them for English full of
# names, scores and abbreviations (a cricket scorecard comes out as Nigerian Pidgin), so they never count
# as "not English".
_ENGLISH_LIKE = {"en", "pcm", "sco", "jam", "tpi", "bi", "srn", "kri", "gcl", "hwc"}

# Function words that make up roughly 40% of running English and very little of other languages; a text
# where they are common is English whatever the identifier says (it can be misled by quoted names or
# foreign terms in an otherwise English text).
_ENGLISH_FUNCTION_WORDS = frozenset(
    "the of and to in is was for on that with as by at it its from his her he she they we you are be been "
    "has have had this these those an or not but were their will would said after which who what when "
    "there than into about over also more one all can could up out no if our my your him them".split()
)

_LANG_MIN_WORDS = 20  # below this the identifier is unreliable, so short texts are not judged
_LANG_MIN_LETTERS = 120  # ...unless a script without spaces (Chinese, Japanese) gives few "words"
_LANG_SAMPLE_CHARS = 5_000  # the first few thousand characters decide; the rest only costs time
_LANG_MIN_CONFIDENCE = 0.5  # reject only on a clear call for another language
_LANG_ENGLISH_FLOOR = 0.05  # ...and only when English is not a real contender
_LANG_FUNCTION_WORD_SHARE = 0.2
# A short text (a headline, a teaser: 8 to 19 words) is judged only on a very clear call: on 11,556 such
# English snippets of the shared corpora (titles and first sentences) these settings rejected 4, each
# mostly a name or title in Greek, Burmese or French; a short German or French sentence is rejected.
_LANG_SHORT_MIN_WORDS = 8
_LANG_SHORT_MIN_CONFIDENCE = 0.9
_LANG_SHORT_ENGLISH_FLOOR = 0.01
_LANG_SHORT_FUNCTION_WORD_SHARE = 0.1

_WORD_RE = re.compile(r"[^\W\d_]+")

_identifier = None
_identifier_lock = threading.Lock()


def _get_identifier():
    """Load py3langid's model once (it takes about a second), with probabilities normalised to 0..1."""
    global _identifier
    with _identifier_lock:
        if _identifier is None:
            from py3langid import langid

            ident_cls = langid.LanguageIdentifier
            # The loader's name differs between py3langid releases.
            loader = getattr(ident_cls, "from_model_file", None) or getattr(ident_cls, "from_pickled_model")
            _identifier = loader(langid.MODEL_FILE, norm_probs=True)
        return _identifier


def _language_sample(text: str) -> str:
    if len(text) <= _LANG_SAMPLE_CHARS:
        return text
    cut = text.rfind(" ", 0, _LANG_SAMPLE_CHARS)
    return text[: cut if cut > 0 else _LANG_SAMPLE_CHARS]


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, f"language '{code}'")


_NOT_LATIN = ("text is not in the Latin alphabet (another language, or a wrong encoding); "
              "only English is supported for now")


def _is_latin(letter: str) -> bool:
    o = ord(letter)
    return o < 0x250 or 0x1E00 <= o < 0x1F00  # Basic Latin to Latin Extended-B, Latin Extended Additional


def check_english(text: str) -> None:
    """Raise :class:`InputError` when ``text`` is clearly not English.

    Very short texts (fewer than 8 words) always pass: the identifier cannot judge them; short ones (8-19
    words) only fail on a very clear call. English heavy with names, numbers and jargon passes too: the
    text is rejected only when the identifier is confident of another language, gives English almost no
    chance, and English function words are rare.
    """
    sample = _language_sample(text)
    words = _WORD_RE.findall(sample)
    short = len(words) < _LANG_MIN_WORDS and sum(map(len, words)) < _LANG_MIN_LETTERS
    # Letters mostly outside the Latin alphabet: another script, or bytes decoded with the wrong encoding.
    # Judged at any length (even a word or two of Cyrillic or CJK is not English); longer texts first go to
    # the identifier, which can name the language.
    letters = "".join(words)
    not_latin = bool(letters) and sum(1 for c in letters if _is_latin(c)) < 0.5 * len(letters)
    if short and len(words) < _LANG_SHORT_MIN_WORDS:
        if not_latin:
            raise InputError(_NOT_LATIN)
        return
    min_confidence, english_floor, function_share = (
        (_LANG_SHORT_MIN_CONFIDENCE, _LANG_SHORT_ENGLISH_FLOOR, _LANG_SHORT_FUNCTION_WORD_SHARE) if short
        else (_LANG_MIN_CONFIDENCE, _LANG_ENGLISH_FLOOR, _LANG_FUNCTION_WORD_SHARE))
    function_words = sum(1 for w in words if w.lower() in _ENGLISH_FUNCTION_WORDS)
    if not not_latin and function_words >= function_share * len(words):
        # English function words this common pass a Latin-script text whatever the identifier says, so its
        # model (a second to load) is not needed for ordinary English
        return
    ranking = _get_identifier().rank(sample)
    if not ranking:
        if not_latin:
            raise InputError(_NOT_LATIN)
        return
    top, confidence = ranking[0]
    if not_latin and top not in _ENGLISH_LIKE:
        raise InputError(f"text appears to be {language_name(top)} ({top}); only English is supported for now")
    if top in _ENGLISH_LIKE or confidence < min_confidence:
        return
    english = dict(ranking).get("en", 0.0)
    if english >= english_floor:
        return
    raise InputError(f"text appears to be {language_name(top)} ({top}); only English is supported for now")


# ---------------------------------------------------------------------------------------------------------
# Decoding
# ---------------------------------------------------------------------------------------------------------

_META_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

# Characters that do not belong in decoded text: C0/C1 controls, the replacement character, private use.
# Seeing them means the guessed encoding is wrong.
_JUNK_RE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")
_ASCII_RE = re.compile(r"[\x00-\x7f]")


# What a wrong guess by charset detection typically produces: DOS box drawing (cp437, cp866, cp1125) and
# Arabic presentation forms (cp1006), which real prose almost never contains.
_GUESS_JUNK_RE = re.compile("[\u2500-\u259f\ufb50-\ufdff\ufe50-\ufeff]")


def _plausible(text: str, *, guessed: bool = False) -> bool:
    sample = text[:_SNIFF_CHARS]
    junk = len(_JUNK_RE.findall(sample))
    if guessed:
        junk += len(_GUESS_JUNK_RE.findall(sample))
    return bool(sample) and junk <= 0.001 * len(sample)


def _plausible_western(text: str) -> bool:
    """Does this look like English in Windows-1252: mostly ASCII letters, a few accents and curly quotes?

    Text in another single-byte encoding (Cyrillic cp1251, Greek...) also decodes as cp1252 without error,
    but then almost every letter comes out accented, which English never is.
    """
    sample = text[:_SNIFF_CHARS]
    if not _plausible(sample):
        return False
    letters = _WORD_RE.findall(sample)
    n_letters = sum(map(len, letters))
    ascii_letters = sum(len(_ASCII_RE.findall(w)) for w in letters)
    return n_letters > 0 and n_letters - ascii_letters <= 0.4 * n_letters


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _trim_partial_utf8(data: bytes) -> bytes:
    """Drop an incomplete UTF-8 sequence at the end (left by reading only the first ``max_bytes``)."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte < 0x80:  # ASCII: the text ends on a whole character
            return data
        if byte >= 0xC0:  # lead byte: how long should its sequence be?
            need = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return data if back >= need else data[:-back]
    return data


def _decode(data: bytes, name: str, *, encoding: str | None, html: bool | None) -> tuple[str, list[str]]:
    """Bytes to text, trying the likely encodings from most to least trustworthy. Returns (text, notes)."""
    # UTF-16 text is full of NUL bytes, so recognise it by its BOM before the binary test rejects it.
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        text = _try_decode(data, "utf-16")
        if text is not None and _plausible(text):
            return text, []
    _check_not_binary_bytes(data, name)

    # Strict UTF-8 first: it almost never decodes text in another encoding by accident, and it is what
    # almost everything is. utf-8-sig drops a BOM.
    text = _try_decode(data, "utf-8-sig")
    if text is not None:
        return text, []

    # An encoding the source declared: the HTTP Content-Type, or a <meta charset> in an HTML page.
    declared = [encoding] if encoding else []
    if html is not False:
        m = _META_CHARSET_RE.search(data[:4096])
        if m:
            declared.append(m.group(1).decode("ascii", "replace"))
    for enc in declared:
        text = _try_decode(data, enc)
        if text is not None and _plausible(text):
            return text, []

    # Legacy English text is nearly always Windows-1252. Statistical detection guesses badly on short
    # Western text (it calls "café résumé" Urdu cp1006), so cp1252 goes first when the result looks right.
    text = _try_decode(data, "cp1252")
    if text is not None and _plausible_western(text):
        return text, ["decoded as Windows-1252 (not UTF-8)"]

    # Anything else (Cyrillic, Greek, CJK legacy encodings): ask charset_normalizer. The language check then
    # tells the user what the text is, which is more useful than "undecodable".
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data).best()
    except Exception:  # detection is a best effort; any failure just means "no answer"
        best = None
    # chaos is charset_normalizer's own measure of how messy the decoded text is (0 = clean).
    if best is not None and best.encoding and best.chaos <= 0.1:
        text = _try_decode(data, best.encoding)
        if text is not None and _plausible(text, guessed=True):
            return text, [f"decoded as {best.encoding} (not UTF-8)"]

    raise InputError(f"cannot determine the text encoding of {name}; convert it to UTF-8 and try again")


# ---------------------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------------------

_HTML_START_RE = re.compile(
    r"\A\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.IGNORECASE | re.DOTALL
)
_HTML_FRAME_RE = re.compile(r"<(?:body|head)\b[^>]*>", re.IGNORECASE)
_HTML_TAG_RE = re.compile(
    r"</?(?:p|div|span|a|br|hr|li|ul|ol|h[1-6]|table|tr|td|th|img|section|article|header|footer|nav|main"
    r"|title|meta|link|script|style|form|strong|em|b|i|blockquote)\b[^<>]*>",
    re.IGNORECASE,
)
_PARAGRAPH_RE = re.compile(r"<p\b[^<>]*>.*?</p\s*>", re.IGNORECASE | re.DOTALL)


def looks_like_html(text: str) -> bool:
    """Sniff whether text is an HTML page or fragment rather than plain text that mentions a tag or two."""
    sample = text[:_SNIFF_CHARS]
    if _HTML_START_RE.match(sample) or _HTML_FRAME_RE.search(sample):
        return True
    tags = len(_HTML_TAG_RE.findall(sample))
    if tags < 3:
        return False
    # Dense markup (a tag every few hundred characters), or real paragraphs <p>...</p>.
    return tags * 300 >= len(sample) or len(_PARAGRAPH_RE.findall(sample)) >= 2


def _clean_lines(text: str) -> str:
    """Collapse HTML whitespace inside each line and drop empty lines (HTML whitespace is not significant)."""
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return "\n".join(line for line in lines if line)


def _inline_text(el) -> str:
    """Text of one trafilatura output element, with <lb/> as a line break and nested blocks on new lines."""
    parts = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            parts.append("\n")
        elif child.tag in ("list", "item", "p", "quote", "head", "code"):
            parts.append("\n" + _inline_text(child) + "\n")
        else:
            parts.append(_inline_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _render_trafilatura_body(body) -> str:
    """trafilatura's XML body -> paragraphs separated by blank lines (list items one per line)."""
    blocks = []
    if body.text and body.text.strip():
        blocks.append(_clean_lines(body.text))
    for child in body:
        if child.tag == "list":
            block = "\n".join(_clean_lines(_inline_text(item)) for item in child.iter("item"))
        else:
            block = _clean_lines(_inline_text(child))
        if block.strip():
            blocks.append(block)
        if child.tail and child.tail.strip():
            blocks.append(_clean_lines(child.tail))
    return "\n\n".join(blocks)


def _extract_main(html_text: str) -> tuple[str, str | None]:
    """The main article text and title of a page via trafilatura; ("", title) when it finds no article."""
    try:
        import trafilatura

        result = trafilatura.bare_extraction(
            html_text,
            with_metadata=True,
            include_comments=False,  # reader comments are not the article (and "Leave a Reply" forms)
            include_tables=False,  # tables are data, not prose a spinner rewrites
            favor_precision=True,  # prefer dropping a doubtful block to keeping a menu or banner
        )
    except Exception:  # malformed markup can trip trafilatura or lxml; the plain-text fallback handles it
        return "", None
    if result is None:
        return "", None
    # trafilatura 2.x returns a Document object, 1.x a dict.
    get = result.get if isinstance(result, dict) else lambda key: getattr(result, key, None)
    title = get("title") or None
    body = get("body")
    if body is not None and len(body):
        text = _render_trafilatura_body(body)
    else:
        # No XML body: its plain text has one paragraph per line.
        text = "\n\n".join(_clean_lines(line) for line in (get("text") or "").split("\n") if line.strip())
    return text, title


def _page_title(html_text: str) -> str | None:
    """The title of a page trafilatura found no article in (metadata extraction is separate and tolerant)."""
    try:
        import trafilatura

        meta = trafilatura.extract_metadata(html_text)
        return (meta.title if meta is not None else None) or None
    except Exception:
        return None


# Elements whose text a reader does not see as content: code, styles, menus, forms.
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "head", "nav", "form", "button", "select")
_BLOCK_TAGS = (
    "p", "div", "section", "article", "main", "header", "footer", "aside", "blockquote", "pre", "ul", "ol",
    "li", "dl", "dt", "dd", "table", "tr", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "figure",
    "figcaption", "address", "body",
)
_XML_DECL_RE = re.compile(r"\A\s*<\?xml[^>]*>")
_STRIP_RE = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->|<[^>]*>")


def _plain_html_text(html_text: str) -> str:
    """A plain rendering of a page trafilatura could not make sense of: all visible text, blocks as paragraphs."""
    try:
        import lxml.html

        # lxml refuses str input that carries an XML encoding declaration; the text is already decoded.
        root = lxml.html.document_fromstring(_XML_DECL_RE.sub("", html_text))
        for el in list(root.iter(*_DROP_TAGS)):
            el.drop_tree()
        # Mark block boundaries with blank lines and <br> with a newline, then take all text at once.
        for el in root.iter(*_BLOCK_TAGS):
            el.text = "\n\n" + (el.text or "")
            el.tail = "\n\n" + (el.tail or "")
        for el in root.iter("br"):
            el.tail = "\n" + (el.tail or "")
        raw = root.text_content()
    except Exception:  # unparseable even for lxml (or lxml missing): strip tags by hand
        raw = _html.unescape(_STRIP_RE.sub(" ", html_text))
    paragraphs = (_clean_lines(p) for p in re.split(r"\n\s*\n", raw))
    return "\n\n".join(p for p in paragraphs if p)


def _html_to_text(html_text: str) -> tuple[str, str | None]:
    text, title = _extract_main(html_text)
    if not text.strip():
        text = _plain_html_text(html_text)
        title = title or _page_title(html_text)
    if not text.strip():
        raise InputError("no readable text found in the page")
    return text, title


# ---------------------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------------------


def from_text(
    text: str,
    name: str = "<text>",
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    check_language: bool = True,
) -> Document:
    """A Document from a string the caller already has (kind="text").

    Only newlines (``\\r\\n``, ``\\r`` -> ``\\n``) and a leading BOM are changed; the text is otherwise kept
    exactly, so offsets into ``Document.text`` are offsets into what the user supplied.
    """
    if not isinstance(text, str):
        raise InputError(f"{name}: expected text, got {type(text).__name__}")
    text = _normalise(text)
    _check_not_binary_text(text, name)
    return _finish(text, name, kind="text", title=None, notes=[], max_chars=max_chars, check_language=check_language)


def from_bytes(
    data: bytes,
    name: str = "<bytes>",
    *,
    html: bool | None = None,
    encoding: str | None = None,
    max_chars: int = DEFAULT_MAX_CHARS,
    check_language: bool = True,
    notes: list[str] | None = None,
) -> Document:
    """A Document from raw bytes: decode, then extract the article if it is HTML.

    ``html``: True / False, or None to sniff. ``encoding``: a charset the source declared (e.g. the HTTP
    Content-Type); it is tried after strict UTF-8. ``notes`` are carried into the Document (``load`` uses
    it to report a byte cap).
    """
    notes = list(notes or [])
    if not data:
        raise InputError("input is empty")
    text, decode_notes = _decode(bytes(data), name, encoding=encoding, html=html)
    notes.extend(decode_notes)
    text = _normalise(text)
    if not text.strip():
        raise InputError("input is empty")
    if html is None:
        html = looks_like_html(text)
    title = None
    kind = "text"
    if html:
        text, title = _html_to_text(text)
        kind = "html"
    return _finish(text, name, kind=kind, title=title, notes=notes, max_chars=max_chars, check_language=check_language)


def _is_url(source: str) -> bool:
    return source[:8].lower().startswith(("http://", "https://"))


def _read_capped(stream: BinaryIO, max_bytes: int) -> tuple[bytes, bool]:
    """Read at most ``max_bytes`` (one more to learn whether there was more): a huge input is never read whole."""
    data = stream.read(max_bytes + 1)
    if isinstance(data, str):  # a text stream was passed where a binary one was expected
        data = data.encode("utf-8", "surrogateescape")
    data = data or b""
    if len(data) > max_bytes:
        return _trim_partial_utf8(data[:max_bytes]), True
    return data, False


def _bytes_note(max_bytes: int) -> str:
    return f"input larger than {max_bytes:,} bytes; only the first {max_bytes:,} bytes were read"


def _reason(exc: BaseException) -> str:
    """A short human reason for a failed fetch ("Connection refused", "HTTP 404 Not Found", "timed out")."""
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code} {exc.reason}".strip()
    if isinstance(exc, urllib.error.URLError):
        # URLError wraps the socket error (refused, DNS failure, timeout) or carries a plain string.
        if not isinstance(exc.reason, BaseException):
            return str(exc.reason)
        exc = exc.reason
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def _fetch(url: str, *, max_bytes: int, timeout: float) -> tuple[bytes, bool, str | None, str | None]:
    """GET a URL. Returns (body, truncated, content type, charset); failures are InputError."""
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html, text/plain;q=0.9, */*;q=0.5"}
    request = urllib.request.Request(url, headers=headers)
    # urllib's timeout applies to each socket operation; a server trickling bytes could still hold us for
    # ever, so the whole download also has a deadline.
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            # get_content_type() says text/plain when the header is missing; a missing header means "sniff".
            content_type = response.headers.get_content_type() if response.headers.get("Content-Type") else None
            charset = response.headers.get_content_charset()
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes:
                if time.monotonic() > deadline:
                    raise TimeoutError("timed out")
                chunk = response.read(min(65_536, max_bytes + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
    except InputError:
        raise
    except Exception as exc:  # URLError, HTTPError, timeouts, resets, bad URLs (ValueError), HTTPException...
        raise InputError(f"cannot fetch URL: {_reason(exc)}") from None
    data = b"".join(chunks)
    if len(data) > max_bytes:
        return _trim_partial_utf8(data[:max_bytes]), True, content_type, charset
    return data, False, content_type, charset


def load(
    source: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_chars: int = DEFAULT_MAX_CHARS,
    timeout: float = DEFAULT_TIMEOUT,
    stdin: BinaryIO | None = None,
    check_language: bool = True,
) -> Document:
    """A Document from a path, ``-`` (stdin, or the given binary ``stdin`` stream), or an http(s) URL.

    Files ending in .html/.htm are HTML; other files and stdin are sniffed; a URL is HTML unless the server
    says text/plain. At most ``max_bytes`` are read and ``max_chars`` kept, with a note when a cap bites.
    """
    source = str(source)
    common = dict(max_chars=max_chars, check_language=check_language)

    if source == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data, truncated = _read_capped(stream, max_bytes)
        notes = [_bytes_note(max_bytes)] if truncated else []
        return from_bytes(data, "-", html=None, notes=notes, **common)

    if _is_url(source):
        data, truncated, content_type, charset = _fetch(source, max_bytes=max_bytes, timeout=timeout)
        notes = [_bytes_note(max_bytes)] if truncated else []
        html = None if content_type is None else content_type != "text/plain"
        doc = from_bytes(data, source, html=html, encoding=charset, notes=notes, **common)
        doc.kind = "url"
        return doc

    path = Path(source).expanduser()
    try:
        if path.is_dir():
            raise InputError(f"{source} is a folder, not a file")
        with path.open("rb") as fh:
            data, truncated = _read_capped(fh, max_bytes)
    except InputError:
        raise
    except FileNotFoundError:
        raise InputError(f"no such file: {source}") from None
    except IsADirectoryError:
        raise InputError(f"{source} is a folder, not a file") from None
    except PermissionError:
        raise InputError(f"permission denied: {source}") from None
    except OSError as exc:
        raise InputError(f"cannot read {source}: {exc.strerror or exc}") from None
    notes = [_bytes_note(max_bytes)] if truncated else []
    html = True if path.suffix.lower() in _HTML_SUFFIXES else None
    return from_bytes(data, source, html=html, notes=notes, **common)
