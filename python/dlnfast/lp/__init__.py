"""Linear programs and optimal transport through diagonal-linear-network dynamics (:ref:`ug-lp`).

Where each piece lives:

* :mod:`._standard_form`: a general LP (scipy.optimize.linprog's form) reduced to
  ``min ĉᵀy s.t. Ây = b̂, y ≥ 0`` with Ruiz scaling, and the map back.
* :mod:`._entropic`: the entropic LP solved exactly through its dual (damped Newton from
  :mod:`dlnfast._newton`, continuation in λ, elastic big-M form, polish onto the optimal face).
* :mod:`._kernel`: the only module that calls the C++ LP/OT kernels (options, status mapping).
* :mod:`._options`: the option checks shared by :func:`linprog` and :func:`transport`.
* :mod:`._linprog`, :mod:`._transport`, :mod:`._basis_pursuit`, :mod:`._mps`: the public
  front ends.
"""
from dlnfast.lp._basis_pursuit import basis_pursuit
from dlnfast.lp._linprog import linprog
from dlnfast.lp._mps import read_mps
from dlnfast.lp._transport import transport

__all__ = ["linprog", "transport", "read_mps", "basis_pursuit"]
