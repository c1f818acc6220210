"""Tests for the Python API: ``unspin.check(text) -> Report`` and :class:`unspin.Checker`.

These use the real default pack (``unspin/data/pack``). Loading it is cheap, checking a document is not, so
each document is checked once per module and the reports are shared.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

import unspin
from unspin import Checker, InputError, PackError, Report, UnspinError
from unspin.pack import DEFAULT_PACK

REPO = Path(__file__).resolve().parent.parent
KARABAKH = (REPO / "examples" / "karabakh-spun.txt").read_text(encoding="utf-8")

pytestmark = pytest.mark.skipif(not (DEFAULT_PACK / "lm.bin").is_file(), reason="default model pack not present")

# Swaps the spinner made in the Karabakh story (spun wording, then what the AP original said). The original
# side lists every wording of the AP text at that place that counts as a correct restoration.
KNOWN_SWAPS = [
    ("the place", {"where"}),
    ("for the reason that", {"since"}),
    ("stated", {"said"}),
    ("have got", {"have"}),
    ("newshounds", {"reporters", "journalists"}),
    ("convention", {"conference"}),
    ("showed", {"confirmed"}),
    ("finish", {"end"}),
    ("officers", {"officials"}),
    ("pinnacle", {"head"}),
    ("studies", {"reports"}),
    ("additionally", {"also"}),
    ("however", {"but"}),
    ("main points", {"details"}),
    ("compelled", {"forced"}),
]

# Ordinary AP-style news, written for these tests (not spun).
CLEAN_NEWS = {
    "markets": """NEW YORK (AP) — Stocks fell on Wall Street on Monday as investors worried that the Federal Reserve \
would keep interest rates high for longer than expected. The S&P 500 dropped 1.2%, its worst day in a month, while \
the Dow Jones Industrial Average lost 340 points. Technology companies led the decline after several chip makers \
warned that sales would be weaker this year.

Treasury yields rose after a report showed that prices paid by consumers climbed faster than economists had forecast \
in March. Higher yields make borrowing more expensive for companies and households and can weigh on the prices of \
stocks.

"The market is waiting for a clear signal that inflation is under control," said a strategist at a large investment \
bank. Oil prices also rose, and the price of gold hit a record. Trading was lighter than usual ahead of a holiday in \
Europe, and analysts said the week's earnings reports from big banks could set the tone.""",
    "wildfire": """LOS ANGELES (AP) — Firefighters made progress on Sunday against a wildfire that has burned more than 20 \
square miles in the mountains north of Los Angeles and forced thousands of people to leave their homes, officials said.

The fire was 40% contained by Sunday evening, up from 15% a day earlier, as cooler weather and higher humidity helped \
crews build lines around its edges. No deaths have been reported, but at least 12 homes and several other buildings \
have been destroyed, according to the county fire department.

Evacuation orders for some neighborhoods were lifted on Sunday afternoon, and residents began returning to check on \
their property. Officials warned that strong winds expected later in the week could cause the fire to spread again. \
The cause of the fire is under investigation. More than 1,500 firefighters, supported by helicopters and planes \
dropping water, were working on the blaze.""",
    "veterans": """WASHINGTON (AP) — The Senate passed a bill on Thursday that would expand health care for veterans who \
were exposed to toxic smoke from burn pits during their military service, sending the measure to the president, who \
has said he will sign it.

The vote was 86-11. Supporters said the legislation would help about 3.5 million veterans who served in Iraq and \
Afghanistan and later developed cancers and breathing problems. Under the bill, the Department of Veterans Affairs \
would no longer require those veterans to prove that their illness was caused by their service.

"This is a long overdue victory for our veterans and their families," Senate Majority Leader Chuck Schumer told \
reporters after the vote. Several Republican senators had delayed the bill last week over concerns about how it would \
be paid for, but they dropped their objections after lawmakers agreed to hold a vote on an amendment.

The bill is expected to cost about $280 billion over the next decade.""",
}


@pytest.fixture(scope="module")
def checker() -> Checker:
    return Checker()


@pytest.fixture(scope="module")
def karabakh_report() -> Report:
    return unspin.check(KARABAKH)


@pytest.fixture(scope="module")
def clean_reports(checker) -> dict[str, Report]:
    return {name: checker.check(text, name=name) for name, text in CLEAN_NEWS.items()}


