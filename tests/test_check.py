"""`bot check-corpus`: every validator rule.

Part 1 (end to end): each test copies the real corpus to tmp_path, breaks exactly one thing in the files and runs
check_corpus(path), asserting the message and the file (and line). Part 2 (unit): further rules exercised on the
parsed real corpus with one record replaced in memory, calling the rule's check_* function directly; parsing the
corpus YAML is the slow part, so these keep the whole run short.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.check import (
    check_channels,
    check_corpus,
    check_coverage,
    check_crossrefs,
    check_documents,
    check_faq,
    check_faq_english,
    check_glossary,
    check_quiz,
    check_facts,
    check_intents,
    check_responses,
    check_subjects,
)
from bot.corpus import Citation, Corpus, CrossRef, load_corpus

BASE = load_corpus()
REAL_ROOT = BASE.root

# the slow part of these tests is YAML; the helpers below only edit files, so they may use libyaml when present
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A private copy of the real corpus, free to break."""
    dest = tmp_path / "corpus"
    shutil.copytree(REAL_ROOT, dest)
    return dest


# ---------------------------------------------------------------- helpers


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def line_of(path: Path, line_text: str) -> int:
    """1-based number of the one line of path that is line_text once stripped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines, start=1) if line.strip() == line_text]
    assert len(hits) == 1, f"{line_text!r} is on lines {hits} of {path}"
    return hits[0]


def line_starting(path: Path, prefix: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    hits = [i for i, line in enumerate(lines, start=1) if line.startswith(prefix)]
    assert len(hits) == 1, f"lines starting {prefix!r}: {hits} in {path}"
    return hits[0]


def load_yaml(path: Path):
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 - a safe loader


def dump_yaml(path: Path, data) -> None:
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False), encoding="utf-8")


def edit_faq_entry(root: Path, entry_id: str, change) -> tuple[Path, int]:
    """Apply change(entry dict) to one FAQ entry (YAML round trip); return its file and the line of its `- id:`."""
    for path in sorted((root / "faq").glob("*.yaml")):
        data = load_yaml(path)
        for entry in data:
            if entry["id"] == entry_id:
                change(entry)
                dump_yaml(path, data)
                return path, line_of(path, f"- id: {entry['id']}")
    raise AssertionError(f"no FAQ entry {entry_id}")


def edit_quiz_item(root: Path, item_id: str, change) -> tuple[Path, int]:
    path = root / "quiz.yaml"
    data = load_yaml(path)
    item = next(i for i in data if i["id"] == item_id)
    change(item)
    dump_yaml(path, data)
    return path, line_of(path, f"- id: {item_id}")


def only_defect(defects: list[str], *fragments: str) -> str:
    """There is exactly one defect and it contains every fragment."""
    assert len(defects) == 1, "\n".join(defects)
    for fragment in fragments:
        assert fragment in defects[0], defects[0]
    return defects[0]


def some_defect(defects: list[str], *fragments: str) -> str:
    """At least one defect contains every fragment."""
    hits = [d for d in defects if all(f in d for f in fragments)]
    assert hits, f"no defect with {fragments!r} among:\n" + "\n".join(defects)
    return hits[0]


# ================================================================ part 1: end to end on a broken copy


def test_real_corpus_is_valid():
    # the copies below start from this state, so each broken copy shows only the defect it was given
    assert check_corpus(REAL_ROOT) == []


def test_changed_character_in_measures_differs_from_seed(corpus_dir):
    txt = corpus_dir / "documents" / "zhejiang-2019.txt"
    text = txt.read_text(encoding="utf-8")
    assert text.startswith("浙江省反间谍安全防范办法\n")
    txt.write_text(text.replace("办法", "辦法", 1), encoding="utf-8")  # one character of the title line
    only_defect(check_corpus(corpus_dir), f"{txt}:1: the measures differ from the seed text", "zhejiang-2019.yaml pins")


def test_article_numbering_gap_and_repeat(corpus_dir):
    txt = corpus_dir / "documents" / "zhejiang-2019.txt"
    line3, line4 = line_starting(txt, "第三条 "), line_starting(txt, "第四条 ")
    replace_once(txt, "\n第三条 ", "\n第四条 ")
    defects = check_corpus(corpus_dir)
    gap = some_defect(defects, f"{txt}:{line3}: article numbering gap")
    assert "found 第四条 (4) where 第三条 (3) was expected" in gap
    some_defect(defects, f"{txt}:{line4}: article numbering repeat")
    some_defect(defects, f"{txt}:1: the measures differ from the seed text")  # the sha pin catches it too


def test_faq_citation_to_missing_article(corpus_dir):
    def change(e):
        e["citations"] = [{"doc_id": "zhejiang-2019", "article": 24}]

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    some_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: entry m01-purpose: cites zhejiang-2019 第二十四条, but that document has articles 1–23",
    )


def test_faq_citation_to_missing_paragraph(corpus_dir):
    def change(e):
        e["citations"] = [{"doc_id": "zhejiang-2019", "article": 1, "paragraph": 2}]

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: entry m01-purpose: cites zhejiang-2019 第一条第二款, but 第一条 has 1 paragraph(s)",
    )


def test_faq_quote_not_verbatim(corpus_dir):
    path = corpus_dir / "faq" / "measures-01-08.yaml"
    replace_once(path, "「为了规范和加强反间谍安全防范工作，", "「为了规范和强化反间谍安全防范工作，")
    line = line_of(path, "- id: m01-purpose")
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: entry m01-purpose: quote 「为了规范和强化反间谍安全防范工作，防范、制止间谍行为，维护国家安全」 "
        "is not found verbatim in the cited text (zhejiang-2019 第一条)",
    )


def test_faq_phrasing_used_by_two_entries(corpus_dir):
    path = corpus_dir / "faq" / "measures-01-08.yaml"
    first_line = line_of(path, "- 浙江省反间谍安全防范办法是什么")
    # the same up to spacing and end punctuation counts as the same phrasing
    replace_once(path, "    - 办法的目的是什么\n", "    - 办法的目的是什么\n    - 浙江省反间谍安全防范办法 是什么？\n")
    dup_line = line_of(path, "- 浙江省反间谍安全防范办法 是什么？")
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{dup_line}: phrasing '浙江省反间谍安全防范办法 是什么？' is used by two entries: "
        f"m01-purpose and m01-what-is-banfa ({path}:{first_line})",
    )


def test_faq_fewer_than_three_phrasings(corpus_dir):
    def change(e):
        e["questions"] = e["questions"][:2]

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    only_defect(check_corpus(corpus_dir), f"{path}:{line}: entry m01-purpose: has 2 phrasing(s); at least 3 are needed")


def test_faq_empty_answer(corpus_dir):
    def change(e):
        e["answer"] = ""

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    only_defect(check_corpus(corpus_dir), f"{path}:{line}: entry m01-purpose: answer is empty")


def test_faq_over_long_answer(corpus_dir):
    def change(e):
        e["answer"] = "防" * 161

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: entry m01-purpose: answer has 161 characters; keep it to 160 or fewer",
    )


def test_channels_without_hotline(corpus_dir):
    path = corpus_dir / "channels.yaml"
    replace_once(path, "kind: hotline", "kind: phone")
    only_defect(check_corpus(corpus_dir), f"{path}:1: the channel list has no hotline")


def test_faq_citing_superseded_law(corpus_dir):
    def change(e):
        e["citations"] = [{"doc_id": "fanjiandiefa-2014", "article": 38}]

    path, line = edit_faq_entry(corpus_dir, "n-what-is-espionage", change)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: entry n-what-is-espionage: cites fanjiandiefa-2014 (已修订) as if current",
    )


def test_current_document_with_superseded_by(corpus_dir):
    meta = corpus_dir / "documents" / "zhejiang-2019.yaml"
    replace_once(meta, "status: 现行有效\n", "status: 现行有效\nsuperseded_by: fanjiandiefa-2023\n")
    only_defect(check_corpus(corpus_dir), f"{meta}:1: marked 现行有效 but also superseded_by fanjiandiefa-2023")


def test_faq_unknown_audience(corpus_dir):
    def change(e):
        e["audience"] = ["公众", "小学生"]

    path, line = edit_faq_entry(corpus_dir, "m01-purpose", change)
    only_defect(check_corpus(corpus_dir), f"{path}:{line}: entry m01-purpose: unknown audience '小学生'")


def test_faq_duplicate_id(corpus_dir):
    path = corpus_dir / "faq" / "measures-01-08.yaml"
    first, second = line_of(path, "- id: m01-what-is-banfa"), line_of(path, "- id: m01-purpose")
    replace_once(path, "- id: m01-purpose\n", "- id: m01-what-is-banfa\n")
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{second}: entry m01-what-is-banfa: id already used at {path}:{first}",
    )


def test_faq_yaml_syntax_error_names_file_and_line(corpus_dir):
    path = corpus_dir / "faq" / "measures-01-08.yaml"
    line = line_of(path, "- id: m01-purpose") + 1
    replace_once(path, "- id: m01-purpose\n  topic: 总则\n", "- id: m01-purpose\n  topic: 总则: 目的\n")
    only_defect(check_corpus(corpus_dir), f"{path}:{line}: YAML syntax error")


def test_quiz_support_not_verbatim(corpus_dir):
    def change(q):
        q["support"] = "防范、制止间谍行为，维护国家安定"

    path, line = edit_quiz_item(corpus_dir, "q-zj01-mudi", change)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: quiz item q-zj01-mudi: support 「防范、制止间谍行为，维护国家安定」 is not found verbatim "
        "in zhejiang-2019 第一条",
    )


def test_quiz_answer_index_out_of_range(corpus_dir):
    def change(q):
        q["answer"] = 4

    path, line = edit_quiz_item(corpus_dir, "q-zj01-mudi", change)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:{line}: quiz item q-zj01-mudi: answer 4 is not an index into its 4 options",
    )


def test_crossref_row_pointing_at_missing_2023_article(corpus_dir):
    path = corpus_dir / "crossrefs.yaml"
    replace_once(path, "    new: [{article: 70}]\n", "    new: [{article: 72}]\n")  # the row for old 39
    # crossref defects carry line 1: CrossRef keeps no source line (see the report)
    only_defect(
        check_corpus(corpus_dir),
        f"{path}:1: row old: 39: cites fanjiandiefa-2023 第七十二条, but that document has articles 1–71",
    )


def test_measures_article_covered_by_fewer_than_three_entries(corpus_dir):
    faq = corpus_dir / "faq"
    shutil.rmtree(faq)
    faq.mkdir()
    (faq / "small.yaml").write_text(
        "- id: only-one\n"
        "  topic: 总则\n"
        "  audience: [公众]\n"
        "  form: [what, why]\n"
        "  questions: [办法的目的是什么, 为什么要制定办法, 办法为何出台]\n"
        "  answer: 办法是「为了规范和加强反间谍安全防范工作」制定的。\n"
        "  gist: 为了做好反间谍安全防范工作。\n"
        "  answer_en: The Measures were made to improve counter-espionage security work.\n"
        "  gist_en: To do counter-espionage security work well.\n"
        "  citations:\n"
        "    - {doc_id: zhejiang-2019, article: 1}\n",
        encoding="utf-8",
    )
    defects = check_corpus(corpus_dir)
    assert len(defects) == 23, "\n".join(defects)  # one per article of the measures, nothing else
    only_defect(
        [d for d in defects if "第一条" in d],
        f"{faq}:1: zhejiang-2019 第一条 is cited by 1 FAQ entry; at least 3 are needed",
    )
    some_defect(defects, f"{faq}:1: zhejiang-2019 第二十三条 is cited by 0 FAQ entries; at least 3 are needed")


def test_cli_check_corpus_fails_on_broken_corpus(corpus_dir, capsys):
    from bot.cli import main

    path = corpus_dir / "channels.yaml"
    replace_once(path, "kind: hotline", "kind: phone")
    assert main(["check-corpus", "--corpus", str(corpus_dir)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: the channel list has no hotline" in err
    assert f"1 defect(s) in {corpus_dir}" in err


def test_cli_check_corpus_passes_on_real_corpus(capsys):
    from bot.cli import main

    assert main(["check-corpus", "--corpus", str(REAL_ROOT)]) == 0
    out, err = capsys.readouterr()
    assert "corpus OK: 6 documents, 268 articles" in out
    assert err == ""


def test_cli_check_corpus_on_a_folder_that_is_no_corpus(tmp_path, capsys):
    from bot.cli import main

    assert main(["check-corpus", "--corpus", str(tmp_path)]) == 1
    assert f"{tmp_path}: no documents/ folder here" in capsys.readouterr().err


# defects that once crashed check_corpus instead of being reported


def test_no_primary_document_is_reported_not_crashing(corpus_dir):
    meta = corpus_dir / "documents" / "zhejiang-2019.yaml"
    replace_once(meta, "primary: true", "primary: false")
    some_defect(check_corpus(corpus_dir), "exactly one document must be primary: true (found 0)")


def test_non_utf8_text_is_reported_not_crashing(corpus_dir):
    txt = corpus_dir / "documents" / "jubao-jiangli-2022.txt"
    txt.write_bytes(txt.read_bytes() + b"\xff\xfe")
    some_defect(check_corpus(corpus_dir), "jubao-jiangli-2022.txt")


# ================================================================ part 2: more rules, one record replaced in memory


def with_entry(entry_id: str, **changes) -> tuple[Corpus, str]:
    """The real corpus with one FAQ entry changed; and the "file:line: entry id" prefix of its defects."""
    old = BASE.faq_by_id[entry_id]
    new = replace(old, **changes)
    return replace(BASE, faq=[new if e is old else e for e in BASE.faq]), f"{old.source}: entry {new.id}"


def with_quiz(item_id: str, **changes) -> tuple[Corpus, str]:
    old = next(q for q in BASE.quiz if q.id == item_id)
    new = replace(old, **changes)
    return replace(BASE, quiz=[new if q is old else q for q in BASE.quiz]), f"{old.source}: quiz item {new.id}"


def with_doc(key: str, /, **changes) -> tuple[Corpus, str]:
    doc = BASE.documents[key]
    return replace(BASE, documents={**BASE.documents, key: replace(doc, **changes)}), str(doc.source)


def with_meta(doc_id: str, **meta_changes) -> tuple[Corpus, str]:
    meta = {**BASE.documents[doc_id].meta, **meta_changes}
    meta = {k: v for k, v in meta.items() if v is not None}
    return with_doc(doc_id, meta=meta, **({"status": meta_changes["status"]} if "status" in meta_changes else {}))


def test_the_checks_are_clean_on_the_unchanged_corpus():
    for check in (check_documents, check_faq, check_faq_english, check_channels, check_responses, check_intents, check_subjects, check_facts, check_glossary, check_crossrefs, check_quiz, check_coverage):
        assert check(BASE) == [], check.__name__


# documents


def test_other_law_text_differs_from_its_source():
    doc = BASE.documents["jubao-jiangli-2022"]
    corpus, _ = with_doc("jubao-jiangli-2022", text=doc.text.replace("国家安全", "国家安定", 1))
    txt = str(Path(doc.source.path).with_suffix(".txt"))
    only_defect(check_documents(corpus), f"{txt}:1: the legal text differs from its source")


def test_article_count_differs_from_metadata():
    corpus, _ = with_meta("fanjiandiefa-2023", articles=72)
    only_defect(check_documents(corpus), "fanjiandiefa-2023.txt:1: expected 72 articles, parsed 71")


def test_revised_document_without_superseded_by():
    corpus, src = with_meta("fanjiandiefa-2014", superseded_by=None)
    only_defect(check_documents(corpus), f"{src}: status 已修订 needs superseded_by")


def test_unknown_document_status():
    corpus, src = with_meta("jubao-jiangli-2022", status="有效")
    only_defect(check_documents(corpus), f"{src}: status '有效' is not one of")


def test_missing_metadata_field():
    corpus, src = with_meta("shishixize-2017", issuing_body="")
    only_defect(check_documents(corpus), f"{src}: metadata field 'issuing_body' is missing or empty")


def test_bad_effective_date():
    corpus, src = with_doc("shishixize-2017", effective="2017/11/22")
    only_defect(check_documents(corpus), f"{src}: effective date '2017/11/22' is not YYYY-MM-DD")


def test_two_primary_documents():
    corpus, _ = with_doc("jubao-jiangli-2022", primary=True)
    only_defect(check_documents(corpus), "documents:1: exactly one document must be primary: true (found 2)")


def test_doc_id_not_matching_file_name():
    corpus, src = with_doc("jubao-jiangli-2022", doc_id="jubao-2022")
    only_defect(check_documents(corpus), f"{src}: doc_id 'jubao-2022' does not match the file name 'jubao-jiangli-2022'")


# FAQ


def test_faq_citation_to_missing_item():
    cites = (*BASE.faq_by_id["m01-purpose"].citations, Citation("zhejiang-2019", 6, 1, 6))
    corpus, where = with_entry("m01-purpose", citations=cites)
    only_defect(check_faq(corpus), f"{where}: cites zhejiang-2019 第六条第一款第（六）项, but that paragraph has 5 item(s)")


def test_faq_citation_to_item_without_paragraph():
    corpus, where = with_entry("m01-purpose", citations=(Citation("zhejiang-2019", 6, None, 1),))
    only_defect(check_faq(corpus), f"{where}: cites an item of zhejiang-2019 第六条 without saying which paragraph")


def test_faq_citation_to_unknown_document():
    corpus, where = with_entry("m01-purpose", citations=(Citation("xinjiang-2020", 1),))
    only_defect(check_faq(corpus), f"{where}: cites unknown document 'xinjiang-2020'")


def test_faq_without_citations():
    corpus, where = with_entry("n-what-is-espionage", citations=())
    only_defect(check_faq(corpus), f"{where}: no citations")


def test_faq_quote_must_be_in_the_cited_paragraph():
    # the words are in 第十九条, but in its 第二款, not the cited 第一款
    corpus, where = with_entry(
        "m01-purpose", answer="办法写明「对举报的涉嫌间谍行为」。", citations=(Citation("zhejiang-2019", 19, 1),)
    )
    only_defect(check_faq(corpus), f"{where}: quote 「对举报的涉嫌间谍行为」 is not found verbatim", "第十九条第一款")
    corpus, _ = with_entry(
        "m01-purpose", answer="办法写明「对举报的涉嫌间谍行为」。", citations=(Citation("zhejiang-2019", 19, 2),)
    )
    assert check_faq(corpus) == []


def test_faq_quote_may_span_a_line_break_of_the_article():
    # 第六条第一款 is lead + items on separate lines; a quote running across them is still verbatim
    corpus, _ = with_entry(
        "m01-purpose", answer="「履行下列职责：（一）组织制定」", citations=(Citation("zhejiang-2019", 6, 1),)
    )
    assert check_faq(corpus) == []


def test_faq_empty_quote():
    corpus, where = with_entry("m01-purpose", answer=BASE.faq_by_id["m01-purpose"].answer + "「」")
    only_defect(check_faq(corpus), f"{where}: empty 「」 quote")


def test_faq_phrasing_repeated_within_one_entry():
    qs = BASE.faq_by_id["m01-purpose"].questions
    corpus, _ = with_entry("m01-purpose", questions=(*qs, qs[0] + "?"))
    only_defect(check_faq(corpus), f"phrasing '{qs[0]}?' appears twice in entry m01-purpose")


def test_faq_empty_phrasing():
    qs = BASE.faq_by_id["m01-purpose"].questions
    corpus, _ = with_entry("m01-purpose", questions=(*qs, ""))
    only_defect(check_faq(corpus), "entry m01-purpose: empty phrasing")


def test_faq_more_than_eight_chinese_or_four_english_phrasings():
    qs = [q for q in BASE.faq_by_id["m01-purpose"].questions if not q.isascii()]
    corpus, where = with_entry("m01-purpose", questions=(*qs, *(f"制定办法的第{i}个原因是什么" for i in range(1, 9 - len(qs) + 1))))
    only_defect(check_faq(corpus), f"{where}: has 9 Chinese phrasings; at most 8")
    corpus, where = with_entry("m01-purpose", questions=(*qs, *(f"Why were the measures made, reason {i}?" for i in range(1, 6))))
    only_defect(check_faq(corpus), f"{where}: has 5 English phrasings; at most 4")


def test_faq_eight_phrasings_and_160_characters_are_fine():
    qs = BASE.faq_by_id["m01-purpose"].questions
    corpus, _ = with_entry(
        "m01-purpose", questions=(*qs, *(f"制定办法的第{i}个原因是什么" for i in range(1, 8 - len(qs) + 1))), answer="防" * 160
    )
    assert check_faq(corpus) == []


def test_faq_missing_audience_and_topic():
    corpus, where = with_entry("m01-purpose", audience=(), topic="")
    defects = check_faq(corpus)
    assert len(defects) == 2, defects
    some_defect(defects, f"{where}: audience is missing")
    some_defect(defects, f"{where}: topic is missing")


def test_faq_badly_formed_id():
    corpus, where = with_entry("m01-purpose", id="M01_Purpose")
    only_defect(check_faq(corpus), f"{where}: id must be lowercase letters, digits and hyphens")


# channels


def test_channels_source_citing_missing_article():
    source = {"doc_id": "jubao-jiangli-2022", "article": 40, "__line__": 5}
    corpus = replace(BASE, channels_source={**BASE.channels_source, "source": source})
    only_defect(check_channels(corpus), "channels.yaml:5: cites jubao-jiangli-2022 第四十条, but that document has articles 1–24")


def test_channels_without_source():
    corpus = replace(BASE, channels_source={k: v for k, v in BASE.channels_source.items() if k != "source"})
    only_defect(check_channels(corpus), "channels.yaml:1: `source:` must cite the article")


def test_channels_backed_by_superseded_law():
    backed = [{"doc_id": "fanjiandiefa-2014", "article": 8, "__line__": 7}]
    corpus = replace(BASE, channels_source={**BASE.channels_source, "backed_by": backed})
    only_defect(check_channels(corpus), "channels.yaml:7: cites fanjiandiefa-2014 (已修订) as if current")


# quiz


def test_quiz_negative_answer_index():
    corpus, where = with_quiz("q-zj01-mudi", answer=-1)
    only_defect(check_quiz(corpus), f"{where}: answer -1 is not an index into its 4 options")


def test_quiz_missing_support():
    corpus, where = with_quiz("q-zj01-mudi", support="")
    only_defect(check_quiz(corpus), f"{where}: `support:` must quote")


def test_quiz_support_must_be_in_the_cited_paragraph():
    corpus, where = with_quiz("q-zj02-fanwei", support="国家和省对反间谍技术防范工作有专门规定的")  # 第二条第三款
    only_defect(check_quiz(corpus), f"{where}: support 「国家和省对反间谍技术防范工作有专门规定的」 is not found verbatim "
                "in zhejiang-2019 第二条第一款")


def test_quiz_judge_item_with_wrong_options():
    corpus, where = with_quiz("q-zj01-yiju", options=("对", "错"))
    only_defect(check_quiz(corpus), f"{where}: a judge item has exactly the options [正确, 错误]")


@pytest.mark.parametrize("options", [("甲", "乙"), ("甲", "乙", "丙", "丁", "戊")])
def test_quiz_choice_item_with_wrong_number_of_options(options):
    corpus, where = with_quiz("q-zj01-mudi", options=options, answer=0)
    only_defect(check_quiz(corpus), f"{where}: a choice item has 3 or 4 options")


def test_quiz_right_option_guessable_by_its_length():
    corpus, where = with_quiz("q-zj01-mudi", options=("市场秩序", "交通安全", "维护国家安全和利益", "网络秩序"), answer=2)
    only_defect(check_quiz(corpus), f"{where}: the right option is the longest by 4 or more characters")
    corpus, _ = with_quiz("q-zj01-mudi", options=("市场秩序", "交通安全", "维护国家安全", "网络秩序"), answer=2)
    assert check_quiz(corpus) == []


def test_quiz_repeated_option():
    corpus, where = with_quiz("q-zj01-mudi", options=("市场秩序", "市场秩序", "国家安全", "交通安全"))
    only_defect(check_quiz(corpus), f"{where}: repeated option")


def test_quiz_unknown_kind_and_audience():
    corpus, where = with_quiz("q-zj01-mudi", kind="essay", audience=("小学生",))
    defects = check_quiz(corpus)
    assert len(defects) == 2, defects
    some_defect(defects, f"{where}: kind must be choice or judge")
    some_defect(defects, f"{where}: unknown audience '小学生'")


def test_quiz_citing_superseded_law():
    corpus, where = with_quiz("q-zj01-mudi", citation=Citation("fanjiandiefa-2014", 1))
    only_defect(check_quiz(corpus), f"{where}: cites fanjiandiefa-2014 (已修订) as if current")


def test_quiz_duplicate_id_and_question():
    first = BASE.quiz[0]
    dup = replace(BASE.quiz[1], id=first.id, question=first.question + "？")
    corpus = replace(BASE, quiz=[first, dup, *BASE.quiz[2:]])
    defects = check_quiz(corpus)
    assert len(defects) == 2, defects
    some_defect(defects, f"{dup.source}: quiz item {first.id}: id already used")
    some_defect(defects, f"{dup.source}: quiz item {first.id}: the same question is asked by another item")


# cross-references


def test_crossref_row_for_missing_2014_article():
    corpus = replace(BASE, crossrefs={**BASE.crossrefs, 41: CrossRef(41, (Citation("fanjiandiefa-2023", 1),))})
    only_defect(check_crossrefs(corpus), "crossrefs.yaml:1: row old: 41 is not an article of fanjiandiefa-2014")


def test_old_number_cited_by_a_text_without_crossref_row():
    corpus = replace(BASE, crossrefs={k: v for k, v in BASE.crossrefs.items() if k != 39})
    art = BASE.documents["shishixize-2017"].article(8)
    only_defect(
        check_crossrefs(corpus),
        f"{art.source}: shishixize-2017 第八条 cites 《反间谍法》 (2014) article 39, which has no row in crossrefs.yaml",
    )
    assert Path(art.source.path).name == "shishixize-2017.txt"


# coverage


def test_no_faq_entries_at_all():
    only_defect(check_coverage(replace(BASE, faq=[])), f"{REAL_ROOT / 'faq'}:1: no FAQ entries found")


def test_coverage_counts_an_entry_once_per_article():
    # an entry citing two paragraphs of the same article counts once for that article
    entry = BASE.faq_by_id["m01-purpose"]
    twice = replace(entry, id="x", citations=(Citation("zhejiang-2019", 2, 1), Citation("zhejiang-2019", 2, 2)))
    from bot.check import coverage

    before = coverage(BASE)[2]
    assert coverage(replace(BASE, faq=[*BASE.faq, twice]))[2] == before + 1


# report citations and the English glossary


def test_report_citation_to_missing_article_is_reported(corpus_dir):
    path = corpus_dir / "responses.yaml"
    replace_once(path, "{doc_id: fanjiandiefa-2023, article: 16}", "{doc_id: fanjiandiefa-2023, article: 99}")
    line = line_of(path, "- {doc_id: fanjiandiefa-2023, article: 99}")
    assert any(d.startswith(f"{path}:{line}:") and "第九十九条" in d for d in check_corpus(corpus_dir))


def test_a_typo_in_a_reply_field_is_reported_not_left_for_a_visitor(corpus_dir):
    path = corpus_dir / "responses.yaml"
    line = line_starting(path, "goodbye:")
    replace_once(path, "goodbye: 再见！如果发现可疑情况，请记得拨打{hotline}", "goodbye: 再见！如果发现可疑情况，请记得拨打{hotlne}")
    assert any(d.startswith(f"{path}:{line}:") and "{hotlne}" in d for d in check_corpus(corpus_dir))


def test_a_typo_in_a_report_step_field_is_reported(corpus_dir):
    path = corpus_dir / "responses.yaml"
    text = path.read_text(encoding="utf-8")
    old = next(line for line in text.splitlines() if line.strip().startswith("- ") and "{website}" in line and text.count(line) == 1)
    replace_once(path, old, old.replace("{website}", "{web_site}"))
    assert any("responses.yaml" in d and "{web_site}" in d and "report_steps" in d for d in check_corpus(corpus_dir))


def test_a_missing_reply_is_reported(corpus_dir):
    path = corpus_dir / "responses.yaml"
    data = load_yaml(path)
    del data["sensitive"]
    dump_yaml(path, data)
    assert any("reply 'sensitive' is missing" in d for d in check_corpus(corpus_dir))


def test_an_unknown_reply_is_reported(corpus_dir):
    path = corpus_dir / "responses.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\ngreting: 你好\n", encoding="utf-8")
    assert any("unknown reply 'greting'" in d for d in check_corpus(corpus_dir))


def test_a_misspelt_intent_label_is_reported_not_silently_dropped(corpus_dir):
    path = corpus_dir / "intents.yaml"
    line = line_starting(path, "out_of_scope:")
    replace_once(path, "\nout_of_scope:", "\nout_of_scop:")
    defects = check_corpus(corpus_dir)
    assert any(d.startswith(f"{path}:{line}:") and "unknown label 'out_of_scop'" in d for d in defects)
    assert any("label 'out_of_scope' has 0 phrasing(s)" in d for d in defects)


def test_an_intent_phrasing_under_two_labels_is_reported():
    text = BASE.intents["report"][0]
    corpus = replace(BASE, intents={**BASE.intents, "question": (*BASE.intents["question"], text)})
    assert any(repr(text) in d and "'report'" in d and "'question'" in d for d in check_intents(corpus))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.pop("form"), "form is missing"),
        (lambda e: e.update(form=["yesno", "whatever"]), "unknown form 'whatever'"),
        (lambda e: e.update(form=["what"], verdict="算。"), "has a verdict but its form does not include yesno"),
        (lambda e: e.update(form=["yesno"], verdict="算，只要对方是境外组织就一定算。"), "must be a short sentence"),
        (lambda e: e.update(answer="算。" + e["answer"]), "answer starts with a yes/no verdict"),
        (lambda e: e.update(coverage="partly"), "coverage 'partly' must be full (the default) or partial"),
        (lambda e: e.pop("gist"), "gist is missing"),
        (lambda e: e.update(gist="「" + e["gist"] + "」"), "without 「」 quotes"),
    ],
)
def test_faq_form_verdict_and_gist_rules(corpus_dir, change, message):
    path, line = edit_faq_entry(corpus_dir, "m19-how-to-report", change)
    assert any(d.startswith(f"{path}:{line}:") and message in d for d in check_corpus(corpus_dir))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e.english.pop("answer"), "answer_en is missing"),
        (lambda e: e.english.update(answer=e.english["answer"] + " See Article 99 of the Measures."), "names Article 99, which the entry does not cite"),
        (lambda e: e.english.update(answer=e.english["answer"].replace("12339", "12345")), "lacks the number(s) [12339]"),
        (lambda e: e.english.update(verdict="Yes."), "verdict_en has no Chinese verdict"),
    ],
)
def test_faq_english_rules(change, message):
    entry = replace(BASE.faq_by_id["m19-how-to-report"], english=dict(BASE.faq_by_id["m19-how-to-report"].english))
    assert "12339" in entry.answer and not entry.verdict
    change(entry)
    corpus = replace(BASE, faq=[entry if e.id == entry.id else e for e in BASE.faq])
    assert any(message in d for d in check_faq_english(corpus)), check_faq_english(corpus)


def test_english_dates_must_be_the_chinese_ones():
    entry = next(e for e in BASE.faq if "11月1日" in e.answer)
    wrong = replace(entry, english={**entry.english, "answer": entry.english["answer"].replace("1 November", "11 January")})
    corpus = replace(BASE, faq=[wrong if e.id == entry.id else e for e in BASE.faq])
    assert any("dates" in d and entry.id in d for d in check_faq_english(corpus))


def test_a_fact_whose_value_its_article_does_not_state_is_reported(corpus_dir):
    path = corpus_dir / "facts.yaml"
    replace_once(path, "values: [11月1日,", "values: [11月2日,")
    replace_once(path, "statement: 每年11月1日", "statement: 每年11月2日")
    assert any("fact campaign-day" in d and "'11月2日' does not occur" in d for d in check_corpus(corpus_dir))


def test_a_word_under_two_subjects_is_reported(corpus_dir):
    path = corpus_dir / "subjects.yaml"
    replace_once(path, "words: [学生,", "words: [公司, 学生,")
    assert any("subjects.yaml" in d and "'公司' is listed under" in d for d in check_corpus(corpus_dir))


def test_a_liable_as_that_is_no_subject_is_reported(corpus_dir):
    replace_once(corpus_dir / "subjects.yaml", "liable_as: 公务员", "liable_as: 市民们")
    assert any("liable_as '市民们' is not a subject" in d for d in check_corpus(corpus_dir))


def test_liability_articles_the_text_does_not_have_are_reported(corpus_dir):
    replace_once(corpus_dir / "documents" / "zhejiang-2019.yaml", "liability_articles: [20, 21, 22]", "liability_articles: [20, 21, 99]")
    assert any("liability_articles [20, 21, 99]" in d for d in check_corpus(corpus_dir))


def test_glossary_term_not_in_the_texts():
    corpus = replace(BASE, glossary={**BASE.glossary, "反间谍超级大队": ["super squad"]})
    assert any("反间谍超级大队" in d and "none of the current documents" in d for d in check_glossary(corpus))


def test_glossary_wording_under_two_terms():
    corpus = replace(BASE, glossary={"施行": ["take effect"], "举报": ["report", "take effect"]})
    assert any("'take effect' is listed under both" in d for d in check_glossary(corpus))
