"""The corpus layer: Chinese numerals, the 章/条/款/项 parser and the real bundled corpus."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from bot.corpus import (
    DEFAULT_CORPUS_DIR,
    Citation,
    Corpus,
    CrossRef,
    corpus_version,
    load_corpus,
    parse_articles,
)
from bot.numerals import article_label, cn_to_int, int_to_cn, item_label, paragraph_label, parse_number

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "zhejiang-fanjiandie-fangfan-banfa-2019.txt"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


# ================================================================ numerals


@pytest.mark.parametrize(
    ("text", "number"),
    [("一", 1), ("十", 10), ("十九", 19), ("二十", 20), ("二十三", 23), ("八十四", 84), ("一百", 100),
     ("一百零一", 101), ("一百一十", 110), ("一百二十三", 123), ("两百", 200)],
)
def test_cn_to_int_known_values(text, number):
    assert cn_to_int(text) == number


@pytest.mark.parametrize(
    ("number", "text"),
    [(1, "一"), (10, "十"), (19, "十九"), (23, "二十三"), (84, "八十四"), (100, "一百"), (101, "一百零一"),
     (110, "一百一十"), (200, "二百"), (1001, "一千零一"), (1010, "一千零一十")],
)
def test_int_to_cn_writes_numerals_the_way_laws_do(number, text):
    assert int_to_cn(number) == text


def test_numeral_round_trip_1_to_200_exhaustive():
    for n in range(1, 201):
        assert cn_to_int(int_to_cn(n)) == n, (n, int_to_cn(n))


@given(st.integers(min_value=1, max_value=9999))
def test_numeral_round_trip_property(n):
    text = int_to_cn(n)
    assert cn_to_int(text) == n
    assert not text.startswith("一十")  # 十九, never 一十九


@pytest.mark.parametrize("bad", ["", "abc", "19", "十a", "二十三条", "一二", " 十九", "第十九"])
def test_cn_to_int_rejects_non_numerals(bad):
    with pytest.raises(ValueError):
        cn_to_int(bad)


@pytest.mark.parametrize("bad", [0, -1, 10000])
def test_int_to_cn_rejects_out_of_range(bad):
    with pytest.raises(ValueError):
        int_to_cn(bad)


@pytest.mark.parametrize(("text", "number"), [("19", 19), ("十九", 19), (" 19 ", 19), ("１９", 19), ("二十三", 23)])
def test_parse_number_accepts_arabic_and_chinese(text, number):
    assert parse_number(text) == number


def test_parse_number_rejects_garbage():
    with pytest.raises(ValueError):
        parse_number("十九条")


def test_labels():
    assert article_label(23) == "第二十三条"
    assert article_label(19) == "第十九条"
    assert paragraph_label(2) == "第二款"
    assert item_label(3) == "第（三）项"


# ================================================================ the real corpus


@pytest.mark.parametrize(
    ("doc_id", "count"),
    [("zhejiang-2019", 23), ("fanjiandiefa-2023", 71), ("fanjiandiefa-2014", 40), ("shishixize-2017", 26),
     ("guojiaanquanfa-2015", 84), ("jubao-jiangli-2022", 24)],
)
def test_real_corpus_article_counts(corpus, doc_id, count):
    doc = corpus.documents[doc_id]
    assert len(doc.articles) == count
    assert [a.number for a in doc.articles] == list(range(1, count + 1))
    assert doc.meta["articles"] == count


def test_real_corpus_has_exactly_the_six_documents_and_no_problems(corpus):
    assert set(corpus.documents) == {
        "zhejiang-2019", "fanjiandiefa-2023", "fanjiandiefa-2014", "shishixize-2017", "guojiaanquanfa-2015",
        "jubao-jiangli-2022",
    }
    assert corpus.problems == []


def test_primary_document_is_the_zhejiang_measures(corpus):
    assert corpus.primary.doc_id == "zhejiang-2019"
    assert corpus.primary.is_current
    assert [d.doc_id for d in corpus.documents.values() if d.primary] == ["zhejiang-2019"]


def test_superseded_2014_law_is_not_current(corpus):
    assert not corpus.documents["fanjiandiefa-2014"].is_current
    assert corpus.documents["fanjiandiefa-2023"].is_current


def test_measures_article_6_has_two_paragraphs_and_five_items(corpus):
    art = corpus.primary.article(6)
    assert len(art.paragraphs) == 2
    first, second = art.paragraphs
    assert first.lead.startswith("国家安全机关依法对反间谍安全防范工作实施协调和指导")
    assert len(first.items) == 5
    assert first.items[0].startswith("（一）组织制定反间谍安全防范工作指导规范")
    assert first.items[4].startswith("（五）")
    assert second.items == ()
    assert second.lead.startswith("国家安全机关因反间谍安全防范工作需要")


def test_measures_article_19_paragraph_2_text(corpus):
    para = corpus.primary.article(19).paragraph(2)
    assert para.text.startswith("对举报的涉嫌间谍行为")
    assert corpus.primary.article(19).paragraph(99) is None
    assert corpus.primary.article(19).paragraph(0) is None


def test_stable_ids_and_labels(corpus):
    art = corpus.primary.article(19)
    assert art.id == "zhejiang-2019/19"
    assert art.label == "第十九条"
    assert art.paragraph(2).id == "zhejiang-2019/19/2"
    assert art.paragraph(2).label == "第二款"
    assert corpus.article("zhejiang-2019", 19) is art
    assert corpus.article("zhejiang-2019", 24) is None
    assert corpus.article("no-such-doc", 1) is None
    assert Citation("zhejiang-2019", 6, 1, 3).label == "第六条第一款第（三）项"
    assert Citation("zhejiang-2019", 19).label == "第十九条"


def test_article_source_points_at_its_line(corpus):
    art = corpus.primary.article(1)
    assert art.source.path.endswith("zhejiang-2019.txt")
    lines = corpus.primary.text.splitlines()
    assert lines[art.source.line - 1].startswith("第一条")
    art19 = corpus.primary.article(19)
    assert lines[art19.source.line - 1].startswith("第十九条")


def test_measures_text_equals_the_seed_byte_for_byte(corpus):
    if not SEED.exists():
        pytest.skip(f"seed text not present at {SEED}")
    ours = (corpus.root / "documents" / "zhejiang-2019.txt").read_bytes()
    assert ours == SEED.read_bytes()
    assert corpus.primary.text.encode("utf-8") == SEED.read_bytes()


def test_national_security_law_chapters_and_sections(corpus):
    doc = corpus.documents["guojiaanquanfa-2015"]
    # the text opens with a table of contents repeating the headings: article 1 must get the real chapter
    assert doc.article(1).chapter == "第一章 总则"
    assert doc.article(1).section == ""
    in_ch4_s2 = [a for a in doc.articles if a.chapter == "第四章 国家安全制度" and a.section == "第二节 情报信息"]
    assert in_ch4_s2, "no article parsed into 第四章 第二节"
    assert doc.article(51) in in_ch4_s2
    # a new chapter resets the section
    first_of_ch5 = next(a for a in doc.articles if a.chapter.startswith("第五章"))
    assert first_of_ch5.section == ""
    chapters = list(dict.fromkeys(a.chapter for a in doc.articles))
    assert [c.split()[0] for c in chapters] == ["第一章", "第二章", "第三章", "第四章", "第五章", "第六章", "第七章"]


def test_resolve_article_paragraph_and_item(corpus):
    art6 = corpus.primary.article(6)
    assert corpus.resolve(Citation("zhejiang-2019", 6)) == art6.text
    assert corpus.resolve(Citation("zhejiang-2019", 6, 1)) == art6.paragraphs[0].text
    assert "（五）" in corpus.resolve(Citation("zhejiang-2019", 6, 1))
    assert corpus.resolve(Citation("zhejiang-2019", 6, 1, 3)).startswith("（三）定期分析反间谍安全防范形势")
    assert corpus.resolve(Citation("zhejiang-2019", 19, 2)).startswith("对举报的涉嫌间谍行为")


def test_an_item_is_quoted_with_its_paragraphs_lead(corpus):
    """What an answer shows of a 项 (and what its coverage is judged by): 第六条's 协调和指导 is in the lead."""
    lead = corpus.primary.article(6).paragraphs[0].lead
    item = Citation("zhejiang-2019", 6, 1, 3)
    assert "协调和指导" in lead and corpus.quoted(item) == f"{lead}\n{corpus.resolve(item)}"
    assert corpus.quoted(Citation("zhejiang-2019", 6, 1)) == corpus.resolve(Citation("zhejiang-2019", 6, 1))
    assert corpus.quoted(Citation("zhejiang-2019", 6, 1, 6)) is None