# ---------------------------------------------------------------------------------------------------------
# A real spun story
# ---------------------------------------------------------------------------------------------------------


def test_karabakh_is_spun(karabakh_report):
    r = karabakh_report
    print(r.verdict, r.spin_probability, r.features)
    assert r.verdict == "spun"
    assert r.spin_probability > 0.8


def test_karabakh_report_basics(karabakh_report):
    r = karabakh_report
    assert isinstance(r, Report)
    assert 0.0 <= r.spin_probability <= 1.0
    assert r.text == KARABAKH.lstrip("\ufeff").replace("\r\n", "\n")
    assert r.restored != r.text
    assert r.words > 300


def test_karabakh_substitutions_are_well_formed(karabakh_report):
    r = karabakh_report
    assert len(r.substitutions) >= 15
    previous_end = 0
    for s in r.substitutions:
        assert 0 <= s.start < s.end <= len(r.text), s
        assert r.text[s.start : s.end] == s.spun, s
        assert 0.5 <= s.confidence <= 1.0, s
        assert s.original and s.original.lower() != s.spun.lower(), s
        # sorted and non-overlapping: the renderers rely on it
        assert s.start >= previous_end, f"{s} overlaps or precedes the previous substitution"
        previous_end = s.end


def test_karabakh_flagged_words_cover_the_substitutions_and_more(karabakh_report):
    """The localiser flags the restored swaps and also swapped words the decoder could not restore; every
    "patch" (for region, which no shipped thesaurus lists) is flagged, restored or not."""
    r = karabakh_report
    flagged = r.flagged
    assert flagged, "a spun page must have flagged words"
    previous_end = 0
    for f in flagged:
        assert r.text[f.start : f.end] == f.text and 0.0 < f.probability <= 1.0
        assert f.start >= previous_end
        previous_end = f.end
    covered = [any(f.start <= s.start and s.end <= f.end for f in flagged) for s in r.substitutions]
    assert sum(covered) >= 0.8 * len(covered)
    # words it judges swapped that no list restores: "points" (of "main points", details) among them
    unrestored = [f.text.lower() for f in flagged if f.original is None]
    assert len(unrestored) >= 5 and "points" in unrestored
    patches = [m.start() for m in re.finditer(r"\bpatch\b", r.text)]
    assert len(patches) >= 5 and all(any(f.start <= p < f.end for f in flagged) for p in patches)


def test_karabakh_restored_text_is_the_text_with_each_span_replaced(karabakh_report):
    r = karabakh_report
    rebuilt, cursor = [], 0
    for s in r.substitutions:
        rebuilt.append(r.text[cursor : s.start])
        rebuilt.append(s.original)
        cursor = s.end
    rebuilt.append(r.text[cursor:])
    # the restorer may re-case a restored word at a sentence start; nothing else may differ
    assert "".join(rebuilt).lower() == r.restored.lower()


def test_karabakh_known_swaps_are_restored(karabakh_report):
    found = []
    for s in karabakh_report.substitutions:
        for spun, originals in KNOWN_SWAPS:
            if s.spun.lower() == spun and s.original.lower() in originals:
                found.append((s.spun, s.original))
    distinct = sorted({(a.lower(), b.lower()) for a, b in found})
    print(f"known swaps restored ({len(distinct)} of {len(KNOWN_SWAPS)}): {distinct}")
    assert len(distinct) >= 3, f"only {distinct} of the known swaps were restored"
    restored = karabakh_report.restored.lower()
    assert "where they have" in restored or "where they had" in restored
    assert "the place they" not in restored


def test_api_restore_function(karabakh_report):
    # unspin.restore is the decoder module; the text-in, text-out helper lives in unspin.api
    from unspin.api import restore

    assert restore(KARABAKH) == karabakh_report.restored


def test_checker_is_deterministic(checker, karabakh_report):
    again = checker.check(KARABAKH)
    assert again.verdict == karabakh_report.verdict
    assert again.spin_probability == pytest.approx(karabakh_report.spin_probability)
    assert [(s.start, s.end, s.original) for s in again.substitutions] == [
        (s.start, s.end, s.original) for s in karabakh_report.substitutions
    ]


