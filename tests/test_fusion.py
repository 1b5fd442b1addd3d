"""Properties of the one fusion function."""

from hypothesis import given
from hypothesis import strategies as st

from bot.fusion import fuse

scores = st.dictionaries(st.text(min_size=1, max_size=4), st.floats(-100, 100, allow_nan=False), max_size=20)
WEIGHTS = {"a": 0.4, "b": 0.6}


@given(scores, scores)
def test_fused_scores_are_sorted_bounded_and_cover_every_candidate(a, b):
    fused = fuse({"a": a, "b": b}, WEIGHTS)
    values = [v for _, v in fused]
    assert values == sorted(values, reverse=True)
    assert all(-1e-9 <= v <= sum(WEIGHTS.values()) + 1e-9 for v in values)
    assert {k for k, _ in fused} == set(a) | set(b)


@given(scores, scores)
def test_fusion_does_not_depend_on_input_order(a, b):
    forward = fuse({"a": a, "b": b}, WEIGHTS)
    reverse = fuse({"b": dict(reversed(list(b.items()))), "a": dict(reversed(list(a.items())))}, WEIGHTS)
    assert [k for k, _ in forward] == [k for k, _ in reverse]


@given(scores)
def test_a_candidate_best_in_every_source_ranks_first(a):
    a = {k: v for k, v in a.items() if k != "top"}
    b = dict(a)
    top = max(a.values(), default=0) + 1
    a["top"], b["top"] = top, top
    assert fuse({"a": a, "b": b}, WEIGHTS)[0][0] == "top"


@given(scores, scores)
def test_a_source_with_zero_weight_changes_nothing(a, b):
    alone = fuse({"a": a}, {"a": 1.0})
    with_ignored = [(k, v) for k, v in fuse({"a": a, "b": b}, {"a": 1.0, "b": 0.0}) if k in a]
    assert alone == with_ignored
