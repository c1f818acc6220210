"""Tests for unspin.ingest: every kind of input becomes a Document or a one-line InputError."""

from __future__ import annotations

import io
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from unspin import ingest
from unspin.document import Document
from unspin.errors import InputError

DATA = Path(__file__).parent / "data" / "ingest"

NEWS = (
    "The Federal Reserve held interest rates steady on Wednesday, signalling that it expects to cut "
    "borrowing costs later this year as inflation continues to cool. Chair Jerome Powell told reporters "
    "in Washington that the committee wanted to see more evidence before acting, and markets rose 1.2% "
    "after the announcement."
)
SPORTS = (
    "Man Utd 2-1 Chelsea: Rashford 34', Palmer pen 67', Garnacho 88'. Onana made 6 saves; xG 1.4 v 2.1. "
    "Ten Hag's side climb to 5th on 47 pts, level with Spurs, with Villa away next Sunday at 4.30pm."
)
CRICKET = (
    "India 287-6 (50 ov): Kohli 103*, Gill 57, Iyer 41; Starc 3-52, Cummins 2-48. Australia 241 (46.2 ov): "
    "Head 88, Marsh 44; Bumrah 4-31, Jadeja 2-40. India won by 46 runs."
)
FOREIGN = {
    "de": "Die Bundesregierung hat am Mittwoch ein neues Gesetz zur Förderung erneuerbarer Energien "
    "beschlossen, das den Ausbau von Wind- und Solaranlagen in den kommenden Jahren deutlich "
    "beschleunigen soll.",
    "fr": "Le gouvernement a annoncé mercredi un nouveau plan pour soutenir les agriculteurs touchés par la "
    "sécheresse, avec des aides directes et un report des cotisations sociales pour cette année.",
    "es": "El gobierno anunció el miércoles un nuevo plan para apoyar a los agricultores afectados por la "
    "sequía, con ayudas directas y un aplazamiento de las cotizaciones sociales para este año.",
    "ru": "Правительство в среду объявило о новом плане поддержки фермеров, пострадавших от засухи, включая "
    "прямую помощь и отсрочку социальных взносов на этот год для всех хозяйств страны.",
}
NAMES = {"de": "German", "fr": "French", "es": "Spanish", "ru": "Russian"}


def one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message and message
    return message


# --- plain text --------------------------------------------------------------------------------------------


def test_from_text_keeps_text_and_offsets():
    text = "  Hello, world.\n\nThe  quick brown fox\tjumps — “quoted” — over 2,000 dogs.  \n"
    doc = ingest.from_text(text)
    assert isinstance(doc, Document)
    assert doc.text == text  # nothing but newlines/BOM may change
    assert (doc.name, doc.kind, doc.title, doc.notes) == ("<text>", "text", None, [])
    start = text.index("quick")
    assert doc.text[start : start + 5] == "quick"
    assert any(t.text == "jumps" and text[t.start : t.end] == "jumps" for t in doc.tokens())


def test_crlf_and_cr_normalised():
    doc = ingest.from_text("First line.\r\nSecond line.\rThird line.\r\n")
    assert doc.text == "First line.\nSecond line.\nThird line.\n"


def test_bom_stripped_from_text_and_bytes():
    assert ingest.from_text("\ufeffHello there.").text == "Hello there."
    doc = ingest.from_bytes(b"\xef\xbb\xbfHello there.\r\nBye.", "f.txt")
    assert doc.text == "Hello there.\nBye."


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t \r\n"])
def test_empty_and_whitespace_only(text):
    with pytest.raises(InputError) as exc:
        ingest.from_text(text)
    assert one_line(exc) == "input is empty"


@pytest.mark.parametrize("text", ["12345 67.89", "!!! ??? ...", "2,000 - 41st / 1990s; 3.5%"])
def test_no_words(text):
    with pytest.raises(InputError) as exc:
        ingest.from_text(text)
    assert one_line(exc) == "input has no words to check"


