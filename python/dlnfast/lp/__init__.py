"""Linear programs and optimal transport through diagonal-linear-network dynamics (DESIGN §5)."""
from dlnfast.lp._basis_pursuit import basis_pursuit
from dlnfast.lp._linprog import linprog
from dlnfast.lp._mps import read_mps
from dlnfast.lp._transport import transport

__all__ = ["linprog", "transport", "read_mps", "basis_pursuit"]
