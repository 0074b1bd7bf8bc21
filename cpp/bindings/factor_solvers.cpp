// Bindings of the plain-factor solvers (nets/factor_net.hpp): GD, SGD and the adaptive methods
// (optim/adaptive.hpp) on the user's own factors, for the linear model and for optimisers that
// are not rotation invariant. One call per solve with a FactorOptions object built by keyword.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/drivers/full_batch.hpp"
#include "dlnfast/drivers/stochastic.hpp"
#include "dlnfast/loss/least_squares.hpp"
#include "dlnfast/nets/factor_net.hpp"
#include "dlnfast/optim/adaptive.hpp"
#include "dlnfast/optim/factor_momentum.hpp"
#include "dlnfast/optim/plain.hpp"
#include "dlnfast/optim/recording.hpp"
#include "dlnfast/optim/weight_decay.hpp"

namespace dlnfast::bindings {
namespace {

struct FactorOptions {
  // stopping and step (core/control.hpp)
  Index max_iter = 1000;
  double tol = 1e-5;
  double target_loss = -std::numeric_limits<double>::infinity();
  double time_limit = std::numeric_limits<double>::infinity();
  bool auto_step = false;
  double step = 1e-3;
  double step_decay = 0.0;
  double grad_scale = 1.0;
  double lambda_max = 0.0;
  int n_threads = 1;
  Index min_parallel_work = kMinParallelWork;
  Index loss_every = 1;
  // network: kind (FactorKind) and depth (pm's D, product's L)
  int kind = 0;
  int depth = 2;
  // optimiser: -1 plain GD, else AdaptiveKind (0 adam, 1 adagrad, 2 rmsprop, 3 adagrad-norm)
  int optimizer = -1;
  double beta_1 = 0.9, beta_2 = 0.999, epsilon = 1e-8;
  double weight_decay = 0.0;
  Index factor_every = 0;
  double momentum = 0.0;  ///< heavy ball (optim/factor_momentum.hpp) with the plain step
  bool nesterov = false;
  // SGD (drivers/stochastic.hpp)
  Index batch_size = 1;
  bool shuffle = false;
  std::uint64_t seed = 0;
  double label_noise = 0.0;
  Index eval_every = 1;