# ---------------------------------------------------------------------------------------------------------
# Clean text
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CLEAN_NEWS))
def test_clean_news_is_not_flagged(clean_reports, name):
    r = clean_reports[name]
    per_100 = 100 * len(r.substitutions) / max(r.words, 1)
    print(name, r.verdict, round(r.spin_probability, 3), r.words, [(s.spun, s.original) for s in r.substitutions])
    assert r.verdict in ("not spun", "uncertain")
    assert r.spin_probability < 0.5
    assert per_100 < 4, f"{len(r.substitutions)} swaps in {r.words} words"
    for s in r.substitutions:
        assert r.text[s.start : s.end] == s.spun
    if r.verdict == "not spun":
        assert r.flagged == []


def test_a_few_words_are_never_called_not_spun(checker, clean_reports):
    """Too short to clear: a text of a few words is `uncertain`, with a note saying why; a full clean
    article can still be `not spun`."""
    from unspin.api import MIN_VERDICT_WORDS

    r = checker.check("The war ended in 2020 and the region was quiet.")
    assert r.words < MIN_VERDICT_WORDS and r.spin_probability < 0.5
    assert r.verdict == "uncertain" and r.substitutions == [] and r.flagged == []
    assert any("too short" in n for n in r.notes)
    long_clean = [c for c in clean_reports.values() if c.words >= MIN_VERDICT_WORDS]
    assert any(c.verdict == "not spun" for c in long_clean)
    assert all(not any("too short" in n for n in c.notes) for c in long_clean)


def test_clean_news_spin_probability_is_below_spun_story(clean_reports, karabakh_report):
    assert max(r.spin_probability for r in clean_reports.values()) < karabakh_report.spin_probability


# ---------------------------------------------------------------------------------------------------------
# Report.to_dict
# ---------------------------------------------------------------------------------------------------------


def test_report_to_dict(karabakh_report):
    d = karabakh_report.to_dict()
    for key in ("spin_probability", "verdict", "text", "restored", "substitutions", "source"):
        assert key in d, key
    assert d["source"] is None
    assert d["verdict"] == karabakh_report.verdict
    assert d["text"] == karabakh_report.text
    assert d["restored"] == karabakh_report.restored
    assert 0.0 <= d["spin_probability"] <= 1.0
    assert len(d["substitutions"]) == len(karabakh_report.substitutions)
    for s in d["substitutions"]:
        assert {"start", "end", "spun", "original", "confidence"} <= set(s)
        assert isinstance(s["start"], int) and isinstance(s["end"], int)
        assert d["text"][s["start"] : s["end"]] == s["spun"]
        assert 0.5 <= s["confidence"] <= 1.0
    # it is what --format json prints, so it must serialise as is
    assert json.loads(json.dumps(d)) == d


# ---------------------------------------------------------------------------------------------------------
# Bad input through the API: InputError, never another exception
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t  ",
        "12,000 3.5 -- 41 !!!",
        "PNG\x00\x00\x00\x00IHDR" * 20,
        "Le gouvernement français a annoncé mercredi une série de mesures destinées à soutenir les agriculteurs "
        "touchés par la sécheresse. Selon le ministre de l'Agriculture, les aides seront versées dès le mois "
        "prochain aux exploitations les plus durement frappées par le manque de pluie depuis le printemps.",
        b"bytes are not text",
        None,
    ],
    ids=["empty", "whitespace", "no-words", "nul-bytes", "french", "bytes", "none"],
)
def test_check_bad_input_raises_input_error(checker, text):
    with pytest.raises(InputError):
        checker.check(text)


# ---------------------------------------------------------------------------------------------------------
# Broken packs: PackError, never another exception; the real pack is never modified
# ---------------------------------------------------------------------------------------------------------


def _pack_copy(tmp_path: Path, lm_bytes: bytes | None, manifest: str | None = None, lexicon: bool = True) -> Path:
    """A pack folder in tmp_path: the real manifest (or ``manifest``), lexicon, and ``lm_bytes`` as lm.bin."""
    d = tmp_path / "pack"
    d.mkdir()
    if manifest is None:
        shutil.copy2(DEFAULT_PACK / "manifest.json", d / "manifest.json")
    else:
        (d / "manifest.json").write_text(manifest, encoding="utf-8")
    if lexicon:
        shutil.copy2(DEFAULT_PACK / "lexicon.tsv.gz", d / "lexicon.tsv.gz")
    if lm_bytes is not None:
        (d / "lm.bin").write_bytes(lm_bytes)
    return d


