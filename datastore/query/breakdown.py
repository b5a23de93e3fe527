"""An area's month from its rows of a crime matrix (a ward's or a borough's)."""

from __future__ import annotations

import numpy as np

from datastore.query.models import MonthTotal


def breakdown(
    keys: list[tuple[str, str]], block: np.ndarray, months: tuple[int, ...], col: int
) -> tuple[int, MonthTotal | None, dict[str, int], dict[str, dict[str, int]]]:
    """An area's month from its rows of a crime matrix: total, the month before, and counts
    by major and minor type (largest first)."""
    by_minor: dict[str, dict[str, int]] = {}
    for (major, minor), count in zip(keys, block[:, col], strict=True):
        if count:
            by_minor.setdefault(major, {})[minor] = int(count)
    by_major = {k: sum(v.values()) for k, v in by_minor.items()}
    previous = MonthTotal(months[col - 1], int(block[:, col - 1].sum())) if col > 0 else None
    return (
        int(block[:, col].sum()),
        previous,
        dict(sorted(by_major.items(), key=lambda kv: (-kv[1], kv[0]))),
        {k: dict(sorted(v.items(), key=lambda kv: (-kv[1], kv[0])))
         for k, v in sorted(by_minor.items(), key=lambda kv: -by_major[kv[0]])},
    )