def test_huge_text_truncated_at_whitespace_with_note():
    text = "alpha beta gamma delta " * 10_000  # 230,000 characters
    doc = ingest.from_text(text, max_chars=1_000)
    assert 900 < len(doc.text) <= 1_000
    assert text.startswith(doc.text)  # a prefix: offsets still point into the original
    assert doc.text.split()[-1] in {"alpha", "beta", "gamma", "delta"}  # no word cut in half
    assert doc.notes == ["input truncated to 1,000 characters"]


def test_default_note_wording():
    doc = ingest.from_text("word " * 10, max_chars=12)
    assert doc.notes == ["input truncated to 12 characters"]
    assert f"{ingest.DEFAULT_MAX_CHARS:,}" == "2,000,000"


# --- bytes: binary, encodings -----------------------------------------------------------------------------


def test_binary_png_rejected():
    data = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 4096
    with pytest.raises(InputError) as exc:
        ingest.from_bytes(data, "image.png")
    assert one_line(exc) == "image.png looks like a binary file, not text"


def test_binary_without_nul_rejected():
    data = bytes(range(1, 256)) * 40  # every byte value but NUL: ~10% control bytes
    with pytest.raises(InputError, match="looks like a binary file"):
        ingest.from_bytes(data, "blob.bin")


def test_latin1_cp1252_decoded():
    data = "A café résumé with “curly quotes” — and a naïve crème brûlée.".encode("cp1252")
    doc = ingest.from_bytes(data, "old.txt")
    assert doc.text == "A café résumé with “curly quotes” — and a naïve crème brûlée."
    assert "café résumé" in ingest.from_bytes("café résumé".encode("cp1252"), "short.txt").text
    assert any("1252" in note for note in doc.notes)


def test_utf16_with_bom_decoded():
    doc = ingest.from_bytes("\ufeffHello from UTF-16.\r\n".encode("utf-16-le"), "w.txt")
    assert doc.text == "Hello from UTF-16.\n"


def test_cyrillic_legacy_encoding_is_detected_then_rejected_as_russian():
    with pytest.raises(InputError) as exc:
        ingest.from_bytes(FOREIGN["ru"].encode("cp1251"), "ru.txt")
    assert "Russian (ru)" in one_line(exc)


@pytest.mark.parametrize(
    "data",
    [
        "Caf\xe9 and ".encode("latin-1") + "naïve text here".encode("utf-8"),
        b"hello \xff\xfe\xfd\xfc world \xc0\xc1\xf5 and \x81\x8d more",
        b"abc \x81\x8d\x8f\x90\x9d" * 5,
    ],
)
def test_invalid_mixed_bytes_give_error_or_sensible_text(data):
    try:
        doc = ingest.from_bytes(data, "mixed.txt")
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message
        assert "encoding" in message and "UTF-8" in message
    else:
        ascii_words = [w for w in data.split() if w.isascii() and w.isalpha()]
        assert ascii_words and all(w.decode() in doc.text for w in ascii_words)


def test_undecodable_bytes_error_message():
    with pytest.raises(InputError) as exc:
        ingest.from_bytes(b"abc \x81\x8d\x8f\x90\x9d" * 5, "weird.txt")
    assert one_line(exc) == "cannot determine the text encoding of weird.txt; convert it to UTF-8 and try again"


def test_declared_encoding_used():
    data = "Ελληνικά"  # decodes only with the declared charset
    text = "The Greek word for Greek is " + data
    doc = ingest.from_bytes(text.encode("iso-8859-7"), "g.txt", encoding="iso-8859-7")
    assert doc.text == text


# --- HTML ---------------------------------------------------------------------------------------------------


