"""A per-instance cache for the view's methods.

`functools.lru_cache` on a method keeps its results in one cache per function, keyed by the
instance: every view ever built stays alive until its entries are pushed out.  A view is
replaced whole after each load, so its caches must go with it: `memo` keeps them in the
instance's own dict, bounded by entries.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])


def memo(maxsize: int) -> Callable[[F], F]:
    """Cache a method's results on its instance, at most `maxsize` (the oldest go first)."""

    def wrap(fn: F) -> F:
        slot = f"_memo_{fn.__name__}"

        @functools.wraps(fn)
        def inner(self: Any, *args: Any, **kwargs: Any) -> Any:
            cache: dict[Any, Any] | None = self.__dict__.get(slot)
            if cache is None:
                cache = self.__dict__[slot] = {}
            key = (args, tuple(sorted(kwargs.items()))) if kwargs else args
            try:
                return cache[key]
            except KeyError:
                pass
            value = fn(self, *args, **kwargs)
            if len(cache) >= maxsize:
                cache.pop(next(iter(cache)), None)
            cache[key] = value
            return value

        return cast(F, inner)

    return wrap
