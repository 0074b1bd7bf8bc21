"""scikit-learn's estimator checks for the solvers and parametrisations of the optimiser wave."""
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from dlnfast import DiagonalLinearRegressor

# max_iter bounds the checks' fits on their small random problems (where the adaptive methods
# need many steps to tol); a ConvergenceWarning there is not what the checks test.
ESTIMATORS = [
    DiagonalLinearRegressor(solver="adam", parametrization="uv", max_iter=2000, step_size=1e-2),
    DiagonalLinearRegressor(solver="adagrad", parametrization="linear", max_iter=2000),
    DiagonalLinearRegressor(solver="rmsprop", parametrization="positive", max_iter=2000, batch_size=5),
    DiagonalLinearRegressor(parametrization="pm", weight_decay=0.1, max_iter=2000),
    DiagonalLinearRegressor(parametrization="product", depth=3, init_scale=0.5, max_iter=2000),
]


def _expected_failed_checks(estimator):
    # a mini-batch run visits a weighted sample with another frequency than a repeated one (as
    # for SGDRegressor in sklearn's own PER_ESTIMATOR_XFAIL_CHECKS; see test_sgd_estimator.py)
    if estimator.batch_size is None:
        return {}
    return {"check_sample_weight_equivalence_on_dense_data": "stochastic mini-batches (as SGDRegressor)"}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_optimisers(estimator, check):
    check(estimator)