@pytest.mark.parametrize(
    "citation",
    [Citation("zhejiang-2019", 24), Citation("zhejiang-2019", 6, 3), Citation("zhejiang-2019", 6, 1, 6),
     Citation("zhejiang-2019", 6, 1, 0), Citation("zhejiang-2019", 6, 2, 1), Citation("nope", 1)],
)
def test_resolve_returns_none_for_missing_targets(corpus, citation):
    assert corpus.resolve(citation) is None


def test_article_text_joins_paragraphs_and_items_one_per_line(corpus):
    art6 = corpus.primary.article(6)
    lines = art6.text.split("\n")
    assert len(lines) == 1 + 5 + 1
    assert lines[1].startswith("（一）")


def test_implementing_rules_old_law_refs(corpus):
    doc = corpus.documents["shishixize-2017"]
    refs = {a.number: doc.old_law_refs(a.number) for a in doc.articles if doc.old_law_refs(a.number)}
    assert refs == {8: [39], 10: [8], 16: [7], 17: [24], 18: [25], 20: [27], 21: [29], 22: [30], 23: [30]}


def test_old_law_refs_only_for_documents_citing_old_numbering(corpus):
    # the measures name 《中华人民共和国反间谍法》 but never by 2014 article number
    zj = corpus.primary
    assert not zj.meta.get("cites_old_numbering")
    assert all(zj.old_law_refs(a.number) == [] for a in zj.articles)
    assert corpus.documents["shishixize-2017"].old_law_refs(999) == []


