"""One class per parametrisation of a diagonal linear network (:ref:`ug-parametrizations`).

Each class owns everything that depends on how β is built from factors: the checks of its
initialisation (``init_shape``, ``depth``), the engine state it starts from (:class:`Network`:
log-factors and signs), the user-facing factors read back from that state, the effective
initialisation scale and gain of a discrete run (:ref:`ug-identities`), and its mirror geometry
(:class:`~dlnfast._implicit_bias.MirrorSpec`, shared by mirror descent, the flow and the limit solver, so
they cannot disagree about the potential).

The engine runs every parametrisation as the two-branch network ``β = w₊^D − w₋^D`` in
log-factors; what differs is the change of coordinates, which lives here:

* ``pm``: the engine's coordinates themselves (w± = α·(a, b)).
* ``uv`` (β = u⊙v): the rotation s = u + v, d = u − v gives β = (s² − d²)/4 exactly, so
  w₊ = |s|/2, w₋ = |d|/2 with the signs of s and d kept in the state; GD with step η on (u, v)
  is GD with step η/2 on (w₊, w₋) (see cpp/dlnfast/diagonal_net.hpp).
* ``shape`` (β = u₊⊙v₊ − u₋⊙v₋, Azulay et al. 2021): with p± = u± + v±, m± = u± − v±, GD with
  step η multiplies p₊, m₋ by (1 − ηg) and m₊, p₋ by (1 + ηg), so w₊² = (p₊² + m₋²)/4 and
  w₋² = (m₊² + p₋²)/4 follow the pm update with step η/2. Both branches start at
  (u, v) = α(a, b), hence w± = α·sqrt((a² + b²)/2); the four factors are recovered from w±/w±(0).
* ``positive`` (x = u⊙u): pm with the negative branch identically 0.

:func:`make_parametrization` is the one place that validates a parametrisation's settings; the
estimator and the function API both call it. ``_reference.py`` (the numpy oracle) shares no code
with this module.
"""
import numbers
from dataclasses import dataclass

import numpy as np

# A module import, not ``from _implicit_bias import MirrorSpec``: _implicit_bias imports this module too.
from dlnfast import _implicit_bias
from dlnfast._validation import check_real, user_repr

__all__ = ["MAX_DEPTH", "PARAMETRIZATIONS", "Network", "make_parametrization"]

#: Largest ``depth`` accepted at the public boundary. The engine stores each factor as
#: w = m·2^e and forms w^D with the exponent D·e clamped at ±100000 (cpp/dlnfast/nets/
#: diagonal_net.hpp), at a cost O(D) per coordinate and step that cannot be interrupted inside a
#: step. With D ≤ 64 every double (|e| ≤ 1074, subnormals included) raised to D stays inside the
#: clamp (64·1074 = 68,736), with room for factors growing to 2^1562 during training; beyond a
#: few dozen, β = w₊^D − w₋^D shows no new behaviour in double precision (it is already the
#: D → ∞ limit of the depth-D potential to rounding), so a larger depth would only cost time.
MAX_DEPTH = 64


def _log_abs(x):
    with np.errstate(divide="ignore"):
        return np.log(np.abs(x))


def _per_feature(value, name, n_features):
    """``value`` as a float64 array of shape (n_features,) (a scalar is broadcast)."""
    check_real(value, name)
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"`{name}` must be a float or an array of {n_features} floats; "
                        f"got {user_repr(value)}") from None
    if arr.ndim > 1 or (arr.ndim == 1 and arr.shape[0] != n_features):
        raise ValueError(f"`{name}` must be a scalar or an array of shape ({n_features},) (one value per "
                         f"feature); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite in every entry; got {user_repr(value)}")
    return np.array(np.broadcast_to(arr, (n_features,)))


