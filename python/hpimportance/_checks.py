"""Checks of the arguments the forest-based methods share, with messages that name them."""

from __future__ import annotations

import operator
from typing import NamedTuple


MAX_SEED = 2**64 - 1
# More trees than this is a typo, not a wish: a million trees take hours on 1,000 trials.
MAX_TREES = 1_000_000
# No tree is deeper than its rows are many, so larger depths mean "unlimited" and are capped.
UNLIMITED_DEPTH = 2**32


def check_count(name: str, value: object) -> int:
    """``value`` as a positive integer, or a ``TypeError``/``ValueError`` naming ``name``."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a positive integer, got {value!r}.")
    try:
        number = operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"{name} must be a positive integer, got {value!r}.") from None
    if number < 1:
        raise ValueError(f"{name} must be at least 1, got {number}.")
    return number


def check_seed(seed: object) -> int | None:
    if seed is None:
        return None
    try:
        if isinstance(seed, bool):
            raise TypeError
        number = operator.index(seed)  # type: ignore[arg-type]
    except TypeError:
        raise TypeError(f"seed must be an integer or None, got {seed!r}.") from None
    if not 0 <= number <= MAX_SEED:
        raise ValueError(f"seed must be in [0, 2**64 - 1], got {number}.")
    return number


class ForestSettings(NamedTuple):
    """Checked settings of a random forest."""

    n_trees: int
    max_depth: int
    seed: int | None
    n_threads: int | None


def check_forest_settings(
    n_trees: object, max_depth: object, seed: object, n_threads: object
) -> ForestSettings:
    """The forest settings as checked numbers, or a ``TypeError``/``ValueError`` naming one.

    ``n_trees`` may be at most :data:`MAX_TREES`; ``max_depth`` is capped at
    :data:`UNLIMITED_DEPTH` and ``n_threads`` at ``n_trees``, beyond which they change nothing.
    """
    trees = check_count("n_trees", n_trees)
    if trees > MAX_TREES:
        raise ValueError(f"n_trees must be at most {MAX_TREES:,}, got {trees}.")
    depth = min(check_count("max_depth", max_depth), UNLIMITED_DEPTH)
    checked_seed = check_seed(seed)
    # Threads beyond one per tree would have nothing to do.
    threads = None if n_threads is None else min(check_count("n_threads", n_threads), trees)
    return ForestSettings(trees, depth, checked_seed, threads)