def test_current_counterparts_follow_crossrefs_yaml(corpus):
    raw = yaml.safe_load((corpus.root / "crossrefs.yaml").read_text(encoding="utf-8"))
    row39 = next(r for r in raw["map"] if r["old"] == 39)
    pairs = corpus.current_counterparts("shishixize-2017", 8)
    assert len(pairs) == 1
    old, ref = pairs[0]
    assert old == 39
    assert isinstance(ref, CrossRef) and ref.old == 39
    assert [c.article for c in ref.new] == [n["article"] for n in row39["new"]] == [70]
    assert all(c.doc_id == "fanjiandiefa-2023" for c in ref.new)
    assert corpus.resolve(ref.new[0]) is not None
    assert corpus.current_counterparts("zhejiang-2019", 1) == []
    assert corpus.current_counterparts("no-such-doc", 1) == []


def test_every_2014_article_has_a_crossref_row(corpus):
    assert sorted(corpus.crossrefs) == list(range(1, 41))


def test_corpus_version_is_content_hash(tmp_path):
    copy = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, copy)
    before = corpus_version(copy)
    assert before == corpus_version(DEFAULT_CORPUS_DIR)  # independent of where the corpus lives
    path = copy / "synonyms.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment\n", encoding="utf-8")
    changed = corpus_version(copy)
    assert changed != before
    faq = copy / "faq" / "extra.yaml"
    faq.write_text("[]\n", encoding="utf-8")
    assert corpus_version(copy) != changed  # a new file counts too


def test_corpus_version_ignores_non_data_files(tmp_path):
    copy = tmp_path / "corpus"
    shutil.copytree(DEFAULT_CORPUS_DIR, copy)
    before = corpus_version(copy)
    (copy / "notes.md").write_text("scratch", encoding="utf-8")
    assert corpus_version(copy) == before


def test_faq_entries_and_quiz_loaded_with_sources(corpus):
    assert len(corpus.faq) > 0 and len(corpus.quiz) > 0
    entry = corpus.faq_by_id["m01-purpose"]
    assert entry.source.path.endswith("measures-01-08.yaml")
    lines = Path(entry.source.path).read_text(encoding="utf-8").splitlines()
    assert lines[entry.source.line - 1].strip() == "- id: m01-purpose"
    assert len(entry.question_lines) == len(entry.questions)
    for q, line in zip(entry.questions, entry.question_lines):
        assert lines[line - 1].strip() == f"- {q}"
    assert entry.citations == (Citation("zhejiang-2019", 1),)


def test_channels_loaded_with_hotline(corpus):
    kinds = [c.kind for c in corpus.channels]
    assert "hotline" in kinds
    assert next(c for c in corpus.channels if c.kind == "hotline").value == "12339"


# ================================================================ parse_articles on synthetic texts


def _parse(text: str, path: str = "t.txt"):
    return parse_articles("t", text, path)


def test_parse_half_width_space_after_article_number():
    arts, problems = _parse("第一条 甲。\n第二条 乙。\n")
    assert problems == []
    assert [a.number for a in arts] == [1, 2]
    assert [a.paragraphs[0].lead for a in arts] == ["甲。", "乙。"]
    assert arts[1].id == "t/2"


