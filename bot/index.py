"""The search index: units cut from the corpus, a BM25 index per unit family, a faiss index of vectors,
and a manifest. Built into a temporary directory and swapped in atomically; loading refuses a stale or
damaged index with a message saying what is wrong and to run `bot build`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import bm25s
import faiss
import numpy as np

from . import __version__
from .corpus import Corpus
from .encoders import Encoder
from .segment import Segmenter

FORMAT = 1
MANIFEST = "manifest.json"
UNITS = "units.jsonl"
VECTORS = "vectors.faiss"
BM25_DIRS = {"law": "bm25-law", "faq": "bm25-faq"}
EXTRA = "extra.npz"  # arrays other stages keep with the index (the intent classifier)


class IndexError_(Exception):
    """The index is missing, damaged or does not match the corpus or encoder; the message says how to fix it."""


@dataclass(frozen=True)
class Unit:
    """One searchable text: an article paragraph, a whole article, or one FAQ phrasing."""

    kind: str  # paragraph | article | faq
    key: str  # article id (doc/n) or FAQ entry id
    paragraph: int  # paragraph number for kind=paragraph, else 0
    text: str  # what the encoder and BM25 see

    @property
    def family(self) -> str:
        """law or faq: each family has its own BM25 statistics."""
        return "faq" if self.kind == "faq" else "law"


def make_units(corpus: Corpus) -> list[Unit]:
    """Cut the corpus into units. Superseded texts are not searched (they only map old numbers)."""
    units: list[Unit] = []
    for doc in corpus.documents.values():
        if not doc.is_current:
            continue
        for art in doc.articles:
            context = f"{doc.short_title}{art.label}"
            units.append(Unit("article", art.id, 0, f"{context}：{art.text}"))
            if len(art.paragraphs) > 1:
                for para in art.paragraphs:
                    units.append(Unit("paragraph", art.id, para.number, f"{context}{para.label}：{para.text}"))
    for entry in corpus.faq:
        for question in entry.questions:
            units.append(Unit("faq", entry.id, 0, question))
    return units


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name != MANIFEST)


@dataclass
class Index:
    """A loaded index: units, per-family BM25, vectors, manifest and extra arrays."""

    units: list[Unit]
    bm25: dict[str, bm25s.BM25]
    family_rows: dict[str, np.ndarray]  # unit row numbers of each family, in BM25 document order
    vectors: faiss.Index
    manifest: dict
    extra: dict[str, np.ndarray]

    def save(self, directory: Path) -> None:
        """Write every file, then the manifest with their checksums (the manifest is written last)."""
        directory.mkdir(parents=True, exist_ok=True)
        with (directory / UNITS).open("w", encoding="utf-8") as fh:
            for unit in self.units:
                fh.write(json.dumps(asdict(unit), ensure_ascii=False) + "\n")
        faiss.write_index(self.vectors, str(directory / VECTORS))
        for family, retriever in self.bm25.items():
            retriever.save(str(directory / BM25_DIRS[family]), show_progress=False)
        np.savez(directory / EXTRA, **self.extra)
        manifest = dict(self.manifest)
        manifest["files"] = {p.relative_to(directory).as_posix(): _sha256(p) for p in _files(directory)}
        (directory / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, corpus_version: str | None = None, encoder_name: str | None = None) -> Index:
        """Load and verify an index; raise IndexError_ naming the problem and the fix."""
        _recover_interrupted_swap(directory)
        fix = f"run `bot build` (or point BOT_INDEX_DIR at a good index); index: {directory}"
        manifest_path = directory / MANIFEST
        if not manifest_path.exists():
            what = "no index here" if not directory.exists() else "the index has no manifest.json (damaged or unfinished)"
            raise IndexError_(f"{what}; {fix}")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexError_(f"manifest.json is unreadable ({exc}); {fix}") from exc
        if not isinstance(manifest, dict):
            raise IndexError_(f"manifest.json is unreadable (not a JSON object); {fix}")
        if manifest.get("format") != FORMAT:
            raise IndexError_(f"index format {manifest.get('format')} is not {FORMAT} (built by another version); {fix}")
        files = manifest.get("files")
        if not isinstance(files, dict) or not files:
            raise IndexError_(f"manifest.json lists no file checksums (damaged, or not written by `bot build`); {fix}")
        for name, digest in files.items():
            path = directory / name
            if not path.exists():
                raise IndexError_(f"index file {name} is missing; {fix}")
            if _sha256(path) != digest:
                raise IndexError_(f"index file {name} is damaged (checksum mismatch); {fix}")
        if corpus_version is not None and manifest.get("corpus_version") != corpus_version:
            raise IndexError_(
                f"the index was built from corpus {manifest.get('corpus_version')} but corpus/ is now {corpus_version} "
                f"(the corpus changed since the build); {fix}"
            )
        if encoder_name is not None and manifest.get("encoder") != encoder_name:
            raise IndexError_(
                f"the index was built with encoder {manifest.get('encoder')!r} but {encoder_name!r} is configured; {fix}"
            )
        try:
            units = [Unit(**json.loads(line)) for line in (directory / UNITS).read_text(encoding="utf-8").splitlines()]
            vectors = faiss.read_index(str(directory / VECTORS))
            bm25 = {
                fam: bm25s.BM25.load(str(directory / sub), show_progress=False, verbosity=0)
                for fam, sub in BM25_DIRS.items()
            }
            with np.load(directory / EXTRA) as npz:
                extra = {k: npz[k] for k in npz.files}
        except Exception as exc:  # any parse failure of a checksummed file means a foreign or broken build
            raise IndexError_(f"the index could not be read ({type(exc).__name__}: {exc}); {fix}") from exc
        if vectors.ntotal != len(units) or vectors.d != manifest.get("dim"):
            raise IndexError_(f"the index is inconsistent ({vectors.ntotal} vectors for {len(units)} units); {fix}")
        return cls(units, bm25, _family_rows(units), vectors, manifest, extra)


def _family_rows(units: list[Unit]) -> dict[str, np.ndarray]:
    rows: dict[str, list[int]] = {fam: [] for fam in BM25_DIRS}
    for i, unit in enumerate(units):
        rows[unit.family].append(i)
    return {fam: np.asarray(r, dtype=np.int64) for fam, r in rows.items()}


def build_index(
    corpus: Corpus, segmenter: Segmenter, encoder: Encoder, batch_size: int = 32, progress=None
) -> Index:
    """Build an index in memory from the corpus (no files written)."""
    started = time.time()
    units = make_units(corpus)
    family_rows = _family_rows(units)
    bm25 = {}
    for family, rows in family_rows.items():
        retriever = bm25s.BM25()
        retriever.index([segmenter.tokens(units[i].text) or ["∅"] for i in rows], show_progress=False)
        bm25[family] = retriever
    vectors = faiss.IndexFlatIP(encoder.dim)
    for start in range(0, len(units), batch_size):
        batch = units[start : start + batch_size]
        vectors.add(encoder.encode_passages([u.text for u in batch]))
        if progress:
            progress(min(start + batch_size, len(units)), len(units))
    counts = {kind: sum(u.kind == kind for u in units) for kind in ("article", "paragraph", "faq")}
    manifest = {
        "format": FORMAT,
        "encoder": encoder.name,
        "dim": encoder.dim,
        "corpus_version": corpus.version,
        "package_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "build_seconds": round(time.time() - started, 2),
        "counts": {"units": len(units), **counts, "faq_entries": len(corpus.faq), "documents": len(corpus.documents)},
    }
    return Index(units, bm25, family_rows, vectors, manifest, {})


def _siblings(directory: Path, tag: str) -> list[Path]:
    return sorted(directory.parent.glob(f".{directory.name}.{tag}-*"))


def _recover_interrupted_swap(directory: Path) -> None:
    """If a crash hit between the two renames of a swap, put the previous index back."""
    if directory.exists():
        return
    backups = _siblings(directory, "old")
    if backups:
        backups[-1].rename(directory)


def save_atomically(index: Index, directory: Path) -> None:
    """Write the index next to `directory` and swap it in; a crash at any point leaves a loadable index."""
    directory = directory.resolve()
    directory.parent.mkdir(parents=True, exist_ok=True)
    _recover_interrupted_swap(directory)
    # Debris of killed builds: half-written new indexes, and previous indexes a crash left behind after the swap.
    for stale in _siblings(directory, "tmp") + _siblings(directory, "old"):
        shutil.rmtree(stale, ignore_errors=True)
    tmp = directory.parent / f".{directory.name}.tmp-{os.getpid()}"
    old = directory.parent / f".{directory.name}.old-{os.getpid()}"
    try:
        index.save(tmp)
        if directory.exists():
            directory.rename(old)
        tmp.rename(directory)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
