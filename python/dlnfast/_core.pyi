"""
dlnfast C++ engine (internal; use the dlnfast package instead)
"""
from __future__ import annotations
import numpy
import numpy.typing
import typing
__all__: list[str] = ['EntropicNewton', 'FactorOptions', 'LpOptions', 'LpStepRule', 'LpUpdate', 'MirrorSpec', 'Result', 'SolveOptions', 'Status', 'dense_inverse', 'factor_gd', 'factor_sgd', 'flow', 'flow_many', 'gd', 'gd_many', 'has_openmp', 'lp_dense', 'lp_sparse', 'lp_transport', 'md', 'md_many', 'min_norm_lstsq', 'network_simplex_dense', 'network_simplex_edges', 'omp_max_threads', 'sgd', 'stream_sum', 'xt_dot']
class Status:
    """
    Members:
    
      converged
    
      max_iter
    
      diverged
    
      interrupted
    
      time_limit
    
      target_loss
    """
    __members__: typing.ClassVar[dict[str, Status]]
    converged: typing.ClassVar[Status]
    diverged: typing.ClassVar[Status]
    interrupted: typing.ClassVar[Status]
    max_iter: typing.ClassVar[Status]
    target_loss: typing.ClassVar[Status]
    time_limit: typing.ClassVar[Status]
    @typing.overload
    def __eq__(self, other: Status) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: Status) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class Result:
    """
    What a solve returns: its status and counts, and its arrays.
    """
    @property
    def coef(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def criterion(self) -> float:
        ...
    @property
    def elapsed(self) -> float:
        ...
    @property
    def factor_iters(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def factor_path(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def lambda_max(self) -> float:
        ...
    @property
    def log_loss(self) -> float:
        """
        margin losses: log L at the returned beta (finite where L underflows)
        """
    @property
    def loss(self) -> float:
        ...
    @property
    def loss_curve(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def loss_times(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def n_grad(self) -> int:
        ...
    @property
    def n_iter(self) -> int:
        ...
    @property
    def n_loss_increases(self) -> int:
        ...
    @property
    def n_rejected(self) -> int:
        ...
    @property
    def signs(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def snapshots(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
    @property
    def status(self) -> Status:
        ...
    @property
    def step(self) -> float:
        ...
    @property
    def stopped_by(self) -> str:
        """
        Which rule ended the run: 'tol', 'target_loss', 'max_iter', 'time_limit', 'diverged' or 'interrupted'.
        """
    @property
    def suggested_step(self) -> float:
        ...
    @property
    def t(self) -> float:
        ...
    @property
    def theta_path(self) -> numpy.typing.NDArray[numpy.float64]:
        ...
class SolveOptions:
    """
    Options of gd, sgd, md and flow (see dlnfast/core/control.hpp).
    """
    auto_step: bool
    nesterov: bool
    normalised_clock: bool
    shuffle: bool
    def __init__(self, **kwargs) -> None:
        """
        Options by keyword; every field not given keeps its default.
        """
    @property
    def batch_size(self) -> int:
        ...
    @batch_size.setter
    def batch_size(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def depth(self) -> int:
        ...
    @depth.setter
    def depth(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def eval_every(self) -> int:
        ...
    @eval_every.setter
    def eval_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def factor_every(self) -> int:
        ...
    @factor_every.setter
    def factor_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def grad_scale(self) -> float:
        ...
    @grad_scale.setter
    def grad_scale(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def h0(self) -> float:
        ...
    @h0.setter
    def h0(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def intercept_scaling(self) -> float:
        ...
    @intercept_scaling.setter
    def intercept_scaling(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def label_noise(self) -> float:
        ...
    @label_noise.setter
    def label_noise(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def lambda_max(self) -> float:
        ...
    @lambda_max.setter
    def lambda_max(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def loss(self) -> int:
        ...
    @loss.setter
    def loss(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def loss_every(self) -> int:
        ...
    @loss_every.setter
    def loss_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_iter(self) -> int:
        ...
    @max_iter.setter
    def max_iter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_parallel_work(self) -> int:
        ...
    @min_parallel_work.setter
    def min_parallel_work(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def momentum(self) -> float:
        ...
    @momentum.setter
    def momentum(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def n_threads(self) -> int:
        ...
    @n_threads.setter
    def n_threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rk_tol(self) -> float:
        ...
    @rk_tol.setter
    def rk_tol(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        ...
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def step(self) -> float:
        ...
    @step.setter
    def step(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def step_decay(self) -> float:
        ...
    @step_decay.setter
    def step_decay(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def t_end(self) -> float:
        ...
    @t_end.setter
    def t_end(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def target_loss(self) -> float:
        ...
    @target_loss.setter
    def target_loss(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def time_limit(self) -> float:
        ...
    @time_limit.setter
    def time_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def tol(self) -> float:
        ...
    @tol.setter
    def tol(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_decay(self) -> float:
        ...
    @weight_decay.setter
    def weight_decay(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class MirrorSpec:
    """
    The mirror geometry: kind (0 hyperbolic, 1 depth, 2 entropic), rate, depth.
    """
    def __init__(self, **kwargs) -> None:
        """
        Options by keyword; every field not given keeps its default.
        """
    @property
    def depth(self) -> int:
        ...
    @depth.setter
    def depth(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def kind(self) -> int:
        ...
    @kind.setter
    def kind(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def rate(self) -> float:
        ...
    @rate.setter
    def rate(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class FactorOptions:
    """
    Options of factor_gd and factor_sgd (see nets/factor_net.hpp).
    """
    auto_step: bool
    nesterov: bool
    shuffle: bool
    def __init__(self, **kwargs) -> None:
        """
        Options by keyword; every field not given keeps its default.
        """
    @property
    def batch_size(self) -> int:
        ...
    @batch_size.setter
    def batch_size(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def beta_1(self) -> float:
        ...
    @beta_1.setter
    def beta_1(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def beta_2(self) -> float:
        ...
    @beta_2.setter
    def beta_2(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def depth(self) -> int:
        ...
    @depth.setter
    def depth(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def epsilon(self) -> float:
        ...
    @epsilon.setter
    def epsilon(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def eval_every(self) -> int:
        ...
    @eval_every.setter
    def eval_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def factor_every(self) -> int:
        ...
    @factor_every.setter
    def factor_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def grad_scale(self) -> float:
        ...
    @grad_scale.setter
    def grad_scale(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def kind(self) -> int:
        ...
    @kind.setter
    def kind(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def label_noise(self) -> float:
        ...
    @label_noise.setter
    def label_noise(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def lambda_max(self) -> float:
        ...
    @lambda_max.setter
    def lambda_max(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def loss_every(self) -> int:
        ...
    @loss_every.setter
    def loss_every(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def max_iter(self) -> int:
        ...
    @max_iter.setter
    def max_iter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_parallel_work(self) -> int:
        ...
    @min_parallel_work.setter
    def min_parallel_work(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def momentum(self) -> float:
        ...
    @momentum.setter
    def momentum(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def n_threads(self) -> int:
        ...
    @n_threads.setter
    def n_threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def optimizer(self) -> int:
        ...
    @optimizer.setter
    def optimizer(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def seed(self) -> int:
        ...
    @seed.setter
    def seed(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def step(self) -> float:
        ...
    @step.setter
    def step(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def step_decay(self) -> float:
        ...
    @step_decay.setter
    def step_decay(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def target_loss(self) -> float:
        ...
    @target_loss.setter
    def target_loss(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def time_limit(self) -> float:
        ...
    @time_limit.setter
    def time_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def tol(self) -> float:
        ...
    @tol.setter
    def tol(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def weight_decay(self) -> float:
        ...
    @weight_decay.setter
    def weight_decay(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class LpUpdate:
    """
    Members:
    
      dln_gd
    
      exponentiated_gradient
    """
    __members__: typing.ClassVar[dict[str, LpUpdate]]
    dln_gd: typing.ClassVar[LpUpdate]
    exponentiated_gradient: typing.ClassVar[LpUpdate]
    @typing.overload
    def __eq__(self, other: LpUpdate) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: LpUpdate) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class LpStepRule:
    """
    Members:
    
      paper
    
      adaptive
    
      fixed
    """
    __members__: typing.ClassVar[dict[str, LpStepRule]]
    adaptive: typing.ClassVar[LpStepRule]
    fixed: typing.ClassVar[LpStepRule]
    paper: typing.ClassVar[LpStepRule]
    @typing.overload
    def __eq__(self, other: LpStepRule) -> bool:
        ...
    @typing.overload
    def __eq__(self, other: typing.Any) -> bool:
        ...
    def __getstate__(self) -> int:
        ...
    def __hash__(self) -> int:
        ...
    def __index__(self) -> int:
        ...
    def __init__(self, value: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __int__(self) -> int:
        ...
    @typing.overload
    def __ne__(self, other: LpStepRule) -> bool:
        ...
    @typing.overload
    def __ne__(self, other: typing.Any) -> bool:
        ...
    def __repr__(self) -> str:
        ...
    def __setstate__(self, state: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    def __str__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def value(self) -> int:
        ...
class LpOptions:
    step_rule: LpStepRule
    update: LpUpdate
    def __init__(self, **kwargs) -> None:
        """
        Options by keyword; every field not given keeps its default.
        """
    @property
    def initial_step(self) -> float:
        ...
    @initial_step.setter
    def initial_step(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def loss_cap(self) -> float:
        ...
    @loss_cap.setter
    def loss_cap(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def max_iter(self) -> int:
        ...
    @max_iter.setter
    def max_iter(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def min_parallel_work(self) -> int:
        ...
    @min_parallel_work.setter
    def min_parallel_work(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def n_threads(self) -> int:
        ...
    @n_threads.setter
    def n_threads(self, arg0: typing.SupportsInt | typing.SupportsIndex) -> None:
        ...
    @property
    def norm_a_sq(self) -> float:
        ...
    @norm_a_sq.setter
    def norm_a_sq(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def step_size(self) -> float:
        ...
    @step_size.setter
    def step_size(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def time_limit(self) -> float:
        ...
    @time_limit.setter
    def time_limit(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
    @property
    def tol(self) -> float:
        ...
    @tol.setter
    def tol(self, arg0: typing.SupportsFloat | typing.SupportsIndex) -> None:
        ...
class EntropicNewton:
    """
    Damped Newton on the entropic LP's dual, A kept in CSR (internal).
    """
    def __init__(self, indptr: numpy.typing.NDArray[numpy.int64], indices: numpy.typing.NDArray[numpy.int64], data: numpy.typing.NDArray[numpy.float64], m: typing.SupportsInt | typing.SupportsIndex, n: typing.SupportsInt | typing.SupportsIndex, n_diag: typing.SupportsInt | typing.SupportsIndex = 0, mode: str = 'auto') -> None:
        ...
    def stage(self, b: numpy.typing.NDArray[numpy.float64], c: numpy.typing.NDArray[numpy.float64], reg: typing.SupportsFloat | typing.SupportsIndex, nu: numpy.typing.NDArray[numpy.float64], tol: typing.SupportsFloat | typing.SupportsIndex, stall_tol: typing.SupportsFloat | typing.SupportsIndex, max_steps: typing.SupportsInt | typing.SupportsIndex, time_left: typing.SupportsFloat | typing.SupportsIndex, max_jitter: typing.SupportsFloat | typing.SupportsIndex) -> tuple:
        """
        One Newton stage at fixed reg from nu (updated in place); returns (x or None on overflow, steps, converged, reason, residual).
        """
    @property
    def mode(self) -> str:
        ...
def dense_inverse(B: numpy.typing.NDArray[numpy.float64]) -> typing.Any:
    """
    Inverse of a dense square matrix by partial-pivoting LU; None when it is singular.
    """
@typing.overload
def factor_gd(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], options: FactorOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Full-batch GD or an adaptive method (options.optimizer) on plain factors theta (K x d, in/out; dlnfast/nets/factor_net.hpp); returns a Result.
    """
@typing.overload
def factor_gd(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], options: FactorOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Full-batch GD or an adaptive method (options.optimizer) on plain factors theta (K x d, in/out; dlnfast/nets/factor_net.hpp); returns a Result.
    """
@typing.overload
def factor_sgd(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], options: FactorOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mini-batch SGD or an adaptive method on plain factors theta (as factor_gd).
    """
@typing.overload
def factor_sgd(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], options: FactorOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mini-batch SGD or an adaptive method on plain factors theta (as factor_gd).
    """
@typing.overload
def flow(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], spec: MirrorSpec, options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, times: numpy.typing.NDArray[numpy.float64] | None = None, keep_theta: bool = False, progress: typing.Any = None) -> Result:
    """
    Gradient flow d theta/dt = -g by Dormand-Prince 5(4) in mirror coordinates (dlnfast/drivers/flow.hpp); theta (in/out) is written; Result.snapshots holds beta at `times` (theta_path theta there with keep_theta), loss_curve/loss_times the loss every loss_every steps.
    """
@typing.overload
def flow(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], spec: MirrorSpec, options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, times: numpy.typing.NDArray[numpy.float64] | None = None, keep_theta: bool = False, progress: typing.Any = None) -> Result:
    """
    Gradient flow d theta/dt = -g by Dormand-Prince 5(4) in mirror coordinates (dlnfast/drivers/flow.hpp); theta (in/out) is written; Result.snapshots holds beta at `times` (theta_path theta there with keep_theta), loss_curve/loss_times the loss every loss_every steps.
    """
@typing.overload
def flow_many(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], kind: typing.SupportsInt | typing.SupportsIndex, rate: typing.SupportsFloat | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex, options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None) -> list[Result]:
    """
    K gradient flows sharing X and the mirror kind/rate/depth (dlnfast/drivers/batched_flow.hpp): theta and log_scale (K, d); theta (in/out) is written; options: one SolveOptions per row (rk_tol, t_end, h0 per flow). Every Runge-Kutta stage evaluates all running flows in one pass over X. Returns a list of K Results (loss_times included), each bit-identical to _core.flow without times.
    """
@typing.overload
def flow_many(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], kind: typing.SupportsInt | typing.SupportsIndex, rate: typing.SupportsFloat | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex, options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None) -> list[Result]:
    """
    K gradient flows sharing X and the mirror kind/rate/depth (dlnfast/drivers/batched_flow.hpp): theta and log_scale (K, d); theta (in/out) is written; options: one SolveOptions per row (rk_tol, t_end, h0 per flow). Every Runge-Kutta stage evaluates all running flows in one pass over X. Returns a list of K Results (loss_times included), each bit-identical to _core.flow without times.
    """
@typing.overload
def gd(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Full-batch GD (momentum if options.momentum > 0) on beta = w+^D - w-^D (dlnfast/drivers/full_batch.hpp). X is used in place; log_w_pos/log_w_neg (in: initial, out: final log-factors) are written; returns a Result (coef, signs, loss_curve, snapshots).
    """
@typing.overload
def gd(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Full-batch GD (momentum if options.momentum > 0) on beta = w+^D - w-^D (dlnfast/drivers/full_batch.hpp). X is used in place; log_w_pos/log_w_neg (in: initial, out: final log-factors) are written; returns a Result (coef, signs, loss_curve, snapshots).
    """
@typing.overload
def gd_many(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, blocked: bool = False) -> list[Result]:
    """
    K gd configurations sharing X in one call (dlnfast/drivers/batched.hpp): log_w_pos/log_w_neg (K, d), in: initial, out: final log-factors; options: one SolveOptions per row. Returns a list of K Results, each bit-identical to _core.gd on that row alone (blocked=True: the fused multi-configuration kernel per block of rows instead, equal up to rounding).
    """
@typing.overload
def gd_many(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, blocked: bool = False) -> list[Result]:
    """
    K gd configurations sharing X in one call (dlnfast/drivers/batched.hpp): log_w_pos/log_w_neg (K, d), in: initial, out: final log-factors; options: one SolveOptions per row. Returns a list of K Results, each bit-identical to _core.gd on that row alone (blocked=True: the fused multi-configuration kernel per block of rows instead, equal up to rounding).
    """
def lp_dense(A: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], log_u: numpy.typing.NDArray[numpy.float64], omega: numpy.typing.NDArray[numpy.float64], eta_r_sum: numpy.typing.NDArray[numpy.float64], options: LpOptions, momentum: numpy.typing.NDArray[numpy.float64] | None = None) -> Result:
    """
    DLN GD / EG on ½‖A(u⊙u) − b‖² for dense row-major A; updates log_u, omega, eta_r_sum in place.
    """
def lp_sparse(indptr: numpy.typing.NDArray[numpy.int64], indices: numpy.typing.NDArray[numpy.int64], data: numpy.typing.NDArray[numpy.float64], t_indptr: numpy.typing.NDArray[numpy.int64], t_indices: numpy.typing.NDArray[numpy.int64], t_data: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], log_u: numpy.typing.NDArray[numpy.float64], omega: numpy.typing.NDArray[numpy.float64], eta_r_sum: numpy.typing.NDArray[numpy.float64], options: LpOptions, momentum: numpy.typing.NDArray[numpy.float64] | None = None) -> Result:
    """
    DLN GD / EG for A given in CSR (int64 indices) with its transpose in CSR.
    """
def lp_transport(a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], log_u: numpy.typing.NDArray[numpy.float64], omega: numpy.typing.NDArray[numpy.float64], eta_r_sum: numpy.typing.NDArray[numpy.float64], options: LpOptions, momentum: numpy.typing.NDArray[numpy.float64] | None = None) -> Result:
    """
    DLN GD / EG for optimal transport, matrix-free (Aᵀr = g_i + h_j); log_u is (n1, n2).
    """
@typing.overload
def md(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], spec: MirrorSpec, options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mirror descent theta <- theta - eta*g on a MirrorNet (dlnfast/nets/mirror_net.hpp) through the full-batch driver; theta (in/out) is written; returns a Result.
    """
@typing.overload
def md(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], spec: MirrorSpec, options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mirror descent theta <- theta - eta*g on a MirrorNet (dlnfast/nets/mirror_net.hpp) through the full-batch driver; theta (in/out) is written; returns a Result.
    """
@typing.overload
def md_many(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], kind: typing.SupportsInt | typing.SupportsIndex, rate: typing.SupportsFloat | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex, options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, blocked: bool = False) -> list[Result]:
    """
    K mirror-descent configurations sharing X and the mirror kind/rate/depth: theta and log_scale (K, d); theta (in/out) is written. Returns a list of K Results, each bit-identical to _core.md.
    """
@typing.overload
def md_many(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], theta: numpy.typing.NDArray[numpy.float64], log_scale: numpy.typing.NDArray[numpy.float64], kind: typing.SupportsInt | typing.SupportsIndex, rate: typing.SupportsFloat | typing.SupportsIndex, depth: typing.SupportsInt | typing.SupportsIndex, options: list, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, blocked: bool = False) -> list[Result]:
    """
    K mirror-descent configurations sharing X and the mirror kind/rate/depth: theta and log_scale (K, d); theta (in/out) is written. Returns a list of K Results, each bit-identical to _core.md.
    """
def min_norm_lstsq(A: numpy.typing.NDArray[numpy.float64], r: numpy.typing.NDArray[numpy.float64]) -> numpy.typing.NDArray[numpy.float64]:
    """
    Least-norm least-squares solution of A x = r (complete orthogonal decomposition).
    """
def network_simplex_dense(a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], M: numpy.typing.NDArray[numpy.float64], max_pivots: typing.SupportsInt | typing.SupportsIndex, time_limit: typing.SupportsFloat | typing.SupportsIndex) -> tuple:
    """
    Exact OT on all n1·n2 edges by the network simplex (flow in M's C order); returns (flow, f, g, status, n_pivots, artificial_flow, time_limit_hit, cost) with status 0 optimal, 1 limit, 2 infeasible, 3 interrupted.
    """
def network_simplex_edges(a: numpy.typing.NDArray[numpy.float64], b: numpy.typing.NDArray[numpy.float64], rows: numpy.typing.NDArray[numpy.int64], cols: numpy.typing.NDArray[numpy.int64], cost: numpy.typing.NDArray[numpy.float64], max_pivots: typing.SupportsInt | typing.SupportsIndex, time_limit: typing.SupportsFloat | typing.SupportsIndex) -> tuple:
    """
    Exact OT on the listed edges (rows[e] → cols[e], cost[e]) by the network simplex; returns (flow, f, g, status, n_pivots, artificial_flow, time_limit_hit, cost) with status 0 optimal, 1 limit, 2 infeasible, 3 interrupted.
    """
def omp_max_threads() -> int:
    """
    omp_get_max_threads() (1 without OpenMP): the limit set by OMP_NUM_THREADS or threadpoolctl.
    """
@typing.overload
def sgd(X: numpy.typing.NDArray[numpy.float64], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mini-batch SGD on beta = w+^D - w-^D (dlnfast/drivers/stochastic.hpp); as gd. options.loss_every counts steps and must be a multiple of options.eval_every.
    """
@typing.overload
def sgd(X: numpy.typing.NDArray[numpy.float32], y: numpy.typing.NDArray[numpy.float64], log_w_pos: numpy.typing.NDArray[numpy.float64], log_w_neg: numpy.typing.NDArray[numpy.float64], options: SolveOptions, *, weights: numpy.typing.NDArray[numpy.float64] | None = None, x_mean: numpy.typing.NDArray[numpy.float64] | None = None, snapshot_iters: numpy.typing.NDArray[numpy.int64] | None = None, progress: typing.Any = None) -> Result:
    """
    Mini-batch SGD on beta = w+^D - w-^D (dlnfast/drivers/stochastic.hpp); as gd. options.loss_every counts steps and must be a multiple of options.eval_every.
    """
@typing.overload
def stream_sum(X: numpy.typing.NDArray[numpy.float64], n_threads: typing.SupportsInt | typing.SupportsIndex, repeats: typing.SupportsInt | typing.SupportsIndex = 1) -> float:
    """
    Sum of X read `repeats` times with n_threads threads, a barrier after each pass (the benchmarks' bandwidth bound: one full-batch iteration cannot beat one pass).
    """
@typing.overload
def stream_sum(X: numpy.typing.NDArray[numpy.float32], n_threads: typing.SupportsInt | typing.SupportsIndex, repeats: typing.SupportsInt | typing.SupportsIndex = 1) -> float:
    ...
@typing.overload
def xt_dot(X: numpy.typing.NDArray[numpy.float64], v: numpy.typing.NDArray[numpy.float64], n_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    X^T v in float64 with the engine's kernel (X used in place).
    """
@typing.overload
def xt_dot(X: numpy.typing.NDArray[numpy.float32], v: numpy.typing.NDArray[numpy.float64], n_threads: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.float64]:
    """
    X^T v in float64 with the engine's kernel (X used in place).
    """
__version__: str = ''
has_openmp: bool = True