def test_parse_full_width_space_after_article_number():
    arts, problems = _parse("第一条\u3000甲。\n第二条\u3000\u3000乙。\n")
    assert problems == []
    assert [a.text for a in arts] == ["甲。", "乙。"]


def test_parse_article_number_without_space_is_body_text_not_a_new_article():
    # a paragraph may begin with a cross-reference such as 第二条规定的…
    arts, problems = _parse("第一条 甲。\n第二条规定的情形除外。\n")
    assert problems == []
    assert len(arts) == 1
    assert [p.lead for p in arts[0].paragraphs] == ["甲。", "第二条规定的情形除外。"]


def test_parse_markdown_headings_and_squeezed_names():
    text = "# 某法\n\n## 第一章 总 则\n\n第一条 甲。\n\n## 第二章　分　　则\n### 第一节 一般规定\n第二条 乙。\n"
    arts, problems = _parse(text)
    assert problems == []
    assert arts[0].chapter == "第一章 总则"
    assert arts[0].section == ""
    assert arts[1].chapter == "第二章 分则"
    assert arts[1].section == "第一节 一般规定"


def test_parse_table_of_contents_before_first_article():
    text = (
        "某某法\n\n（2015年通过）\n\n目　　录\n\n第一章　总则\n第二章　制度\n第一节　一般规定\n第二节　情报信息\n"
        "第三章　附则\n第一节　杂项\n\n"
        "第一章　总　　则\n\n第一条　甲。\n\n第二章　制　　度\n\n第一节　一般规定\n\n第二条　乙。\n\n第三章　附　　则\n\n第三条　丙。\n"
    )
    arts, problems = _parse(text)
    assert problems == []
    assert [a.number for a in arts] == [1, 2, 3]
    assert (arts[0].chapter, arts[0].section) == ("第一章 总则", "")
    assert (arts[1].chapter, arts[1].section) == ("第二章 制度", "第一节 一般规定")
    assert (arts[2].chapter, arts[2].section) == ("第三章 附则", "")
    assert all("目" not in a.text for a in arts)


def test_parse_items_with_full_and_half_width_brackets():
    text = "第一条 职责如下：\n（一）甲；\n(二)乙；\n  （三）丙。  \n另一款。\n"
    arts, problems = _parse(text)
    assert problems == []
    (art,) = arts
    assert len(art.paragraphs) == 2
    first, second = art.paragraphs
    assert first.lead == "职责如下："
    assert first.items == ("（一）甲；", "(二)乙；", "（三）丙。")
    assert first.text == "职责如下：\n（一）甲；\n(二)乙；\n（三）丙。"
    assert (second.lead, second.items, second.number) == ("另一款。", (), 2)


def test_parse_article_text_starting_on_next_line():
    arts, problems = _parse("第一条\n甲。\n\n乙。\n第二条\n丙。\n")
    assert problems == []
    assert [p.lead for p in arts[0].paragraphs] == ["甲。", "乙。"]
    assert [p.lead for p in arts[1].paragraphs] == ["丙。"]
    assert arts[0].paragraphs[1].id == "t/1/2"


def test_parse_ignores_title_and_preamble_and_blank_lines():
    arts, problems = _parse("标题\n\n（某某令  第1号）\n\n第一条 甲。\n\n\n乙。\n")
    assert problems == []
    assert len(arts) == 1
    assert arts[0].text == "甲。\n乙。"
    assert arts[0].source.line == 5


def test_parse_gap_in_numbering_reports_file_and_line():
    arts, problems = _parse("标题\n\n第一条 甲。\n第三条 丙。\n", path="docs/g.txt")
    assert [a.number for a in arts] == [1, 3]
    assert len(problems) == 1
    assert "gap" in problems[0]
    assert problems[0].startswith("docs/g.txt:4:")
    assert "第三条" in problems[0] and "第二条" in problems[0]


def test_parse_repeat_in_numbering_reports_file_and_line():
    arts, problems = _parse("第一条 甲。\n第二条 乙。\n\n第二条 丙。\n", path="r.txt")
    assert [a.number for a in arts] == [1, 2, 2]
    assert len(problems) == 1
    assert "repeat" in problems[0]
    assert problems[0].startswith("r.txt:4:")


def test_parse_first_article_not_first_is_a_gap():
    _, problems = _parse("第二条 乙。\n", path="s.txt")
    assert len(problems) == 1
    assert "gap" in problems[0] and problems[0].startswith("s.txt:1:")


def test_parse_empty_text():
    assert _parse("") == ([], [])
