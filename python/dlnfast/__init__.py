"""dlnfast: fast diagonal linear networks.

Gradient descent (and its mirror-descent twins) on diagonal linear networks in an
Eigen/OpenMP C++ engine, the implicit-bias limits they converge to, and linear
programs / optimal transport solved with the same dynamics.
"""
from dlnfast._core import __version__, has_openmp
from dlnfast._regressor import DiagonalLinearRegressor
from dlnfast._linprog import linprog
from dlnfast._mps import read_mps
from dlnfast._transport import transport
from dlnfast._basis_pursuit import basis_pursuit

__all__ = [
    "__version__",
    "has_openmp",
    "DiagonalLinearRegressor",
    "linprog",
    "read_mps",
    "transport",
    "basis_pursuit",
]