def test_html_article_extracted_without_boilerplate():
    doc = ingest.from_bytes((DATA / "article.html").read_bytes(), "article.html")
    assert doc.kind == "html"
    assert doc.title == "Storm hits northern coast"
    assert "A powerful storm swept across the northern coast on Tuesday" in doc.text
    assert "clean-up continues along the seafront." in doc.text
    # paragraphs are separated by blank lines
    assert "schools in the region.\n\nOfficials said" in doc.text
    for boilerplate in ("Leave a Reply", "Post Comment", "email address", "About Us", "Subscribe Today",
                        "Accept all cookies", "All rights reserved", "tracking", "display: flex"):
        assert boilerplate not in doc.text


def test_html_sniffed_and_by_suffix(tmp_path):
    page = (DATA / "article.html").read_bytes()
    sniffed = ingest.from_bytes(page, "<bytes>")  # html=None sniffs the doctype
    assert sniffed.kind == "html"
    path = tmp_path / "page.htm"
    path.write_bytes(b"<p>The council approved the new budget on Monday.</p><p>It takes effect in May.</p>")
    doc = ingest.load(str(path))
    assert doc.kind == "html"
    assert "<p>" not in doc.text and "approved the new budget" in doc.text


def test_looks_like_html():
    assert ingest.looks_like_html("  <!DOCTYPE html><html><body>x</body></html>")
    assert ingest.looks_like_html("<HTML><p>x</p></HTML>")
    assert ingest.looks_like_html("<div><p>One para.</p><p>Another para.</p></div>")
    assert not ingest.looks_like_html("Use a <p> tag for paragraphs; 3 < 4 and 5 > 2.")
    assert not ingest.looks_like_html(NEWS)


def test_html_false_keeps_markup_as_text():
    doc = ingest.from_bytes(b"<p>Tags stay as typed here.</p>", "x.txt", html=False)
    assert doc.kind == "text" and doc.text == "<p>Tags stay as typed here.</p>"


@pytest.mark.parametrize(
    "page",
    [
        b"<p>unclosed <b>bold text <div>and a stray div with words",
        b"garbage <<<>>> &&& </p></div> <html><body><p>Some words <i>never closed",
        b"<html><body><table><tr><td>cell text only<td>more</table><p>Final words</body>",
        b"<?xml version='1.0' encoding='utf-8'?><html><body><p>Hello there friend.</p></body></html>",
        b"<html><head><title>T</title></head><body><script>x()</script><p>",
        b"<<<<>>>></></><!-- --><!doctype html>",
    ],
)
def test_malformed_html_gives_text_or_clean_error(page):
    try:
        doc = ingest.from_bytes(page, "bad.html", html=True)
    except InputError as exc:
        assert "\n" not in str(exc)
        assert str(exc) in {"no readable text found in the page", "input has no words to check"}
    else:
        assert doc.kind == "html"
        assert "<" not in doc.text and doc.text.strip()
        assert "x()" not in doc.text


def test_html_without_text_is_clean_error():
    with pytest.raises(InputError) as exc:
        ingest.from_bytes(b"<html><body><script>var a = 1;</script><div></div></body></html>", "e.html")
    assert one_line(exc) == "no readable text found in the page"


# --- language -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_non_english_rejected(code):
    with pytest.raises(InputError) as exc:
        ingest.from_text(FOREIGN[code])
    assert one_line(exc) == f"text appears to be {NAMES[code]} ({code}); only English is supported for now"


@pytest.mark.parametrize("text", [NEWS, SPORTS, CRICKET, NEWS + " Kylian Mbappé and Aitana Bonmatí in Zürich."])
def test_english_accepted(text):
    assert ingest.from_text(text).text == text
    ingest.check_english(text)  # does not raise


@pytest.mark.parametrize("text", [NEWS, "It was the first time that he had been to the city since the end of the war."])
def test_plain_english_is_judged_without_the_language_model(text, monkeypatch):
    """Ordinary English passes on its function words alone, so the identifier's model (about a second to
    load) is not read; another language, and English this terse (scores, names), still go to it."""
    def no_model():
        raise AssertionError("the language identifier was loaded")

    monkeypatch.setattr(ingest, "_get_identifier", no_model)
    ingest.check_english(text)  # does not raise, does not load
    for other in (FOREIGN["de"], SPORTS):
        with pytest.raises(AssertionError, match="identifier was loaded"):
            ingest.check_english(other)