def _check_scale(init_scale, log_init_scale, n_features):
    """(α, log α) per feature from exactly one of ``init_scale`` and ``log_init_scale``.

    α itself may underflow to 0 when it comes from ``log_init_scale``; only the mirror solvers
    (which use log α) accept such scales.
    """
    if (init_scale is None) == (log_init_scale is None):
        raise ValueError("give exactly one of `init_scale` and `log_init_scale`")
    if log_init_scale is not None:
        log_scale = _per_feature(log_init_scale, "log_init_scale", n_features)
        return np.exp(log_scale), log_scale
    scale = _per_feature(init_scale, "init_scale", n_features)
    if not np.all(scale > 0):
        raise ValueError(f"`init_scale` must be positive in every entry (for α below the float range "
                         f"give `log_init_scale` to the function API); got {user_repr(init_scale)}")
    return scale, np.log(scale)


def _check_pair(init_shape, n_features):
    """``init_shape`` as two float64 arrays of shape (n_features,)."""
    if not isinstance(init_shape, (tuple, list)) or len(init_shape) != 2:
        raise ValueError(
            "`init_shape` must be None or a pair (a, b) of scalars or arrays: for 'pm' the factors "
            "start at w₊ = init_scale·a, w₋ = init_scale·b; for 'uv' at u = init_scale·a, "
            "v = init_scale·b; for 'shape' both branches of u₊⊙v₊ − u₋⊙v₋ start at "
            f"(u, v) = init_scale·(a, b); got {init_shape!r}")
    return tuple(_per_feature(part, "init_shape", n_features) for part in init_shape)


@dataclass
class Network:
    """Engine state of a network, as the two-branch ``β = w₊^D − w₋^D`` in log-factors.

    ``_engine.run_gd``/``run_sgd`` update ``log_w_pos`` and ``log_w_neg`` in place and read
    ``depth`` and ``step_factor`` (engine step = user's step × step_factor). ``sign_pos`` and
    ``sign_neg`` are the signs of the engine's factors w₊, w₋: for ``uv`` the signs of the rotated
    coordinates s, d; otherwise +1 until momentum carries a factor through 0 (heavy ball can, see
    cpp/dlnfast/momentum.hpp). ``parametrization`` reads the user-facing factors from the state.
    """

    parametrization: "Parametrization"
    log_w_pos: np.ndarray
    log_w_neg: np.ndarray
    sign_pos: np.ndarray
    sign_neg: np.ndarray

    @property
    def depth(self):
        return self.parametrization.depth

    @property
    def step_factor(self):
        return self.parametrization.step_factor

    def weights(self):
        """The user-facing factors (see :meth:`Parametrization.weights`)."""
        return self.parametrization.weights(self)

    def record_signs(self, signs):
        """Fold the engine's factor signs after a momentum run (``signs``: [w₊ | w₋], ±1).

        The engine restarts from the magnitudes (log-factors), so a flip is accumulated here. One
        rule serves every parametrisation: for ``uv`` it flips the sign of s or d; for ``shape`` the
        two rotated factors of a branch follow the same linear recurrence from zero velocity, so
        they stay proportional and change sign together with w±; for pm (even D) β does not
        depend on the signs, only the reported factors do.
        """
        d = self.log_w_pos.shape[0]
        self.sign_pos = self.sign_pos * signs[:d]
        self.sign_neg = self.sign_neg * signs[d:]

    def copy(self):
        return Network(self.parametrization, self.log_w_pos.copy(), self.log_w_neg.copy(),
                       self.sign_pos.copy(), self.sign_neg.copy())

    def signed_factors(self):
        """(w₊, w₋) with their signs (may underflow to 0)."""
        return np.exp(self.log_w_pos) * self.sign_pos, np.exp(self.log_w_neg) * self.sign_neg


