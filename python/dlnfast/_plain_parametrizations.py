"""Parametrisations held as plain factors only (trained by ``_factors``, the engine's FactorNet).

* ``linear``: β = θ, from θ = 0 (the baseline of the adaptive-methods papers; ``init_scale``
  and ``depth`` play no role).
* ``product``: untied deep layers β = u¹ ⊙ u² ⊙ … ⊙ u^L with L = ``depth`` (Labarrière et al.
  2024), layer k starting at u^k = α·c_k where ``init_shape`` gives c (None: every layer at α;
  shape (L,): one value per layer; shape (L, n_features): per layer and feature). Under
  gradient flow (u^i)² − (u^j)² is constant per coordinate (:ref:`ug-training-product`).

They have no mirror geometry in the engine (no "md", "flow" through the mirror solvers, no
implicit-bias limit) and no log-domain storage.
"""
import numpy as np

from dlnfast._parametrizations import PARAMETRIZATIONS, Parametrization
from dlnfast._validation import user_repr


class Linear(Parametrization):
    """β = θ itself (depth 1), from θ = 0."""

    name = "linear"

    def __init__(self, scale, log_scale, init_shape, depth):
        if init_shape is not None:
            raise ValueError("init_shape does not apply to parametrization='linear' (β = θ from θ = 0)")
        super().__init__(scale, log_scale, None, depth)

    def init_factors(self):
        return np.zeros((1, self.n_features))

    def init_network(self):
        raise ValueError("parametrization='linear' has no diagonal network (it trains β itself)")

    def weights(self, network):
        raise ValueError("parametrization='linear' has no diagonal network")

    def mirror_spec(self):
        raise ValueError("parametrization='linear' is trained by solver 'gd', 'sgd', 'adam', 'adagrad' or "
                         "'rmsprop' (its mirror map is the identity: 'md' would be 'gd')")

    def stability_condition(self):
        return "step_size < 2/λ_max(XᵀX/n)"


class Product(Parametrization):
    """β = u¹ ⊙ … ⊙ u^L (L = depth ≥ 2), u^k = α·c_k at start."""

    name = "product"
    deep = True

    def __init__(self, scale, log_scale, init_shape, depth):
        self.scale, self.log_scale, self.depth = scale, log_scale, depth
        d = log_scale.shape[0]
        if init_shape is None:
            layers = np.ones((depth, d))
        else:
            try:
                c = np.asarray(init_shape, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError("`init_shape` for parametrization='product' must be None, an array of shape "
                                f"(depth,) or (depth, n_features); got {user_repr(init_shape)}") from None
            if c.shape not in ((depth,), (depth, d)):
                raise ValueError("`init_shape` for parametrization='product' must have shape (depth,) = "
                                 f"({depth},) or (depth, n_features) = ({depth}, {d}); got shape {c.shape}")
            if not np.all(np.isfinite(c)):
                raise ValueError("`init_shape` for parametrization='product' must be finite")
            layers = np.array(np.broadcast_to(c.reshape(depth, -1), (depth, d)))
        self.init_shape = None if init_shape is None else layers
        self.shape = layers

    def warm_start_key(self):
        return self.name, self.depth, self.n_features, self.log_scale.tobytes(), self.shape.tobytes()

    def init_factors(self):
        if np.any(self.scale == 0):
            raise ValueError("init_scale underflows to 0: parametrization='product' holds plain factors")
        return self.scale[None, :] * self.shape

    def init_network(self):
        raise ValueError("parametrization='product' has no two-branch network")

    def weights(self, network):
        raise ValueError("parametrization='product' has no two-branch network")

    def mirror_spec(self):
        raise ValueError("parametrization='product' is trained by solver 'gd', 'sgd' or the adaptive "
                         "solvers (it has no mirror solver in the engine)")

    def stability_condition(self):
        return "the factors finite (a smaller step_size)"


for _cls in (Linear, Product):
    PARAMETRIZATIONS[_cls.name] = _cls
