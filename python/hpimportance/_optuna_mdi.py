"""The mean decrease impurity evaluator for Optuna studies."""

from __future__ import annotations

from typing import TYPE_CHECKING

from optuna.importance import BaseImportanceEvaluator

from hpimportance import _trials
from hpimportance._checks import check_forest_settings
from hpimportance._mdi import _mean_decrease_impurity


if TYPE_CHECKING:
    from collections.abc import Callable

    from optuna.study import Study
    from optuna.trial import FrozenTrial


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """Mean decrease impurity (MDI) importance evaluator, a faster drop-in for Optuna's.

    A random forest is fitted to the completed trials, and each parameter is credited with the
    squared error that the forest's cuts on it remove (`Breiman, Random Forests, 2001
    <https://doi.org/10.1023/A:1010933404324>`__), as scikit-learn's ``feature_importances_``
    of a regression forest defines it: per tree as a share of all the error its cuts remove,
    then averaged over the trees. A categorical's cuts single out one choice, so its importance
    is what Optuna gets by adding up its one-hot columns.

    It reads studies like :class:`optuna.importance.MeanDecreaseImpurityImportanceEvaluator`
    and grows the same kind of forest (squared-error trees on bootstrap samples, every parameter
    considered at every node, fully grown), so the numbers agree with Optuna's up to the
    randomness of the forest. It differs in that:

    - It needs no scikit-learn, and fits the trees in parallel in Rust: a study of 10,000
      trials takes a fraction of a second.
    - Each importance belongs to its own parameter whatever the order of ``params`` (Optuna
      5.0 gives the importances of the sorted names to the names in the order passed).
    - Objective values of any magnitude give finite importances.

    MDI measures how well fully grown trees fit the trials, which favours parameters with many
    distinct values; :class:`~hpimportance.FanovaImportanceEvaluator` measures the variance each
    parameter explains over the search space. The result depends only on ``seed``, never on the
    number of threads.

    Args:
        n_trees:
            The number of trees in the forest, at most 1,000,000.
        max_depth:
            The maximum depth of the trees.
        seed:
            Seed of the forest's randomness, an integer in ``[0, 2**64 - 1]``. With :obj:`None`,
            each call draws a fresh seed.
        n_threads:
            The number of threads to fit trees on. :obj:`None` uses every core.
        merge_ranges:
            If :obj:`True`, a parameter whose distribution changed during the study is analysed
            over the union of its ranges or choices instead of being left out with a
            :class:`~hpimportance.RangeChangedWarning` (see
            :class:`~hpimportance.FanovaImportanceEvaluator`).
    """

    def __init__(
        self,
        *,
        n_trees: int = 64,
        max_depth: int = 64,
        seed: int | None = None,
        n_threads: int | None = None,
        merge_ranges: bool = False,
    ) -> None:
        self._settings = check_forest_settings(n_trees, max_depth, seed, n_threads)
        if not isinstance(merge_ranges, bool):
            raise TypeError(f"merge_ranges must be True or False, got {merge_ranges!r}.")
        self._merge_ranges = merge_ranges

    def evaluate(
        self,
        study: Study,
        params: list[str] | None = None,
        *,
        target: Callable[[FrozenTrial], float] | None = None,
    ) -> dict[str, float]:
        arrays = _trials.forest_arrays(
            study,
            params,
            target,
            method="mean decrease impurity",
            merge_ranges=self._merge_ranges,
        )
        result = dict.fromkeys(arrays.names, 0.0)
        if not arrays.space:
            return result

        settings = self._settings
        result.update(
            _mean_decrease_impurity(
                arrays.space,
                arrays.x,
                arrays.y,
                n_trees=settings.n_trees,
                max_depth=settings.max_depth,
                seed=settings.seed,
                n_threads=settings.n_threads,
                within_ranges=False,
            )
        )
        return _trials.sort_by_importance(result)