def test_short_foreign_text_passes_and_check_can_be_disabled():
    assert ingest.from_text("Guten Tag, wie geht es?").text == "Guten Tag, wie geht es?"
    assert ingest.from_text(FOREIGN["de"], check_language=False).text == FOREIGN["de"]


@pytest.mark.parametrize("text,code", [
    ("Das ist ein deutscher Text über die Wirtschaft und die Politik in Berlin, der sehr lang ist.", "de"),
    ("Le gouvernement français a annoncé mardi une nouvelle réforme des retraites très contestée.", "fr"),
])
def test_short_foreign_sentence_rejected(text, code):
    # 8-19 words: judged, but only on a very clear call
    with pytest.raises(InputError) as exc:
        ingest.from_text(text)
    assert one_line(exc) == f"text appears to be {NAMES[code]} ({code}); only English is supported for now"


@pytest.mark.parametrize("text", [
    "Nick Madrigal injury: Mets utility infielder likely to miss entire 2025 season",
    "Shohei Ohtani's 41st homer leads the Angels to a 2-1 win over the Astros",
    "Kylian Mbappé scores twice as Paris Saint-Germain beat Olympique de Marseille",
    "Bundesliga: Bayern München draw 1-1 with Borussia Dortmund at the Allianz Arena",
])
def test_short_english_headlines_accepted(text):
    # names and another language's words in an English headline are not a foreign text
    assert ingest.from_text(text).text == text


@pytest.mark.parametrize("text", ["Привет, мир", "戀摡", "東京で会議が開かれた", "Η κυβέρνηση ανακοίνωσε"])
def test_text_outside_the_latin_alphabet_rejected_at_any_length(text):
    # another script, or bytes decoded with the wrong encoding (a UTF-16 BOM before ASCII gives CJK)
    with pytest.raises(InputError) as exc:
        ingest.from_text(text)
    assert one_line(exc) == ("text is not in the Latin alphabet (another language, or a wrong encoding); "
                             "only English is supported for now")


def test_english_with_a_few_words_of_another_script_accepted():
    text = "The Kremlin spokesman, Dmitry Peskov (Дмитрий), spoke to reporters in Moscow."
    assert ingest.from_text(text).text == text


def test_language_check_samples_only_the_start():
    # A long English text with a foreign tail is judged on its start (and not slowly on the whole).
    text = (NEWS + " ") * 30 + FOREIGN["de"] * 200
    assert ingest.from_text(text).text == text


# --- load: files and stdin ----------------------------------------------------------------------------------


