"""scikit-learn estimator for diagonal linear networks."""
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from dlnfast import _core, _dynamics, _engine, _factors, _flow_path, _plain_parametrizations  # noqa: F401 (registers linear, product)
from dlnfast._diagnosis import divergence_cause
from dlnfast._implicit_bias import implicit_bias_limit as _implicit_bias_limit
from dlnfast._parametrizations import MAX_DEPTH, make_parametrization
from dlnfast._product_flow import layer_imbalance, run_product_flow
from dlnfast._sampling import seed_from_random_state
from dlnfast._sharpness import sharpness_path
from dlnfast._threads import MAX_N_JOBS, effective_n_threads
from dlnfast._validation import (
    MAX_COUNT,
    check_dense_X_y,
    check_snapshot_iters,
    user_repr,
    validate_estimator_data,
)
from dlnfast._validation import check_sample_weight as _check_weights

# Solvers that train the factors (state: a Network) and those that iterate the mirror coordinate
# θ = ∇Φ(β) (state: θ). A warm start continues only within a family.
_FAMILY = {"gd": "factors", "sgd": "factors", "md": "mirror", "flow": "mirror"}
#: Solvers and parametrisations trained on plain factors (``_factors``: the engine's FactorNet).
_ADAPTIVE = ("adam", "adagrad", "rmsprop")
_PLAIN_ONLY = ("linear", "product")


def _family(solver, parametrization):
    """"factors" (two-branch network, log domain), "mirror" (θ = ∇Φ(β)) or "plain" (FactorNet)."""
    if solver in _ADAPTIVE or parametrization in _PLAIN_ONLY:
        return "plain"
    return _FAMILY[solver]


class StallDetector:
    """A progress callback for the flow that stops a run making no progress: when the best
    criterion ‖∇L‖∞/‖∇L(0)‖∞ seen has not dropped by 1% (``FACTOR``) over ``WINDOW`` integrator
    steps, it returns True (the engine stops) and records ``stalled_at = (step, best)``, the step
    where that window began. The engine polls it about every 0.1 s, never inside a step, so runs
    shorter than that are never checked and a stall is caught within 0.1 s of its window.
    ``inner``: another progress callback (verbose printing), called first."""

    WINDOW = 5000
    FACTOR = 0.99

    def __init__(self, inner=None):
        self.inner = inner
        self.ref_step, self.ref_best, self.best = 0, np.inf, np.inf
        self.stalled_at = None

    def __call__(self, it, loss, criterion, elapsed):
        if self.inner is not None and self.inner(it, loss, criterion, elapsed):
            return True
        self.best = min(self.best, criterion)
        if self.best < self.FACTOR * self.ref_best:
            self.ref_step, self.ref_best = it, self.best
        elif it - self.ref_step >= self.WINDOW:
            self.stalled_at = (self.ref_step, self.best)
            return True
        return False