class Parametrization:
    """A parametrisation with a validated initialisation (build it with :func:`make_parametrization`).

    Attributes
    ----------
    name : str
    depth : int
    scale : ndarray of shape (n_features,)
        The initialisation scale α (0 where ``log_init_scale`` is below the float range).
    log_scale : ndarray of shape (n_features,)
        log α.
    init_shape : tuple of two ndarray of shape (n_features,), or None
        The pair (a, b) as given (None: the parametrisation's default start).
    shape : tuple of two ndarray of shape (n_features,)
        (a, b) with the default filled in.
    """

    name = None
    deep = False  # whether depth D ≥ 3 is defined (β = w₊^D − w₋^D)
    default_shape = (1.0, 1.0)
    step_factor = 1.0
    # The factor f in the sign-flip bound f·step_size·|g_i| < 1 (user guide: "Exact discrete identities").
    flip_factor = 2

    def __init__(self, scale, log_scale, init_shape, depth):
        n_features = log_scale.shape[0]
        self.scale, self.log_scale, self.depth = scale, log_scale, depth
        if depth != 2 and not self.deep:
            raise ValueError(f"depth={depth} is only available for parametrization='pm' (`depth` >= 3 "
                             f"means β = w₊^D − w₋^D); '{self.name}' has depth 2")
        self.init_shape = None if init_shape is None else _check_pair(init_shape, n_features)
        self.shape = self.init_shape if init_shape is not None else \
            tuple(np.full(n_features, float(c)) for c in self.default_shape)
        self._check_shape(*self.shape)

    @property
    def n_features(self):
        return self.log_scale.shape[0]

    def _check_shape(self, a, b):
        """Parametrisation-specific checks of (a, b) (all solvers)."""

    def warm_start_key(self):
        """Hashable identity of the parametrisation and its initialisation: a warm start is only
        valid from a state trained with an equal key."""
        shape = None if self.init_shape is None else tuple(c.tobytes() for c in self.init_shape)
        return self.name, self.depth, self.n_features, self.log_scale.tobytes(), shape

    def stability_condition(self):
        """The sign-flip bound on the step, for error messages."""
        return f"{self.flip_factor}·step_size·|g_i| < 1"

    def _network(self, log_w_pos, log_w_neg, sign_pos=None, sign_neg=None):
        ones = np.ones(self.n_features)
        return Network(self, np.array(log_w_pos, dtype=np.float64), np.array(log_w_neg, dtype=np.float64),
                       ones if sign_pos is None else sign_pos, ones.copy() if sign_neg is None else sign_neg)

    def init_network(self):
        """The engine state at initialisation (:class:`Network`)."""
        raise NotImplementedError

    def weights(self, network):
        """The user-facing factors of ``network`` (may underflow to 0 for tiny scales)."""
        raise NotImplementedError

    def mirror_spec(self):
        """The mirror geometry (:class:`~dlnfast._implicit_bias.MirrorSpec`): β as a function of the flow's
        mirror coordinate θ (d/dt θ = −g) and θ₀ = θ at initialisation. Raises ValueError when
        the initialisation has no mirror geometry (a one-signed network)."""
        raise NotImplementedError

    def effective_init_scale(self, start, end):
        """(α_∞, gain) of a discrete run from ``start`` to ``end`` (:ref:`ug-identities`).

        The branch product w₊w₋ is what discrete steps shrink (it is conserved by the flow), so
        α_∞ = α·sqrt(w₊w₋ / (w₊⁰w₋⁰)) and gain = log(α²/α_∞²); NaN where a branch is 0.
        """
        with np.errstate(invalid="ignore"):
            half_log = 0.5 * ((end.log_w_pos - start.log_w_pos) + (end.log_w_neg - start.log_w_neg))
        return self.scale * np.exp(half_log), -2.0 * half_log