def test_load_file(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(NEWS.encode() + b"\r\n")
    doc = ingest.load(str(path))
    assert doc.text == NEWS + "\n"
    assert (doc.name, doc.kind, doc.notes) == (str(path), "text", [])


def test_load_empty_file(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    with pytest.raises(InputError) as exc:
        ingest.load(str(path))
    assert one_line(exc) == "input is empty"


def test_load_missing_file(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(InputError) as exc:
        ingest.load(str(missing))
    assert one_line(exc) == f"no such file: {missing}"


def test_load_directory(tmp_path):
    with pytest.raises(InputError) as exc:
        ingest.load(str(tmp_path))
    assert "directory" in one_line(exc)


def test_load_unreadable_file(tmp_path, monkeypatch):
    path = tmp_path / "secret.txt"
    path.write_text("Hello there.")

    # chmod 000 does not stop root (tests may run as root), so simulate the failure the OS would report.
    def denied(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", denied)
    with pytest.raises(InputError) as exc:
        ingest.load(str(path))
    assert one_line(exc) == f"permission denied: {path}"


def test_load_big_file_reads_only_max_bytes(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(("héllo world " * 50_000).encode())  # 650,000 bytes; é is two bytes in UTF-8
    doc = ingest.load(str(path), max_bytes=10_001, max_chars=5_000)
    assert len(doc.text) <= 5_000
    assert doc.notes == [
        "input larger than 10,001 bytes; only the first 10,001 bytes were read",
        "input truncated to 5,000 characters",
    ]
    # the byte cap may split a UTF-8 character: it must not make the input "undecodable"
    doc = ingest.load(str(path), max_bytes=10_002)
    assert doc.text.startswith("héllo world") and len(doc.text) < 10_002


def test_load_binary_file(tmp_path):
    path = tmp_path / "pic.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 1000)
    with pytest.raises(InputError, match="looks like a binary file, not text"):
        ingest.load(str(path))


def test_load_stdin_bytesio():
    doc = ingest.load("-", stdin=io.BytesIO(NEWS.encode() + b"\r\n"))
    assert doc.text == NEWS + "\n"
    assert doc.name == "-" and doc.kind == "text"


def test_load_stdin_html_and_cap():
    page = (DATA / "article.html").read_bytes()
    assert ingest.load("-", stdin=io.BytesIO(page)).kind == "html"
    doc = ingest.load("-", stdin=io.BytesIO(b"word " * 1000), max_bytes=100)
    assert len(doc.text) <= 100
    assert doc.notes[0] == "input larger than 100 bytes; only the first 100 bytes were read"


# --- load: URLs -------------------------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    pages = {
        "/article.html": ("text/html; charset=utf-8", (DATA / "article.html").read_bytes()),
        "/plain.txt": ("text/plain; charset=iso-8859-1", ("A café menu <b>as text</b>. " * 3).encode("latin-1")),
        "/big.html": ("text/html", b"<html><body>" + b"<p>Words and more words.</p>" * 5000 + b"</body></html>"),
    }

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.server.user_agents.append(self.headers.get("User-Agent"))
        if self.path not in self.pages:
            self.send_error(404, "Not Found")
            return
        content_type, body = self.pages[self.path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.user_agents = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def _url(server, path):
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_load_url_html(server):
    url = _url(server, "/article.html")
    doc = ingest.load(url, timeout=5)
    assert (doc.name, doc.kind, doc.title) == (url, "url", "Storm hits northern coast")
    assert "emergency crews worked through the night" in doc.text
    assert "Leave a Reply" not in doc.text and "About Us" not in doc.text
    assert server.user_agents[-1] == "unspin/0.1"


def test_load_url_plain_text_uses_charset(server):
    doc = ingest.load(_url(server, "/plain.txt"), timeout=5)
    assert doc.text.startswith("A café menu <b>as text</b>.")  # text/plain: markup is not parsed


def test_load_url_over_byte_cap(server):
    doc = ingest.load(_url(server, "/big.html"), max_bytes=2_000, timeout=5)
    assert "Words and more words." in doc.text
    assert doc.notes[0] == "input larger than 2,000 bytes; only the first 2,000 bytes were read"


def test_load_url_http_error(server):
    with pytest.raises(InputError) as exc:
        ingest.load(_url(server, "/missing"), timeout=5)
    assert one_line(exc) == "cannot fetch URL: HTTP 404 Not Found"


def test_load_url_unreachable():
    with pytest.raises(InputError) as exc:
        ingest.load("http://127.0.0.1:9/", timeout=2)
    assert one_line(exc).startswith("cannot fetch URL: ")


def test_load_url_timeout():
    import socket

    # A server that accepts the connection and never answers.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        with pytest.raises(InputError) as exc:
            ingest.load(f"http://127.0.0.1:{listener.getsockname()[1]}/", timeout=0.5)
        assert one_line(exc) == "cannot fetch URL: timed out"
    finally:
        listener.close()
