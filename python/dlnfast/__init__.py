"""dlnfast: fast diagonal linear networks.

Gradient descent (and its mirror-descent twins) on diagonal linear networks in an
Eigen/OpenMP C++ engine, the implicit-bias limits they converge to, and linear
programs / optimal transport solved with the same dynamics.
"""
from dlnfast import potentials
from dlnfast._classifier import DiagonalLinearClassifier
from dlnfast._core import __version__, has_openmp
from dlnfast._cv import DiagonalLinearRegressorCV
from dlnfast._dynamics import gradient_flow
from dlnfast._flow_path import FlowPath
from dlnfast._implicit_bias import ImplicitBiasLimit, implicit_bias_limit
from dlnfast._max_margin import max_margin, max_margin_kkt
from dlnfast._regressor import DiagonalLinearRegressor
from dlnfast._saddle import SaddlePath, saddle_path
from dlnfast._sharpness import sharpness
from dlnfast._sweep import PathResult, fit_path, implicit_bias_path
from dlnfast.lp import basis_pursuit, linprog, read_mps, transport

__all__ = [
    "__version__",
    "has_openmp",
    "DiagonalLinearRegressor",
    "DiagonalLinearClassifier",
    "max_margin",
    "max_margin_kkt",
    "potentials",
    "implicit_bias_limit",
    "ImplicitBiasLimit",
    "gradient_flow",
    "FlowPath",
    "linprog",
    "read_mps",
    "transport",
    "basis_pursuit",
    "sharpness",
    "fit_path",
    "implicit_bias_path",
    "PathResult",
    "DiagonalLinearRegressorCV",
    "saddle_path",
    "SaddlePath",
]