class PM(Parametrization):
    """``β = w₊^D − w₋^D`` from ``w₊ = α·a, w₋ = α·b`` (default a = b = 1; Woodworth et al. 2020)."""

    name = "pm"
    deep = True

    def _check_shape(self, a, b):
        if np.any(a < 0) or np.any(b < 0):
            raise ValueError("`init_shape` for parametrization='pm' must be non-negative (w± ≥ 0); "
                             f"got {self.init_shape!r}")

    def stability_condition(self):
        if self.depth == 2:
            return super().stability_condition()
        return f"{self.depth}·w^{self.depth - 2}·step_size·|g_i| < 1"

    def init_network(self):
        a, b = self.shape
        return self._network(self.log_scale + _log_abs(a), self.log_scale + _log_abs(b))

    def weights(self, network):
        return network.signed_factors()

    def mirror_spec(self):
        """pm: ``w₊w₋`` is conserved; ``β = s·sinh(4θ)`` with ``s = 2α²ab`` and
        ``θ₀ = ¼ arcsinh((a² − b²)/(2ab))``. Depth D ≥ 3 (balanced start only): :ref:`ug-parametrizations`."""
        zeros = np.zeros(self.n_features)
        if self.depth >= 3:
            if self.init_shape is not None:
                raise ValueError("`init_shape` needs depth=2 for solver='md'/'flow' and the implicit-bias "
                                 "limit (the depth-D potential is for w± = α)")
            return _implicit_bias.MirrorSpec("depth", self.log_scale, 2.0, self.depth, zeros)
        if self.init_shape is None:
            return _implicit_bias.MirrorSpec("hyperbolic", np.log(2.0) + 2.0 * self.log_scale, 4.0, 2, zeros)
        a, b = self.init_shape
        if np.any(a <= 0) or np.any(b <= 0):
            raise ValueError("`init_shape` (a, b) for 'pm' must be positive here (a zero branch makes "
                             "a one-signed network: use parametrization='positive')")
        # ratio ρ = β₀/s = (a² − b²)/(2ab); θ = ½ z with z = ½ arcsinh ρ
        return _implicit_bias.MirrorSpec("hyperbolic", np.log(2.0 * a * b) + 2.0 * self.log_scale, 4.0, 2,
                                 0.25 * np.arcsinh((a * a - b * b) / (2.0 * a * b)))


class UV(Parametrization):
    """``β = u ⊙ v`` from ``u = α·a, v = α·b`` (default (√2, 0); Even et al. 2023)."""

    name = "uv"
    default_shape = (np.sqrt(2.0), 0.0)
    step_factor = 0.5
    flip_factor = 1

    def init_network(self):
        a, b = self.shape
        u, v = self.scale * a, self.scale * b
        s, d = u + v, u - v
        return self._network(_log_abs(s / 2.0), _log_abs(d / 2.0), np.sign(s), np.sign(d))

    def weights(self, network):
        half_s, half_d = network.signed_factors()
        s, d = 2.0 * half_s, 2.0 * half_d
        return (s + d) / 2.0, (s - d) / 2.0

    def mirror_spec(self):
        """uv: ``u² − v²`` is conserved; ``β = s·sinh(2θ)`` with ``s = α²|a² − b²|/2`` and reference
        point ``β₀ = α²ab`` (the default start (√2, 0) gives ``s = α²``, ``β₀ = 0``)."""
        if self.init_shape is None:
            return _implicit_bias.MirrorSpec("hyperbolic", 2.0 * self.log_scale, 2.0, 2, np.zeros(self.n_features))
        a, b = self.init_shape
        delta = np.abs(a * a - b * b)
        if not np.all(np.isfinite(delta)) or np.any(delta <= 0):
            raise ValueError("`init_shape` (a, b) for 'uv' must have a² ≠ b² in every coordinate "
                             "(u = ±v is a one-signed network)")
        # s = α²|a² − b²|/2, ρ = β₀/s = 2ab/|a² − b²|, θ₀ = ½ arcsinh ρ
        return _implicit_bias.MirrorSpec("hyperbolic", 2.0 * self.log_scale + np.log(delta / 2.0), 2.0, 2,
                                 0.5 * np.arcsinh(2.0 * a * b / delta))


