"""Index build, save → load round trip, refusal of stale or damaged indexes, atomic swap."""

import json
import shutil

import pytest

from bot.corpus import load_corpus
from bot.engine import Engine
from bot.index import Index, IndexError_, save_atomically
from tests.conftest import FakeEncoder


def test_manifest_records_encoder_corpus_version_and_counts(fake_index_dir, corpus):
    manifest = json.loads((fake_index_dir / "manifest.json").read_text())
    assert manifest["encoder"] == FakeEncoder.name and manifest["dim"] == FakeEncoder.dim
    assert manifest["corpus_version"] == corpus.version
    assert manifest["counts"]["faq_entries"] == len(corpus.faq)
    assert manifest["counts"]["units"] == manifest["counts"]["article"] + manifest["counts"]["paragraph"] + manifest["counts"]["faq"]
    assert manifest["package_version"] and manifest["built_at"]
    assert set(manifest["files"]) >= {"units.jsonl", "vectors.faiss", "extra.npz"}


def test_superseded_law_is_not_searched(fake_engine):
    assert not any(u.key.startswith("fanjiandiefa-2014/") for u in fake_engine.index.units)


def test_save_load_gives_the_same_results(fake_engine, tmp_path, corpus):
    copy = tmp_path / "copy"
    fake_engine.index.save(copy)
    reloaded = Engine.open(corpus.root, copy, FakeEncoder(), cache_dir=tmp_path / "c")
    try:
        for q in ["发现间谍怎么举报", "重点单位要做什么", "宣传日是哪天"]:
            a, b = fake_engine.retrieve(q), reloaded.retrieve(q)
            assert [h.key for h in a.articles] == [h.key for h in b.articles]
            assert [h.entry_id for h in a.faq] == [h.entry_id for h in b.faq]
    finally:
        reloaded.close()


def test_refuses_an_index_built_from_another_corpus(fake_index_dir):
    with pytest.raises(IndexError_, match="corpus changed since the build.*bot build"):
        Index.load(fake_index_dir, corpus_version="0000000000000000", encoder_name=FakeEncoder.name)


def test_refuses_an_index_built_with_another_encoder(fake_index_dir, corpus):
    with pytest.raises(IndexError_, match="built with encoder 'fake-bigram-64' but 'e5-other' is configured"):
        Index.load(fake_index_dir, corpus_version=corpus.version, encoder_name="e5-other")


@pytest.mark.parametrize("damage", ["truncate", "delete", "manifest"])
def test_refuses_a_damaged_index(fake_index_dir, tmp_path, corpus, damage):
    broken = tmp_path / "broken"
    shutil.copytree(fake_index_dir, broken)
    if damage == "truncate":
        path = broken / "vectors.faiss"
        path.write_bytes(path.read_bytes()[:100])
        expected = "vectors.faiss is damaged"
    elif damage == "delete":
        (broken / "units.jsonl").unlink()
        expected = "units.jsonl is missing"
    else:
        (broken / "manifest.json").unlink()
        expected = "no manifest.json"
    with pytest.raises(IndexError_, match=expected):
        Index.load(broken, corpus_version=corpus.version, encoder_name=FakeEncoder.name)


def test_missing_index_says_to_run_build(tmp_path):
    with pytest.raises(IndexError_, match="no index here; run `bot build`"):
        Index.load(tmp_path / "nothing")


def test_a_crash_while_saving_keeps_the_previous_index(fake_engine, tmp_path, corpus, monkeypatch):
    target = tmp_path / "index"
    save_atomically(fake_engine.index, target)
    before = json.loads((target / "manifest.json").read_text())

    def crash(self, directory):
        directory.mkdir(parents=True)
        (directory / "units.jsonl").write_text("half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(Index, "save", crash)
    with pytest.raises(KeyboardInterrupt):
        save_atomically(fake_engine.index, target)
    monkeypatch.undo()
    assert json.loads((target / "manifest.json").read_text()) == before
    Index.load(target, corpus_version=corpus.version, encoder_name=FakeEncoder.name)
    assert not list(tmp_path.glob(".index.tmp-*")), "the half-written build is cleaned up"


def test_an_interrupted_swap_is_recovered(fake_engine, tmp_path, corpus):
    target = tmp_path / "index"
    save_atomically(fake_engine.index, target)
    target.rename(tmp_path / ".index.old-123")  # crash between the two renames
    index = Index.load(target, corpus_version=corpus.version, encoder_name=FakeEncoder.name)
    assert index.vectors.ntotal == len(index.units)


def test_build_refuses_a_corpus_with_defects(tmp_path):
    from bot.engine import build

    root = tmp_path / "corpus"
    shutil.copytree(load_corpus().root, root)
    txt = root / "documents" / "guojiaanquanfa-2015.txt"
    txt.write_text(txt.read_text(encoding="utf-8").replace("第三条　", "第九十九条　", 1), encoding="utf-8")
    with pytest.raises(IndexError_, match="bot check-corpus"):
        build(root, tmp_path / "index", FakeEncoder())
    assert not (tmp_path / "index").exists()