  StopRules stop() const { return StopRules{max_iter, tol, target_loss, time_limit}; }
  StepRule step_rule() const { return StepRule{auto_step, step, step_decay}; }
};

template <class T>
Output factor_run(const Matrix<T>& X, const DArray& y, DArray theta, const FactorOptions& o,
                  const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
                  const std::optional<IArray>& snapshot_iters, py::object progress, bool stochastic) {
  check_matrix(X);
  const Index n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  LeastSquares<T> loss(X.data(), n, d, y.data(), optional_ptr(weights, n, "weights"), optional_ptr(x_mean, d, "x_mean"));
  if (o.kind < 0 || o.kind > 4) throw std::invalid_argument("unknown factor kind");
  const Index K = FactorNet::n_factors_of(static_cast<FactorKind>(o.kind), o.depth);
  if (theta.ndim() != 2 || theta.shape(0) != K || theta.shape(1) != d)
    throw std::invalid_argument("theta must have shape (n_factors, n_features)");
  FactorNet net(d, static_cast<FactorKind>(o.kind), o.depth, theta.data());
  History hist = make_history(o.loss_every, snapshot_iters, d);
  Monitor monitor = make_monitor(progress);
  const FullBatchOptions fo{o.stop(), o.step_rule(), o.grad_scale, o.lambda_max, o.n_threads, o.min_parallel_work};
  const StochasticOptions so{o.stop(), o.step_rule(), o.grad_scale, o.n_threads, o.batch_size, o.shuffle,
                             o.seed, o.label_noise, o.eval_every, o.min_parallel_work};
  Output out;
  out.coef = DArray(d);
  std::vector<double> factor_rows;
  std::vector<Index> factor_iters;
  const Index row = net.n_factors() * d;
  {
    py::gil_scoped_release release;
    if (o.weight_decay != 0.0) net.set_weight_decay(o.weight_decay, decay_mapping_step(loss, o.n_threads, o.lambda_max));
    auto run = [&](auto& optim) {
      return stochastic ? run_stochastic(loss, net, optim, so, out.coef.mutable_data(), hist, monitor)
                        : run_full_batch(loss, net, optim, fo, out.coef.mutable_data(), hist, monitor);
    };
    auto record = [row](const FactorNet& nt, double* r) { std::copy(nt.factors(), nt.factors() + row, r); };
    auto go = [&](auto& optim) {
      if (o.factor_every <= 0) {
        out.run = run(optim);
        return;
      }
      Recording<std::decay_t<decltype(optim)>, decltype(record)> rec(optim, o.factor_every, row, record);
      out.run = run(rec);
      factor_rows = rec.rows();
      factor_iters = rec.iters();
    };
    if (o.optimizer < 0 && o.momentum != 0.0) {
      FactorMomentum mom(net, o.momentum, o.nesterov);
      go(mom);
    } else if (o.optimizer < 0) {
      PlainStep plain;
      go(plain);
    } else {
      Adaptive adaptive(net, static_cast<AdaptiveKind>(o.optimizer), o.beta_1, o.beta_2, o.epsilon);
      go(adaptive);
    }
    std::copy(net.factors(), net.factors() + row, theta.mutable_data());
  }
  raise_if_python_error();
  take_history(out, hist);
  take_factor_path(out, factor_rows, factor_iters, row);
  return out;
}

template <class T>
Output factor_gd(const Matrix<T>& X, const DArray& y, DArray theta, const FactorOptions& o,
                 const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
                 const std::optional<IArray>& snapshot_iters, py::object progress) {
  return factor_run(X, y, theta, o, weights, x_mean, snapshot_iters, progress, false);
}
template <class T>
Output factor_sgd(const Matrix<T>& X, const DArray& y, DArray theta, const FactorOptions& o,
                  const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
                  const std::optional<IArray>& snapshot_iters, py::object progress) {
  return factor_run(X, y, theta, o, weights, x_mean, snapshot_iters, progress, true);
}

}  // namespace

void bind_factor_solvers(py::module_& m) {
  py::class_<FactorOptions> opts(m, "FactorOptions", "Options of factor_gd and factor_sgd (see nets/factor_net.hpp).");
#define DLNFAST_FIELD(name) opts.def_readwrite(#name, &FactorOptions::name)
  DLNFAST_FIELD(max_iter); DLNFAST_FIELD(tol); DLNFAST_FIELD(target_loss); DLNFAST_FIELD(time_limit);
  DLNFAST_FIELD(auto_step); DLNFAST_FIELD(step); DLNFAST_FIELD(step_decay); DLNFAST_FIELD(grad_scale);
  DLNFAST_FIELD(lambda_max); DLNFAST_FIELD(n_threads); DLNFAST_FIELD(min_parallel_work); DLNFAST_FIELD(loss_every);
  DLNFAST_FIELD(kind); DLNFAST_FIELD(depth); DLNFAST_FIELD(optimizer); DLNFAST_FIELD(beta_1); DLNFAST_FIELD(beta_2);
  DLNFAST_FIELD(epsilon); DLNFAST_FIELD(weight_decay); DLNFAST_FIELD(factor_every); DLNFAST_FIELD(batch_size);
  DLNFAST_FIELD(shuffle); DLNFAST_FIELD(seed); DLNFAST_FIELD(label_noise); DLNFAST_FIELD(eval_every);
  DLNFAST_FIELD(momentum); DLNFAST_FIELD(nesterov);
#undef DLNFAST_FIELD
  def_keyword_init(opts);
#define DLNFAST_ARGS                                                                                       \
  py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("theta").noconvert(), py::arg("options"),    \
      py::kw_only(), py::arg("weights").noconvert() = py::none(), py::arg("x_mean").noconvert() = py::none(), \
      py::arg("snapshot_iters").noconvert() = py::none(), py::arg("progress") = py::none()
  def_dtypes(m, "factor_gd", &factor_gd<double>, &factor_gd<float>,
             "Full-batch GD or an adaptive method (options.optimizer) on plain factors theta (K x d, in/out; "
             "dlnfast/nets/factor_net.hpp); returns a Result.", DLNFAST_ARGS);
  def_dtypes(m, "factor_sgd", &factor_sgd<double>, &factor_sgd<float>,
             "Mini-batch SGD or an adaptive method on plain factors theta (as factor_gd).", DLNFAST_ARGS);
#undef DLNFAST_ARGS
}

}  // namespace dlnfast::bindings