def _garbage(n: int) -> bytes:
    block = bytes(range(256)) * 4096  # 1 MiB, deterministic
    return (block * (n // len(block) + 1))[:n]


def _real_lm_size() -> int:
    return (DEFAULT_PACK / "lm.bin").stat().st_size


def test_missing_pack_raises_pack_error(tmp_path):
    with pytest.raises(PackError, match="not found"):
        Checker(pack=tmp_path / "nope")


def test_pack_error_is_an_unspin_error_with_exit_code_4():
    assert issubclass(PackError, UnspinError) and PackError.exit_code == 4
    assert issubclass(InputError, UnspinError) and InputError.exit_code == 3


def test_garbage_lm_of_the_right_size_raises_pack_error(tmp_path):
    pack = _pack_copy(tmp_path, _garbage(_real_lm_size()))
    with pytest.raises(PackError, match="corrupt"):
        Checker(pack=pack)


def test_garbage_lm_of_the_wrong_size_raises_pack_error(tmp_path):
    pack = _pack_copy(tmp_path, _garbage(1_000_000))
    with pytest.raises(PackError, match="corrupt"):
        Checker(pack=pack)


def test_truncated_lm_raises_pack_error(tmp_path):
    with open(DEFAULT_PACK / "lm.bin", "rb") as f:
        head = f.read(4_000_000)
    pack = _pack_copy(tmp_path, head)
    with pytest.raises(PackError):
        Checker(pack=str(pack))


@pytest.mark.parametrize("kind", ["garbage", "truncated"])
def test_corrupt_lm_without_checksums_raises_pack_error(tmp_path, kind):
    """With no checksum in the manifest the corruption reaches KenLM, which must still end in PackError."""
    if kind == "garbage":
        data = _garbage(3_000_000)
    else:
        with open(DEFAULT_PACK / "lm.bin", "rb") as f:
            data = f.read(4_000_000)
    pack = _pack_copy(tmp_path, data, manifest=json.dumps({"name": "no-checksums", "files": {}}))
    with pytest.raises(PackError, match="language model"):
        Checker(pack=pack)


def test_corrupt_lexicon_without_checksums_raises_pack_error(tmp_path, monkeypatch):
    monkeypatch.setenv("UNSPIN_CACHE", str(tmp_path / "cache"))  # keep the user's lexicon cache untouched
    pack = _pack_copy(tmp_path, b"", manifest=json.dumps({"name": "x", "files": {}}), lexicon=False)
    (pack / "lm.bin").unlink()
    (pack / "lm.bin").symlink_to(DEFAULT_PACK / "lm.bin")
    with open(DEFAULT_PACK / "lexicon.tsv.gz", "rb") as f:
        (pack / "lexicon.tsv.gz").write_bytes(f.read(100_000))  # a truncated gzip stream
    with pytest.raises(PackError, match="lexicon"):
        Checker(pack=pack)


def test_missing_lm_raises_pack_error(tmp_path):
    pack = _pack_copy(tmp_path, None)
    with pytest.raises(PackError, match="lm.bin"):
        Checker(pack=pack)


@pytest.mark.parametrize("manifest", [None, "{not json", "\udcff"], ids=["missing", "invalid-json", "not-utf8"])
def test_bad_manifest_raises_pack_error(tmp_path, manifest):
    pack = _pack_copy(tmp_path, _garbage(10), manifest="{}")
    if manifest is None:
        (pack / "manifest.json").unlink()
    elif manifest == "\udcff":
        (pack / "manifest.json").write_bytes(b"\xff\xfe\xfa{")
    else:
        (pack / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(PackError, match="manifest"):
        Checker(pack=pack)


@pytest.mark.parametrize("manifest", ["[]", "null", '{"files": []}', '{"files": {"lm.bin": "abc"}}'])
def test_manifest_of_the_wrong_shape_raises_pack_error(tmp_path, manifest):
    pack = _pack_copy(tmp_path, _garbage(10), manifest=manifest)
    with pytest.raises(PackError):
        Checker(pack=pack)


_DETECTOR_0D = '{"mean": 0, "scale": 1, "coef": 0, "intercept": 0, "isotonic_x": 0, "isotonic_y": 0}'
_DETECTOR_SHORT_MEAN = ('{"mean": [0, 0], "scale": [1], "coef": [0, 0, 0, 0, 0, 0, 0, 0, 0], "intercept": 0, '
                        '"isotonic_x": [0, 1], "isotonic_y": [0, 1]}')


@pytest.mark.parametrize(
    "detector, checksums",
    [
        ('{"garbage": true}', True),
        ("not json", False),
        ("[]", False),
        ('{"mean": [1]}', False),
        (_DETECTOR_0D, False),
        (_DETECTOR_SHORT_MEAN, False),
    ],
    ids=["checksum-mismatch", "not-json", "list", "missing-keys", "scalar-arrays", "short-mean"],
)
def test_corrupt_detector_raises_pack_error(tmp_path, detector, checksums):
    """detector.json is optional, but a broken one must be a PackError (lm and lexicon are links to the real ones)."""
    d = tmp_path / "pack"
    d.mkdir()
    for name in ("lm.bin", "lexicon.tsv.gz"):
        (d / name).symlink_to(DEFAULT_PACK / name)
    manifest = json.loads((DEFAULT_PACK / "manifest.json").read_text(encoding="utf-8"))
    if not checksums:
        manifest["files"] = {}
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (d / "detector.json").write_text(detector, encoding="utf-8")
    with pytest.raises(PackError, match="detector"):
        Checker(pack=d).check(CLEAN_NEWS["markets"])


@pytest.mark.parametrize("content", ["not json", '{"features": [], "threshold": 0.5, "trees": {}}'])
def test_corrupt_localizer_raises_pack_error(tmp_path, content):
    """localizer.json is optional too; a broken or outdated one is a PackError, not a traceback."""
    d = tmp_path / "pack"
    d.mkdir()
    for name in ("lm.bin", "lexicon.tsv.gz"):
        (d / name).symlink_to(DEFAULT_PACK / name)
    manifest = json.loads((DEFAULT_PACK / "manifest.json").read_text(encoding="utf-8"))
    manifest["files"] = {k: v for k, v in manifest["files"].items() if k in ("lm.bin", "lexicon.tsv.gz")}
    (d / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    (d / "localizer.json").write_text(content, encoding="utf-8")
    with pytest.raises(PackError, match="localizer"):
        Checker(pack=d)


def test_real_pack_untouched():
    """The broken-pack tests work on copies: the shipped pack still verifies."""
    from unspin.pack import load_pack

    p = load_pack(DEFAULT_PACK)
    assert p.manifest["files"]["lm.bin"]["bytes"] == _real_lm_size()


def test_wordnet_spun_text_is_recognised_and_decoded_with_wordnet_weighted_up(checker, monkeypatch):
    """Family-adaptive decoding: a naive WordNet spinner's output is named as such, and restored again with
    WordNet's pairs weighted up, which brings back more of the original than the same decoding without."""
    import unspin.api
    from unspin.evaluate import restoration_scores
    from unspin.spinners import WordNetSpinner

    original = CLEAN_NEWS["wildfire"]
    spuns = [WordNetSpinner(rate=0.35, seed=seed).spin(original).text for seed in (1, 2, 3)]
    reports = [checker.check(spun) for spun in spuns]
    for report in reports:
        assert report.family["name"] == "naive WordNet spinner" and report.family["probability"] > 0.9
        assert any("naive WordNet spinner" in n for n in report.notes)
    monkeypatch.setattr(unspin.api, "FAMILY_DECODING", {})
    plains = [checker.check(spun) for spun in spuns]  # the same pipeline without the adaptation
    assert not any("naive WordNet spinner" in n for p in plains for n in p.notes)
    # summed over three spins of the text: one spin alone can tie
    adapted = sum(restoration_scores(original, s, r.restored)["recovered"] for s, r in zip(spuns, reports))
    plain = sum(restoration_scores(original, s, p.restored)["recovered"] for s, p in zip(spuns, plains))
    assert adapted > plain


def test_a_content_farm_page_is_decoded_with_the_swaps_seen_on_real_pages_weighted_up(checker):
    """A page named a phrase-dictionary spinner's (the content-farm family of the real pages) is decoded
    again with the swaps attested in spinners' output weighted up and one dictionary per document trusted
    more, and the report says so."""
    import unspin.api

    adapt = unspin.api.FAMILY_DECODING["phrase-dictionary spinner"]
    assert adapt["layer_bonus"] == {"observed": 1.0, "tortured-words": 1.0}
    assert adapt["consistency_min_confidence"] < checker.restorer.config.consistency_min_confidence
    assert adapt["consistency_bonus"] > checker.restorer.config.consistency_bonus
    report = checker.check(KARABAKH)
    assert report.family["name"] == "phrase-dictionary spinner" and report.family["probability"] >= 0.6
    assert any("phrase-dictionary spinner" in n and "weighted up" in n for n in report.notes)
    observed = {(s.spun.lower(), s.original.lower()) for s in report.substitutions if "observed:" in s.evidence}
    assert {("the place", "where"), ("for the reason that", "since"), ("stated", "said")} <= observed


def test_localiser_priors_redecode_spun_text_only(checker, monkeypatch):
    """A text not judged clean is decoded again with the localiser's per-word priors; a clean one is not,
    and setting word_prior_scale to 0 turns it off."""
    import dataclasses

    import unspin.api

    from unspin.spinners import PhraseSpinner

    monkeypatch.setattr(unspin.api, "FAMILY_DECODING", {})  # no family decoding either
    spun = PhraseSpinner(seed=3).spin(CLEAN_NEWS["wildfire"]).text
    with_priors = checker.check(spun)
    assert with_priors.verdict != "not spun" and with_priors.flagged
    off = Checker(config=dataclasses.replace(checker.restorer.config, word_prior_scale=0.0))
    without = off.check(spun)
    assert without.spin_probability == with_priors.spin_probability  # detection is the first decoding's
    assert without.restored != with_priors.restored
    first = checker.restorer.restore(unspin.Document(spun))
    assert without.restored == first.restored  # no second decoding without priors (or a family to adapt to)
    clean = checker.check(CLEAN_NEWS["wildfire"])
    assert clean.verdict == "not spun" and clean.restored == off.check(CLEAN_NEWS["wildfire"]).restored


def test_family_decoders_are_kept_across_documents(checker):
    """A spinner family's decoder is made once and reused (its candidate cache stays warm); a change of the
    checker's settings or of the family's adaptation makes a new one."""
    import dataclasses

    from unspin.restore import Restorer

    adapt = {"layer_bonus": {"observed": 1.0}}
    first = checker._family_restorer("phrase-dictionary spinner", adapt, False)
    assert first.config.layer_bonus == {"observed": 1.0}
    assert checker._family_restorer("phrase-dictionary spinner", adapt, False) is first
    assert checker._family_restorer("phrase-dictionary spinner", {"layer_bonus": {"observed": 2.0}}, False) is not first
    adapt["layer_bonus"]["observed"] = 3.0  # changed in place
    assert checker._family_restorer("phrase-dictionary spinner", adapt, False).config.layer_bonus == {"observed": 3.0}
    old = checker.restorer
    try:
        checker.restorer = Restorer(old.lexicon, old.scorer, dataclasses.replace(old.config, swap_prior=0.2))
        changed = checker._family_restorer("phrase-dictionary spinner", adapt, False)
        assert changed.config.swap_prior == 0.2 and changed.config.layer_bonus == {"observed": 3.0}
    finally:
        checker.restorer = old


def test_check_many_in_worker_processes_gives_the_same_reports_in_order(karabakh_report):
    """``check_many(jobs=2)``: the texts are checked in two processes, each with its own pack, and come back
    in their order, report for report what one process gives."""
    from unspin.api import check_many

    texts = [CLEAN_NEWS["markets"], KARABAKH, CLEAN_NEWS["wildfire"]]
    one = list(check_many(texts, jobs=1))
    two = list(check_many(texts, jobs=2))
    assert [r.verdict for r in two] == ["not spun", "spun", "not spun"]
    assert [(r.spin_probability, r.restored, r.substitutions) for r in two] == \
           [(r.spin_probability, r.restored, r.substitutions) for r in one]
    assert two[1].restored == karabakh_report.restored
    assert list(check_many([], jobs=2)) == []


def test_an_opened_pack_is_used_as_it_is(monkeypatch):
    """``Checker(Pack)``: a pack already opened (and verified) by ``load_pack`` is not verified again, as the
    batch workers of ``check_many`` take it; a folder is verified as before."""
    from unspin import pack as pack_module
    from unspin.api import Checker

    opened = pack_module.load_pack()

    def no_hashing(path):
        raise AssertionError(f"verified again: {path}")

    monkeypatch.setattr(pack_module, "_sha256", no_hashing)
    report = Checker(opened).check(CLEAN_NEWS["markets"])
    assert report.verdict == "not spun"
    with pytest.raises(AssertionError, match="verified again"):
        Checker(opened.path)
