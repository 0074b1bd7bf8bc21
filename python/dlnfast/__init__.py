"""dlnfast: fast diagonal linear networks.

Gradient descent (and its mirror-descent twins) on diagonal linear networks in an
Eigen/OpenMP C++ engine, the implicit-bias limits they converge to, and linear
programs / optimal transport solved with the same dynamics.
"""
from dlnfast import potentials
from dlnfast._core import __version__, has_openmp
from dlnfast._limit import ImplicitBiasLimit, implicit_bias_limit
from dlnfast._mirror import gradient_flow
from dlnfast._regressor import DiagonalLinearRegressor
from dlnfast._linprog import linprog
from dlnfast._mps import read_mps
from dlnfast._transport import transport
from dlnfast._basis_pursuit import basis_pursuit

__all__ = [
    "__version__",
    "has_openmp",
    "DiagonalLinearRegressor",
    "potentials",
    "implicit_bias_limit",
    "ImplicitBiasLimit",
    "gradient_flow",
    "linprog",
    "read_mps",
    "transport",
    "basis_pursuit",
]
