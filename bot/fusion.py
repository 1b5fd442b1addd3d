"""Score fusion: one pure function combining several scored rankings into one."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


def fuse(scores: Mapping[str, Mapping[K, float]], weights: Mapping[str, float]) -> list[tuple[K, float]]:
    """Convex fusion of min-max-normalised scores, best first (ties broken by key text for determinism).

    Each source's scores are scaled to [0, 1] over its own candidates (a source with a single distinct score
    gives 1 to its candidates), weighted, and summed; a candidate a source does not score gets 0 from it.
    The result is in [0, sum of weights].
    """
    total: dict[K, float] = {}
    for source, ranked in scores.items():
        weight = weights.get(source, 0.0)
        if weight <= 0 or not ranked:
            continue
        lo, hi = min(ranked.values()), max(ranked.values())
        span = hi - lo
        for key, value in ranked.items():
            norm = (value - lo) / span if span > 0 else 1.0
            total[key] = total.get(key, 0.0) + weight * norm
        for key in ranked:
            total.setdefault(key, 0.0)
    return sorted(total.items(), key=lambda kv: (-kv[1], str(kv[0])))