class Shape(Parametrization):
    """``β = u₊⊙v₊ − u₋⊙v₋``, both branches from ``(u, v) = α·(a, b)`` (default (1, 1); Azulay et al. 2021)."""

    name = "shape"
    step_factor = 0.5
    flip_factor = 1

    def _check_shape(self, a, b):
        if np.any(a * a + b * b == 0):
            raise ValueError("`init_shape` for parametrization='shape' must not have a = b = 0 "
                             "(a dead coordinate)")

    def _log_w0(self):
        a, b = self.shape
        return self.log_scale + 0.5 * np.log((a * a + b * b) / 2.0)

    def init_network(self):
        lw = self._log_w0()
        return self._network(lw, lw.copy())

    def weights(self, network):
        a, b = self.shape
        u0, v0 = self.scale * a, self.scale * b
        lw0 = self._log_w0()
        rp = np.exp(network.log_w_pos - lw0) * network.sign_pos
        rn = np.exp(network.log_w_neg - lw0) * network.sign_neg
        p_pos, m_neg = (u0 + v0) * rp, (u0 - v0) * rp
        m_pos, p_neg = (u0 - v0) * rn, (u0 + v0) * rn
        return (p_pos + m_pos) / 2, (p_pos - m_pos) / 2, (p_neg + m_neg) / 2, (p_neg - m_neg) / 2

    def mirror_spec(self):
        """shape: ``β = s·sinh(2θ)`` with ``s = α²(a² + b²)`` — not ``α²ab`` — and ``β₀ = 0``."""
        a, b = self.shape
        return _implicit_bias.MirrorSpec("hyperbolic", 2.0 * self.log_scale + np.log(a * a + b * b), 2.0, 2,
                                 np.zeros(self.n_features))


class Positive(Parametrization):
    """``x = u ⊙ u ≥ 0`` from ``u = α`` (Chou, Maly & Rauhut 2023); no ``init_shape``."""

    name = "positive"

    def __init__(self, scale, log_scale, init_shape, depth):
        if init_shape is not None:
            raise ValueError("init_shape does not apply to parametrization='positive' (x = u⊙u from "
                             "u = init_scale); pass a per-feature `init_scale` instead")
        super().__init__(scale, log_scale, None, depth)

    def init_network(self):
        return self._network(self.log_scale, np.full(self.n_features, -np.inf))

    def weights(self, network):
        return (network.signed_factors()[0],)

    def mirror_spec(self):
        """positive: ``x = α²·exp(4θ)``, the entropy ``Φ = ¼ Σ (x log(x/α²) − x)``."""
        return _implicit_bias.MirrorSpec("entropic", 2.0 * self.log_scale, 4.0, 2, np.zeros(self.n_features))


PARAMETRIZATIONS = {cls.name: cls for cls in (PM, UV, Shape, Positive)}


def make_parametrization(name, init_scale, init_shape, depth, n_features, *, log_init_scale=None):
    """Validate a parametrisation's settings once and return its object.

    Parameters
    ----------
    name : {"pm", "uv", "shape", "positive"}
    init_scale : float or array-like of shape (n_features,) or None
        α > 0; None when ``log_init_scale`` is given.
    init_shape : None or pair (a, b)
        As in :class:`~dlnfast.DiagonalLinearRegressor`.
    depth : int
        D ≥ 2 (D ≥ 3 for ``"pm"`` only).
    n_features : int
    log_init_scale : float or array-like of shape (n_features,), optional
        log α instead of ``init_scale``, for α below the float range.

    Returns
    -------
    Parametrization

    Raises
    ------
    ValueError, TypeError
        Naming the parameter and what was expected.
    """
    if not isinstance(name, str) or name not in PARAMETRIZATIONS:  # an array is unhashable
        raise ValueError(f"`parametrization` must be one of {', '.join(map(repr, PARAMETRIZATIONS))}; "
                         f"got {name!r}")
    if not isinstance(depth, numbers.Integral) or isinstance(depth, bool) or depth < 2:
        raise ValueError(f"`depth` must be an integer >= 2; got {user_repr(depth)}")
    if depth > MAX_DEPTH:
        raise ValueError(f"`depth` must be <= {MAX_DEPTH} (MAX_DEPTH: each step costs O(depth) per "
                         f"coordinate and beyond it the factors w^D leave the engine's exponent range); "
                         f"got {user_repr(depth)}")
    scale, log_scale = _check_scale(init_scale, log_init_scale, n_features)
    return PARAMETRIZATIONS[name](scale, log_scale, init_shape, int(depth))