class DiagonalLinearRegressor(RegressorMixin, BaseEstimator):
    """Linear regression through a diagonal linear network trained by gradient descent.

    The model predicts ``X @ coef_ + intercept_`` with ``coef_`` = β a product of factors,
    trained from a small initialisation by full-batch gradient descent (in C++, multi-threaded)
    on the loss ``L(β) = ‖Xβ − y‖² / (2n)``. The initialisation scale selects the implicit bias:
    small ``init_scale`` gives sparse (ℓ1-like) interpolators, large gives minimum-ℓ2 ones, and in
    between training lands on the minimiser of a hyperbolic-entropy potential (Woodworth et al.
    2020).

    Parameters
    ----------
    parametrization : {"pm", "uv", "shape", "positive", "linear", "product"}, default="pm"
        ``"pm"``: β = w₊^D − w₋^D with w± = α at start (D = ``depth``).
        ``"uv"``: β = u ⊙ v with u = √2·α, v = 0 at start (depth 2 only).
        ``"shape"``: β = u₊⊙v₊ − u₋⊙v₋, both branches at (u, v) = α·(a, b) from ``init_shape``
        (default (1, 1)); its potential has scale α²(a² + b²), not α²ab (Azulay et al. 2021).
        ``"positive"``: x = u ⊙ u ≥ 0 from u = α (non-negative regression; Chou, Maly & Rauhut
        2023); mirror descent on it is exponentiated gradient.
        ``"linear"``: β = θ itself from θ = 0 (depth 1; the baseline of the adaptive-methods papers;
        ``init_scale`` unused). ``"product"``: untied deep layers β = u¹ ⊙ … ⊙ u^L with
        L = ``depth``, layer k starting at α·c_k (``init_shape`` = c of shape (L,) or
        (L, n_features); None: every layer at α; Labarrière et al. 2024). These two train plain
        factors ("gd", "sgd" with momentum, and the adaptive solvers; no "md"). ``"product"`` also
        has ``solver="flow"``: its factor flow integrated by scipy's DOP853 to ``flow_tol``
        (relative), in Python (two passes over X per stage).
    init_scale : float or array-like of shape (n_features,), default=1e-3
        The initialisation scale α > 0 (one per feature if an array). 1e-3 is in the ℓ1-like
        regime for standardised data while keeping the initial plateau short (its length grows
        like log(1/α)/η, :ref:`ug-plateaus`); take it smaller for sparser solutions.
    init_shape : None or pair (a, b), default=None
        Unbalanced start: ``pm`` factors start at w₊ = α·a, w₋ = α·b (a, b ≥ 0);
        ``uv`` factors at u = α·a, v = α·b; ``shape`` both branches at (u, v) = α·(a, b).
        Each entry a scalar or one value per feature. (md/flow need a, b > 0 for ``pm`` and
        a² ≠ b² for ``uv``: otherwise the network is one-signed.)
    depth : int, default=2
        Depth D ≥ 2 of the ``pm`` network (β = w₊^D − w₋^D), at most 64
        (``dlnfast._parametrizations.MAX_DEPTH``: each step costs O(D) per coordinate, and beyond
        64 the factors w^D leave the engine's exponent range while adding no new behaviour in
        double precision).
    solver : {"gd", "sgd", "md", "flow", "adam", "adagrad", "rmsprop"}, default="gd"
        ``"gd"``: full-batch gradient descent on the factors. ``"sgd"``: mini-batch stochastic
        gradient descent on the factors (``batch_size`` samples per step, drawn by ``shuffle``
        from a stream seeded by ``random_state``); ``max_iter`` then counts steps, and the full
        loss and gradient are evaluated once per epoch (for ``tol`` and ``loss_curve_``). ``"md"``: mirror descent
        ∇Φ(β) ← ∇Φ(β) − η·g on β with the potential Φ of the parametrisation (state kept in
        mirror coordinates, so any ``init_scale`` works); it has no O(η) bias and converges to
        :meth:`implicit_bias_limit`. ``"flow"``: the exact gradient flow d/dt ∇Φ(β) = −g (the
        η → 0 limit of GD), integrated by an error-controlled Dormand–Prince 5(4) pair in mirror
        coordinates to ``flow_tol``; ``max_iter`` counts its steps and ``step_size`` is unused.
        See :func:`dlnfast.gradient_flow` for the trajectory at given times.
    step_size : "auto" or float, default="auto"
        Step η. ``"auto"`` uses, at every iteration, the safe rule
        η = min(1/(λ_max·D²·max(w₊^{2D−2} + w₋^{2D−2})), 1/(4·max D·w^{D−2}|g|)):
        half the local stability limit of GD on the factors (λ_max = λ_max(XᵀX/n), estimated by
        power iteration) and a bound keeping every factor within 25 % of itself per step, far
        from the sign-flip bound. It grows as the run leaves the initial plateau and shrinks as β
        grows. A fixed step that breaks the sign-flip bound raises a ValueError suggesting one.
        For ``solver="sgd"``, ``"auto"`` uses the sampled batch instead of λ_max:
        η_t = min(1/κ_t, 1/(4·max D·w^{D−2}|g_t|)) with κ_t = (D²/B)·Σ_b Σ_j x̃_{b,j}²(w₊^{2D−2} + w₋^{2D−2})_j
        (an upper bound on the batch's curvature in factor space), so the step varies with the
        sample; pass a float for the constant steps of the SGD literature.
    max_iter : int, default=100_000
        Maximum number of GD / mirror-descent updates (SGD steps for ``"sgd"``, Runge–Kutta
        steps for ``"flow"``); at most 2**62 (the engine counts in int64).
    batch_size : int or None, default=None
        Samples per step of ``solver="sgd"`` (None: 1) or of the adaptive solvers (None: the full
        batch); capped at n_samples. Ignored by "gd", "md" and "flow".
    weight_decay : float, default=0.0
        λ ≥ 0: the penalty (λ/2)·Σ‖factor‖² on the factors is added to the training loss (every
        factor-training solver: "gd", "sgd" with or without momentum, and the adaptive ones; depth
        2 or ``linear``). At a minimiser the factors balance and the induced penalty on β is
        ``uv`` and ``shape``: λ‖β‖₁ (``sklearn.linear_model.Lasso(alpha=λ)``); ``pm``:
        (λ/2)‖β‖₁ (``Lasso(alpha=λ/2)``); ``positive``: (λ/2)·1ᵀx on x ≥ 0
        (``Lasso(alpha=λ/2, positive=True)``); ``linear``: ridge (λ/2)‖β‖²; depth D (not
        available: its (λ/2)Σ|β_j|^{2/D} is not convex and 0 is a local minimum). With weight
        decay ``tol`` applies to the gradient of the penalised objective in β: the lasso's
        proximal-gradient mapping (β − prox_{tμ‖·‖₁}(β − t∇L))/t with t = 1/λ_max (0 exactly at the
        lasso solution; the ridge gradient ∇L + λβ for ``linear``), relative to ‖∇L(0)‖∞.
    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        ``solver="adam"``: m ← β₁m + (1 − β₁)G, v ← β₂v + (1 − β₂)G², θ ← θ − η·m̂/(√v̂ + ε) with
        bias-corrected m̂, v̂ (scikit-learn MLP's names). ``"rmsprop"``: s ← β₂s + (1 − β₂)G²,
        θ ← θ − ηG/(√s + ε). ``"adagrad"``: s ← s + G², θ ← θ − ηG/(√s + ε). G is the gradient
        with respect to the factors the user names ((w₊, w₋), (u, v), u, θ, or the L layers),
        weight decay included; ``step_size="auto"`` is 1e-3 (adam) or 1e-2 (adagrad, rmsprop).
        On ``linear`` from 0 with d > n, GD ends at the minimum-ℓ2 interpolator and the diagonal
        preconditioners elsewhere (Shah et al. 2020). ``warm_start`` restarts the moments.
    sharpness_every : int or None, default=None
        Record the sharpness (the top eigenvalue of the Hessian of the training objective with
        respect to the factors, :func:`dlnfast.sharpness`) every ``sharpness_every`` iterations
        and at the end, in ``sharpness_curve_`` (factor-training solvers; Nesterov: at the
        look-ahead state). Edge of stability: GD with step η self-stabilises near 2/η.
    shuffle : bool, default=True
        ``solver="sgd"``: visit the samples in a fresh random order each epoch (True) or draw
        them independently with replacement (False).
    random_state : int, RandomState instance or None, default=None
        Seeds the sampling and label-noise stream of ``solver="sgd"``. An int gives
        bit-identical results for any ``n_jobs`` and across pickling.
    momentum : float in [0, 1), default=0.0
        Heavy-ball momentum μ on the factors (``solver`` "gd" or "sgd"):
        w ← w − η∇_w L + μ(w − w_prev). The dynamics follow a flow governed by
        λ = η/(1 − μ)² (Papazov et al. 2024): runs with equal λ land close together.
    nesterov : bool, default=False
        Use Nesterov's momentum (gradient at the look-ahead w + μ(w − w_prev)).
    label_noise : float, default=0.0
        Standard deviation σ of Gaussian noise added to each sampled label at each step
        (``solver="sgd"`` only; label-noise SGD). It drives the effective initialisation down
        during training, hence sparser solutions.
    step_decay : float, default=0.0
        Decaying schedule η_k = η/(1 + step_decay·k) (k the update; "gd" and "sgd"); 0 keeps
        the step constant.
    tol : float, default=1e-4
        Stop when ‖∇L(β)‖∞ ≤ tol·‖∇L(0)‖∞. This criterion is scale-free (invariant to rescaling
        X or y) and is not met on a saddle plateau, where the gradient of the inactive
        coordinates is not small.
    target_loss : float or None, default=None
        Also stop, as converged, once the training loss L(β) is at or below ``target_loss``
        (≥ 0), checked wherever the solver evaluates the full loss (for "sgd": once per
        evaluation, see ``solver``). The implicit-bias literature trains "until the train loss
        < 1e-4": ``target_loss=1e-4``. None: only ``tol`` (and ``max_iter``) stop the run.
    time_limit : float or None, default=None
        Stop after ``time_limit`` seconds (> 0) of training, with a ConvergenceWarning that says
        so and gives the criterion reached; the attributes describe the state at that point.
        None: no limit.
    fit_intercept : bool, default=True
        Fit an intercept by centring X and y (weighted means with ``sample_weight``). The
        centring is implicit (r = Xβ − x̄ᵀβ − (y − ȳ)): X is never copied.
    flow_tol : float, default=1e-7
        ``solver="flow"`` only: local error tolerance of the integrator, in relative-β units
        (the error of log|β| per step). Capped at ``tol``/2: a larger local error leaves β
        noisy above the gradient criterion, which is then never reached. A flow whose
        criterion gains less than 1% over 5,000 steps (a ``tol`` below what float64 resolves)
        is stopped there with a ConvergenceWarning instead of running on to ``max_iter``.
    max_time : float or None, default=None
        ``solver="flow"`` only: stop the flow at this time (> 0; in the units of ``time_scale``)
        if ``tol`` has not stopped it before. The run then ends converged, without a warning:
        the state at that time is what was asked for (e.g. one plateau of the saddle-to-saddle
        process, :func:`dlnfast.saddle_path`). ``flow_time_`` and ``flow_time_accelerated_``
        report the time reached. With ``warm_start`` it counts from the start of this fit.
        None: run to ``tol``.
    time_scale : {"flow", "accelerated"}, default="flow"
        How ``max_time`` is read: flow time t, or the accelerated time t̃ = rate·t/log(1/a) of
        the small-initialisation limit (``uv``: t̃ = t/log(1/α); as in
        :func:`dlnfast.gradient_flow`). "accelerated" needs ``solver="flow"`` on a depth-2
        network (``pm``, ``uv``, ``shape``) with one small scale for every coordinate.
    warm_start : bool, default=False
        Continue from the state of the previous fit instead of re-initialising: the factors for
        "gd"/"sgd", the mirror coordinate for "md"/"flow". The previous state is used only when it
        comes from the same solver family ("gd"/"sgd" or "md"/"flow"), ``parametrization``,
        ``depth``, number of features, ``init_scale`` and ``init_shape``; otherwise the fit starts
        cold. Momentum restarts from rest.
    n_jobs : int or None, default=None
        Maximum number of OpenMP threads, at most 2**15 (taken as is up to that, above the
        cpu count too; negative values resolve against the cpu count). None: all cores that OpenMP may use
        (``OMP_NUM_THREADS`` and threadpoolctl limits are honoured; inside a joblib worker
        thread, 1); -1: all cores. Problems with fewer than 131,072 entries of X run on one
        thread (below that, sharing a pass costs more than it saves). Threads take chunks of
        each pass from a shared counter, so a thread descheduled on a busy machine never holds
        the others up. Results are bit-identical for any value.
    verbose : int, default=0
        ≥ 1 prints the iteration, loss, criterion and elapsed time about once per second
        (≥ 2: ten times per second) during a fit, and a summary at the end.
    loss_every : int, default=1
        Record the loss every ``loss_every`` iterations in ``loss_curve_``.
    snapshot_iters : array-like of int or None, default=None
        Iterations at which to store β in ``coef_path_`` (strictly increasing).

    Attributes
    ----------
    coef_ : ndarray of shape (n_features,)
        β at the end of training (dtype of X: float64 or float32).
    intercept_ : float
    n_iter_ : int
        Number of updates performed (SGD: steps; flow: accepted Runge–Kutta steps).
    loss_curve_ : ndarray
        L(β_k) for k = 0, loss_every, 2·loss_every, … (``solver="sgd"``: the full loss at every
        ``loss_every``-th epoch boundary, plus the end when it falls on one).
    n_loss_increases_ : int
        How many recorded losses exceed the previous record (oscillation indicator).
    coef_path_ : ndarray of shape (n_snapshots, n_features) or None
        β at ``snapshot_iters_``.
    snapshot_iters_ : ndarray or None
    weights_ : tuple of ndarray or None
        The factors: (w₊, w₋) for ``pm``, (u, v) for ``uv``, (u₊, v₊, u₋, v₋) for ``shape``,
        (u,) for ``positive`` (may underflow to 0 for tiny scales), (θ,) for ``linear``,
        (u¹, …, u^L) for ``product``. None for "md" and "flow", which do not train factors.
    mirror_coef_ : ndarray of shape (n_features,) or None
        The mirror coordinate θ = ∇Φ(β) at the end of training (exact even where β underflows)
        for "md" and "flow"; None for "gd" and "sgd".
    flow_time_ : float or None
        The flow time t reached by ``solver="flow"``; None for the other solvers.
    sharpness_curve_ : ndarray or None
        The sharpness at ``sharpness_iters_`` (``sharpness_every``); None without it.
    sharpness_iters_ : ndarray of int or None
    layer_imbalance_ : ndarray of shape (depth − 1, n_features) or None
        ``parametrization="product"``: (u¹)² − (u^k)² for k = 2, …, L at the end of training.
        Gradient flow keeps it at its initial value exactly (:ref:`ug-training-product`); GD changes it by O(η).
        None for the other parametrisations.
    flow_time_accelerated_ : float or None
        That time in the accelerated units of the small-α limit, t̃ = rate·t/log(1/a) (``uv``:
        t/log(1/α); the clock of :func:`dlnfast.saddle_path`); None for the other solvers and
        where it is not defined (depth ≥ 3, ``positive``, per-coordinate scales).

    Every attribute above is set by every fit, for every solver (None where it does not apply),
    so nothing from an earlier fit with other settings survives a refit.
    effective_init_scale_ : ndarray of shape (n_features,)
        α_∞ per coordinate (:ref:`ug-identities`): discrete GD behaves like gradient flow started from
        this smaller scale, α_∞² = α²·Π_k(1 − (f·η_k g_k)²) with f = 2 (pm) or 1 (uv), for any
        gradient sequence (full batch or stochastic: then g_k is the step's mini-batch gradient).
        It explains why large steps and stochasticity change the solution. Computed as
        α·sqrt(w₊w₋ / (w₊⁰w₋⁰)) from the factors, which is that quantity for GD/SGD; with
        momentum it is reported the same way, but the product identity is then approximate.
        Equal to α for "md" and "flow". NaN where one branch is identically 0. None for the
        adaptive solvers and ``linear``/``product`` (the identity is one of multiplicative GD steps).
    gain_ : ndarray of shape (n_features,)
        The per-coordinate gain log(α² / α_∞²) ≥ 0 (Even et al. 2023): how much the discrete
        (and stochastic) dynamics shrank each coordinate's initialisation. Large GD steps
        concentrate it on the support; SGD spreads it nearly evenly, hence its sparser
        solutions. 0 for "md" and "flow"; None where ``effective_init_scale_`` is.
    step_size_ : float
        The last step used.
    lambda_max_ : float or None
        λ_max(X_cᵀX_c/n) estimated for ``step_size="auto"`` ("gd", "sgd", "md"); None otherwise.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when X has string feature names (e.g. a pandas DataFrame).

    Notes
    -----
    Stochastic training (``solver="sgd"``) draws sample ``b`` of step ``t`` from a counter-based
    SplitMix64 stream seeded by ``random_state`` (``dlnfast._sampling`` documents it exactly), so
    a fixed seed gives bit-identical results for any ``n_jobs``, and the numpy reference
    ``dlnfast._reference.sgd_reference`` reproduces the iterates. A step reads only its
    ``batch_size`` rows of X (batch size 1: one fused pass over the coordinates, no allocation);
    the full loss is evaluated once per epoch. With momentum a factor may pass through 0 (heavy
    ball oscillates when 2η|g| > (1 − √μ)²); that is tracked and ``weights_`` keeps the signs.
    ``warm_start`` restarts momentum from rest.

    X is used in place when it is a C-contiguous float64 or float32 array; any other layout or
    dtype is converted once (a copy) before training. float32 X is trained with float32 reads of
    X and float64 accumulation; ``coef_`` is returned in X's dtype.

    The numerical outcome of a run is a status: converged, max_iter (ConvergenceWarning),
    diverged (ValueError naming ``step_size``) or interrupted (Ctrl-C raises KeyboardInterrupt
    within about 0.1 s plus one iteration).

    References
    ----------
    Woodworth et al., "Kernel and rich regimes in overparametrized models", COLT 2020.
    Pesme, Pillaud-Vivien, Flammarion, "Implicit bias of SGD for diagonal linear networks", 2021.
    Even, Pesme, Gunasekar, Flammarion, "(S)GD over diagonal linear networks", NeurIPS 2023.
    Papazov, Pesme, Flammarion, "Leveraging continuous time to understand momentum when
    training diagonal linear networks", AISTATS 2024.

    Examples
    --------
    >>> import numpy as np
    >>> from dlnfast import DiagonalLinearRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((40, 100)); beta = np.zeros(100); beta[:3] = [1.0, -2.0, 1.5]
    >>> model = DiagonalLinearRegressor(init_scale=1e-4, fit_intercept=False).fit(X, X @ beta)
    >>> bool(np.abs(model.coef_ - beta).max() < 1e-2)
    True
    """

    _parameter_constraints = {
        "parametrization": [StrOptions({"pm", "uv", "shape", "positive", "linear", "product"})],
        "init_scale": [Interval(numbers.Real, 0, None, closed="neither"), "array-like"],
        "init_shape": [None, tuple, list, np.ndarray],
        "depth": [Interval(numbers.Integral, 2, MAX_DEPTH, closed="both")],
        "solver": [StrOptions({"gd", "sgd", "md", "flow", "adam", "adagrad", "rmsprop"})],
        "batch_size": [None, Interval(numbers.Integral, 1, MAX_COUNT, closed="both")],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
        "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
        "epsilon": [Interval(numbers.Real, 0, None, closed="neither")],
        "sharpness_every": [None, Interval(numbers.Integral, 1, MAX_COUNT, closed="both")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "momentum": [Interval(numbers.Real, 0, 1, closed="left")],
        "nesterov": ["boolean"],
        "label_noise": [Interval(numbers.Real, 0, None, closed="left")],
        "step_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "step_size": [StrOptions({"auto"}), Interval(numbers.Real, 0, None, closed="neither")],
        "max_iter": [Interval(numbers.Integral, 0, MAX_COUNT, closed="both")],
        "tol": [Interval(numbers.Real, 0, None, closed="left")],
        "target_loss": [None, Interval(numbers.Real, 0, None, closed="left")],
        "time_limit": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "fit_intercept": ["boolean"],
        "flow_tol": [Interval(numbers.Real, 0, 1, closed="neither")],
        "warm_start": ["boolean"],
        "n_jobs": [None, Interval(numbers.Integral, None, MAX_N_JOBS, closed="right")],
        "verbose": ["verbose"],
        "loss_every": [Interval(numbers.Integral, 1, MAX_COUNT, closed="both")],
        "snapshot_iters": [None, "array-like"],
        "max_time": [None, Interval(numbers.Real, 0, None, closed="neither")],
        "time_scale": [StrOptions({"flow", "accelerated"})],
    }

    def __init__(self, *, parametrization="pm", init_scale=1e-3, init_shape=None, depth=2,
                 solver="gd", step_size="auto", max_iter=100_000, tol=1e-4, fit_intercept=True,
                 flow_tol=1e-7, warm_start=False, n_jobs=None, verbose=0, loss_every=1,
                 snapshot_iters=None, batch_size=None, shuffle=True, random_state=None, momentum=0.0,
                 nesterov=False, label_noise=0.0, step_decay=0.0, target_loss=None, time_limit=None,
                 weight_decay=0.0, beta_1=0.9, beta_2=0.999, epsilon=1e-8, sharpness_every=None,
                 max_time=None, time_scale="flow"):
        self.parametrization = parametrization
        self.init_scale = init_scale
        self.init_shape = init_shape
        self.depth = depth
        self.solver = solver
        self.step_size = step_size
        self.max_iter = max_iter
        self.tol = tol
        self.fit_intercept = fit_intercept
        self.flow_tol = flow_tol
        self.warm_start = warm_start
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.loss_every = loss_every
        self.snapshot_iters = snapshot_iters
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.random_state = random_state
        self.momentum = momentum
        self.nesterov = nesterov
        self.label_noise = label_noise
        self.step_decay = step_decay
        self.target_loss = target_loss
        self.time_limit = time_limit
        self.weight_decay = weight_decay
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.sharpness_every = sharpness_every
        self.max_time = max_time
        self.time_scale = time_scale

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Train the network on (X, y).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Used in place if C-contiguous float64/float32, else converted once.
        y : array-like of shape (n_samples,)
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights: the loss becomes Σ w_i r_i² / (2 Σ w_i).

        Returns
        -------
        self
        """
        X, y = validate_estimator_data(self, X, y, dtype=[np.float64, np.float32], order="C", y_numeric=True,
                             ensure_min_samples=2)
        sample_weight = _check_weights(sample_weight, X)
        param = make_parametrization(self.parametrization, self.init_scale, self.init_shape, self.depth,
                                     X.shape[1])
        snapshot_iters = self._check_solver_options(param)
        spec = param.mirror_spec() if _family(self.solver, param.name) == "mirror" else None
        key, state = self._initial_state(param, spec)
        start = state.copy()
        n_threads = effective_n_threads(self.n_jobs)
        problem = _engine.make_problem(X, y, sample_weight, self.fit_intercept, n_threads)
        cause = divergence_cause(problem.X, problem.y_centred, param.log_scale, param.depth)
        if cause is not None:  # every solver would diverge or stall on it: say why before any work
            raise ValueError(f"DiagonalLinearRegressor(solver={self.solver!r}) cannot train on this input: "
                             f"the cause is {cause}.")
        run = self._run(problem, param, spec, state, snapshot_iters, n_threads,
                        max_iter=self._degenerate_max_iter(problem, param, spec, state, n_threads))
        stalled = getattr(run, "stalled", None)
        self._raise_on_failure(run.result, param, problem, stalled)
        self._store_result(X.dtype, problem, param, key, start, state, run, snapshot_iters)
        self._store_sharpness(problem, param, start, run)
        self._report(run.result)
        if stalled is not None:
            self._report_stall(stalled)
        return self

    def _check_solver_options(self, param):
        """Checks of option combinations (each option alone is checked by the constraints and the
        parametrisation); returns the validated ``snapshot_iters``."""
        if self.label_noise > 0 and self.solver != "sgd":
            raise ValueError("label_noise is only available with solver='sgd' (noise on the sampled labels).")
        if (self.momentum > 0 or self.step_decay > 0) and self.solver not in ("gd", "sgd"):
            raise ValueError("momentum and step_decay apply to solver='gd' or 'sgd' (steps on the factors).")
        self._check_plain_options(param)
        if self.solver == "sgd" and param.depth >= 3 and param.init_shape is not None:
            raise ValueError("init_shape with depth >= 3 is only available for solver='gd'.")
        if (self.max_time is not None or self.time_scale != "flow") and self.solver != "flow":
            raise ValueError(f"max_time and time_scale apply to solver='flow' (a time of the gradient flow), "
                             f"not solver={self.solver!r}.")
        if self.max_time is not None and _family(self.solver, param.name) == "plain":
            raise ValueError(f"max_time is not available for solver='flow' with parametrization="
                             f"{param.name!r} (its factor flow stops on tol, max_iter or time_limit only).")
        if self.time_scale == "accelerated":
            _flow_path.check_clock(param.mirror_spec(), "time_scale='accelerated'")
        if self.solver == "flow" and self.snapshot_iters is not None:
            raise ValueError("snapshot_iters does not apply to solver='flow' (it has no iterations); "
                             "use dlnfast.gradient_flow(X, y, times, ...) for the trajectory.")
        return check_snapshot_iters(self.snapshot_iters)

    def _check_plain_options(self, param):
        """Checks of weight decay, the adaptive solvers, ``linear``/``product`` and sharpness."""
        if param.name in _PLAIN_ONLY and (self.solver == "md" or (self.solver == "flow" and param.name == "linear")):
            param.mirror_spec()  # raises: no mirror geometry for linear/product (product's flow: _product_flow)
        if self.weight_decay > 0 and self.solver in ("md", "flow"):
            raise ValueError("weight_decay applies to the solvers that train factors ('gd', 'sgd', 'adam', "
                             f"'adagrad', 'rmsprop'), not solver={self.solver!r}.")
        if self.weight_decay > 0 and param.depth >= 3:
            raise ValueError(f"weight_decay needs depth=2 (got depth={param.depth}): for depth D >= 3 the "
                             "induced penalty (λ/2)Σ|β|^(2/D) is not convex, 0 is a local minimum, and no "
                             "first-order stopping criterion tells its plateau from convergence.")
        if self.solver in _ADAPTIVE and param.name == "shape":
            raise ValueError("the adaptive solvers act on the factors of 'pm', 'uv', 'positive', 'linear' or "
                             "'product'; parametrization='shape' is not available with them.")
        if self.sharpness_every is not None and self.solver in ("md", "flow"):
            raise ValueError("sharpness_every applies to the solvers that train factors, not "
                             f"solver={self.solver!r}.")

    def _plain_batch_size(self, problem):
        """Mini-batch size for a FactorNet run (None: full batch)."""
        if self.solver == "sgd":
            return min(self.batch_size or 1, problem.X.shape[0])
        if self.solver in _ADAPTIVE and self.batch_size is not None:
            return min(self.batch_size, problem.X.shape[0])
        return None

    def _store_sharpness(self, problem, param, start, run):
        """``sharpness_curve_`` from the factors recorded every ``sharpness_every`` iterations."""
        self.layer_imbalance_ = layer_imbalance(np.array(self.weights_)) if param.name == "product" else None
        if not self.sharpness_every:
            self.sharpness_curve_, self.sharpness_iters_ = None, None
            return
        res = run.result
        rows = np.asarray(res.factor_path)
        d = param.n_features
        if _family(self.solver, param.name) == "plain":
            factors = [row.reshape(-1, d) for row in rows]
        else:  # engine rows [log w₊ | log w₋ | sign w₊ | sign w₋] of the two-branch network
            factors = []
            for row in rows:
                net = start.copy()
                net.log_w_pos, net.log_w_neg = row[:d].copy(), row[d:2 * d].copy()
                net.record_signs(row[2 * d:])
                factors.append(np.array(param.weights(net)))
        depth = param.depth if param.name == "pm" else 2
        self.sharpness_curve_ = sharpness_path(problem, param.name, depth, factors, self.weight_decay)
        self.sharpness_iters_ = np.asarray(res.factor_iters).copy()

    def _initial_state(self, param, spec):
        """(warm-start key, state to train from): the previous fit's state when ``warm_start`` and
        it was trained by the same solver family from the same parametrisation and initialisation
        (a copy, so a failed fit leaves it intact), else the initial state."""
        family = _family(self.solver, param.name)
        key = (family, param.warm_start_key())
        previous = getattr(self, "_warm_state", None)
        if self.warm_start and previous is not None and previous[0] == key:
            return key, previous[1].copy()
        if family == "plain":
            return key, _factors.initial_state(param)
        return key, (param.init_network() if spec is None else spec.theta0.copy())

    def _degenerate_max_iter(self, problem, param, spec, state, n_threads):
        """``max_iter`` for the run, after a check for a degenerate target.

        When ‖∇L(0)‖∞ (the stopping scale) is rounding noise (constant ``y`` with
        ``fit_intercept``, ``y`` = 0, or y_c orthogonal to every centred column), a relative
        criterion would chase noise through all ``max_iter`` iterations. The scale becomes
        ‖∇L(β₀)‖∞ at the start instead; when that is noise too, the start is already stationary
        and the fit is answered at once: a run of 0 iterations (β = β₀, 0 for the default starts,
        intercept_ = the weighted mean of y, n_iter_ = 0, converged, every attribute set as after
        any fit).
        """
        if not problem.degenerate:
            return self.max_iter
        # a run of 0 iterations evaluates the stopping criterion at β₀ (relative to the old scale)
        probe = self._run(problem, param, spec, state.copy(), None, n_threads, max_iter=0)
        gs = float(probe.result.criterion) * problem.grad_scale
        # the noise of X_cᵀW(X_cβ₀ − y_c): that of Xβ₀ and of y (= y_c + ȳ) together
        scale = np.abs(problem.X @ probe.coef) + np.abs(problem.y_centred) + abs(problem.y_mean)
        if gs <= _engine.noise_level(problem.X, scale) or not np.isfinite(gs):
            # stationary: any gradient left is noise, so measure it on a scale it cannot reach
            # (the engine then reports convergence at iteration 0)
            problem.grad_scale = float(np.finfo(np.float64).max)
            return 0
        problem.grad_scale = gs
        return self.max_iter

    def _run(self, problem, param, spec, state, snapshot_iters, n_threads, max_iter=None):
        """One engine call for ``self.solver`` from ``state`` (updated in place)."""
        max_iter = self.max_iter if max_iter is None else max_iter
        common = dict(n_threads=n_threads, loss_every=self.loss_every,
                      progress=self._progress_printer() if self.verbose else None,
                      target_loss=self.target_loss, time_limit=self.time_limit)
        factor_every = self.sharpness_every or 0
        if _family(self.solver, param.name) == "plain" and self.solver == "flow":
            return run_product_flow(problem, state, tol=self.flow_tol, grad_tol=self.tol, max_steps=max_iter,
                                    **common)
        if _family(self.solver, param.name) == "plain":
            return _factors.run_factors(
                problem, state, solver=self.solver, step_size=self.step_size, max_iter=max_iter, tol=self.tol,
                snapshot_iters=snapshot_iters, weight_decay=self.weight_decay, beta_1=self.beta_1,
                beta_2=self.beta_2, epsilon=self.epsilon, batch_size=self._plain_batch_size(problem),
                shuffle=self.shuffle, seed=seed_from_random_state(self.random_state),
                factor_every=factor_every, momentum=self.momentum, nesterov=self.nesterov,
                step_decay=self.step_decay, label_noise=self.label_noise, **common)
        if self.solver == "flow":
            rk_tol, t_end = self._flow_limits(spec)
            # tol=0 asks for the whole max_iter budget: no stall detection then
            stall = StallDetector(common["progress"]) if self.tol > 0 else None
            if stall is not None:
                common["progress"] = stall
            run = _dynamics.run_flow(problem, spec, state, tol=rk_tol, grad_tol=self.tol,
                                     max_steps=max_iter, t_end=t_end, **common)
            run.stalled = None if stall is None else stall.stalled_at
            return run
        common.update(step_size=self.step_size, max_iter=max_iter, tol=self.tol, snapshot_iters=snapshot_iters)
        if self.solver == "md":
            return _dynamics.run_md(problem, spec, state, **common)
        common.update(momentum=self.momentum, nesterov=self.nesterov, step_decay=self.step_decay,
                      weight_decay=self.weight_decay, factor_every=factor_every)
        if self.solver == "gd":
            return _engine.run_gd(problem, state, **common)
        return _engine.run_sgd(problem, state, batch_size=min(self.batch_size or 1, problem.X.shape[0]),
                               shuffle=self.shuffle, seed=seed_from_random_state(self.random_state),
                               label_noise=self.label_noise, **common)

    def _flow_limits(self, spec):
        """The mirror flow's local error tolerance and stop time (also fit_path's batched flows)."""
        # a local error above the gradient tolerance leaves β noisy at that level, and the
        # criterion is then never met (measured: tol=1e-8 with flow_tol=1e-7 ran 2,598 steps
        # without converging; flow_tol ≤ tol converged in 177): cap it at tol/2
        rk_tol = min(self.flow_tol, 0.5 * self.tol) if self.tol > 0 else self.flow_tol
        t_end = np.inf
        if self.max_time is not None:
            t_end = float(self.max_time)
            if self.time_scale == "accelerated":  # t = t̃ / (rate/log(1/a))
                t_end /= _flow_path.check_clock(spec, "time_scale='accelerated'")[0]
        return rk_tol, t_end

    def _raise_on_failure(self, res, param, problem=None, stalled=None):
        """Divergence is a ValueError naming the knob to change (the data's scale, the
        initialisation's scale or the step, see ``_diagnosis``); Ctrl-C is KeyboardInterrupt."""
        if stalled is not None:  # stopped by the stall detector (reported by _report)
            return
        if res.status == _core.Status.interrupted:  # pragma: no cover - Python raises first
            raise KeyboardInterrupt
        if res.status != _core.Status.diverged:
            return
        if _family(self.solver, param.name) == "plain":
            raise ValueError(
                f"Training (solver={self.solver!r}, parametrization={param.name!r}) diverged at iteration "
                f"{res.n_iter} with step_size={user_repr(self.step_size)}: a value became non-finite; use a "
                "smaller step_size.")
        cause = None if problem is None else \
            divergence_cause(problem.X, problem.y_centred, param.log_scale, param.depth)
        if cause is not None:
            raise ValueError(f"Training (solver={self.solver!r}) diverged at iteration {res.n_iter} "
                             f"with step_size={user_repr(self.step_size)}: a value became non-finite. "
                             f"The cause is {cause}.")
        auto = isinstance(self.step_size, str)  # never suggest 'auto' to a run that used it
        if _FAMILY[self.solver] == "factors":
            if res.suggested_step > 0:
                hint = f"; try step_size={res.suggested_step / param.step_factor:.3g}" + ("" if auto else " or 'auto'")
            else:
                hint = "; try a fixed step_size below the bound" if auto else "; try step_size='auto'"
            raise ValueError(
                f"Training (solver={self.solver!r}) diverged at iteration {res.n_iter} with "
                f"step_size={user_repr(self.step_size)}: a factor changed sign or a value became non-finite (the step "
                f"must keep {param.stability_condition()}){hint}.")
        what = "Mirror descent" if self.solver == "md" else "The gradient-flow integrator"
        md_hint = "try a fixed, smaller step_size" if auto else "try step_size='auto'"
        hint = (f" with step_size={user_repr(self.step_size)}; {md_hint}" if self.solver == "md"
                else f"; try a smaller flow_tol than {self.flow_tol:g}")
        raise ValueError(f"{what} diverged (a value became non-finite or a depth-D mirror coordinate "
                         f"left its domain){hint}.")

    def _store_result(self, dtype, problem, param, key, start, state, run, snapshot_iters):
        """Every fitted attribute, for every solver, in one place (so a refit leaves nothing stale)."""
        res = run.result
        family = _family(self.solver, param.name)
        factors = family == "factors"
        self._warm_state = (key, state)
        self.coef_ = run.coef.astype(dtype, copy=False)
        offset = problem.x_mean @ run.coef if problem.x_mean is not None else 0.0
        self.intercept_ = dtype.type(problem.y_mean - offset) if self.fit_intercept else dtype.type(0.0)
        self.n_iter_ = int(res.n_iter)
        self.loss_curve_ = run.loss_curve
        self.n_loss_increases_ = int(res.n_loss_increases)
        self.coef_path_ = run.snapshots
        self.snapshot_iters_ = None if snapshot_iters is None else snapshot_iters[: run.snapshots.shape[0]]
        self.weights_ = state.weights() if family != "mirror" else None
        self.mirror_coef_ = state.copy() if family == "mirror" else None
        if family == "plain":  # α_∞ (:ref:`ug-identities`) is an identity of multiplicative GD steps only
            self.effective_init_scale_, self.gain_ = None, None
        elif factors:
            self.effective_init_scale_, self.gain_ = param.effective_init_scale(start, state)
        else:  # no gain without discrete factor steps
            self.effective_init_scale_, self.gain_ = param.scale.copy(), np.zeros(param.n_features)
        self.step_size_ = res.step / param.step_factor if factors else res.step
        self.lambda_max_ = res.lambda_max if (self.step_size == "auto" and self.solver not in ("flow",) + _ADAPTIVE) \
            else None
        self.flow_time_ = float(res.t) if self.solver == "flow" else None
        clocks = _flow_path.clock_factors(param.mirror_spec()) \
            if self.solver == "flow" and _family(self.solver, param.name) != "plain" else None
        self.flow_time_accelerated_ = None if clocks is None else clocks[0] * self.flow_time_

    def _report_stall(self, stalled):
        """The ConvergenceWarning of a flow stopped by its :class:`StallDetector`."""
        start, best = stalled
        rk_tol = min(self.flow_tol, 0.5 * self.tol) if self.tol > 0 else self.flow_tol
        warnings.warn(
            f"DiagonalLinearRegressor(solver='flow') stalled: the criterion ‖∇L‖∞/‖∇L(0)‖∞ = {best:.3g} "
            f"improved by less than {1 - StallDetector.FACTOR:.0%} over {self.n_iter_ - start} flow steps "
            f"(from step {start} to {self.n_iter_}): at that rate tol={self.tol:g} is out of reach within "
            f"max_iter={self.max_iter}, so the run stopped there. The integrator's tolerance "
            f"min(flow_tol, tol/2) = {rk_tol:g} is likely below what float64 resolves: use a larger tol "
            "(and flow_tol), or solver='gd'.",
            ConvergenceWarning, stacklevel=4)  # the caller of fit (through _fit_context)

    def _report(self, res):
        """The verbose summary, and a ConvergenceWarning when the run stopped before ``tol``."""
        unit = "iterations" if self.solver in ("gd", "sgd") else f"{self.solver} steps"
        if self.verbose:
            print(f"[DiagonalLinearRegressor] {res.status.name} after {self.n_iter_} {unit}: "
                  f"loss={res.loss:.6g}, criterion={res.criterion:.3g} (tol={self.tol:g})")
        achieved = f"criterion ‖∇L‖∞/‖∇L(0)‖∞ = {res.criterion:.3g} > tol = {self.tol:g}"
        if res.stopped_by == "time_limit":
            warnings.warn(
                f"DiagonalLinearRegressor(solver={self.solver!r}) stopped at time_limit={self.time_limit:g} s "
                f"after {self.n_iter_} {unit} before converging: {achieved}, loss = {res.loss:.6g}. "
                "Increase time_limit, or use a larger init_scale (shorter plateaus).",
                ConvergenceWarning, stacklevel=4)  # the caller of fit (through _fit_context)
        elif res.status == _core.Status.max_iter:
            warnings.warn(
                f"DiagonalLinearRegressor(solver={self.solver!r}) did not converge in max_iter={self.max_iter} "
                f"{unit}: {achieved}. Increase max_iter, or use a larger init_scale (shorter plateaus).",
                ConvergenceWarning, stacklevel=4)  # the caller of fit (through _fit_context)

    def implicit_bias_limit(self, X, y, sample_weight=None, *, tol=1e-10):
        """Where gradient flow with this estimator's settings lands on (X, y), without training.

        Solves ``argmin {D_Φ(β, β₀) : X_c β = y_c}`` for the potential Φ of ``parametrization``,
        ``init_scale``, ``init_shape`` and ``depth`` (X_c, y_c centred as in :meth:`fit` when
        ``fit_intercept``; positive weights do not change the interpolating set). This is the
        limit of ``solver="flow"`` and ``"md"``; ``"gd"`` lands within O(step_size) of it.
        See :func:`dlnfast.implicit_bias_limit`.

        Returns
        -------
        ImplicitBiasLimit
            ``coef`` and the certificate (``interpolation_residual``, ``mirror_residual``).
        """
        self._validate_params()  # the hyper-parameters are checked here as in fit
        X, y = check_dense_X_y(X, y)
        sample_weight = _check_weights(sample_weight, X)
        if self.fit_intercept:
            w = np.full(X.shape[0], 1.0 / X.shape[0]) if sample_weight is None else \
                sample_weight / np.sum(sample_weight)
            X = X - w @ X
            y_c = y - w @ y
            # a constant y centres to rounding noise, which X_c (rank ≤ n − 1) cannot interpolate:
            # it is y_c = 0, as in fit (β = β₀, the start itself)
            noise = 16.0 * np.finfo(np.float64).eps * y.shape[0] * float(np.max(np.abs(y)))
            y = y_c if np.max(np.abs(y_c)) > noise else np.zeros_like(y_c)
        return _implicit_bias_limit(X, y, init_scale=self.init_scale, parametrization=self.parametrization,
                                    depth=self.depth, init_shape=self.init_shape, tol=tol)

    def _progress_printer(self):
        every = 1.0 if self.verbose == 1 else 0.1
        last = [-np.inf]

        def progress(it, loss, criterion, elapsed):
            if elapsed - last[0] >= every:
                last[0] = elapsed
                print(f"iter {it:>9d}  loss {loss:.6e}  criterion {criterion:.3e}  elapsed {elapsed:8.2f}s", flush=True)
            return False

        return progress

    def predict(self, X):
        """Predict ``X @ coef_ + intercept_`` (pure numpy; never calls the engine)."""
        check_is_fitted(self)
        X = validate_estimator_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return X @ self.coef_ + self.intercept_
