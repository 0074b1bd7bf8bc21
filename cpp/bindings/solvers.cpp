// Bindings of the least-squares solvers: full-batch GD (plain, momentum), SGD, mirror descent
// and the gradient flow, each one call with an options object built by keyword
// (dlnfast/drivers/*.hpp do the work; nothing here computes).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/drivers/flow.hpp"
#include "dlnfast/drivers/full_batch.hpp"
#include "dlnfast/drivers/stochastic.hpp"
#include "dlnfast/loss/least_squares.hpp"
#include "dlnfast/loss/margin.hpp"
#include "dlnfast/nets/diagonal_net.hpp"
#include "dlnfast/nets/mirror_net.hpp"
#include "dlnfast/optim/momentum.hpp"
#include "dlnfast/optim/plain.hpp"
#include "dlnfast/optim/recording.hpp"
#include "dlnfast/optim/weight_decay.hpp"

namespace dlnfast::bindings {
namespace {

/// Every solver's options in one flat struct (fields a solver does not use are ignored).
struct SolveOptions {
  // stopping (core/control.hpp)
  Index max_iter = 1000;
  double tol = 1e-5;
  double target_loss = -std::numeric_limits<double>::infinity();
  double time_limit = std::numeric_limits<double>::infinity();
  // step rule
  bool auto_step = true;
  double step = 0.0;
  double step_decay = 0.0;
  double grad_scale = 1.0;
  double lambda_max = 0.0;
  int n_threads = 1;
  Index min_parallel_work = kMinParallelWork;  ///< tests and benchmarks only
  Index loss_every = 1;
  // network and optimiser
  int depth = 2;
  double momentum = 0.0;
  bool nesterov = false;
  // SGD
  Index batch_size = 1;
  bool shuffle = false;
  std::uint64_t seed = 0;
  double label_noise = 0.0;
  Index eval_every = 1;
  // flow
  double rk_tol = 1e-8;
  double t_end = std::numeric_limits<double>::infinity();
  double h0 = 0.0;
  // weight decay λ_e on the engine's factors (optim/weight_decay.hpp); factors recorded every
  // factor_every iterations (optim/recording.hpp; 0: never)
  double weight_decay = 0.0;
  Index factor_every = 0;
  // the loss: 0 least squares, 1 logistic, 2 exponential (loss/margin.hpp; gd only); the margin
  // losses' virtual intercept column (0: none)
  int loss = 0;
  double intercept_scaling = 0.0;
  // margin losses, md and flow: run on the loss-normalised clock ds = L dt (loss/margin.hpp;
  // target_loss is then a log L)
  bool normalised_clock = false;

  StopRules stop() const { return StopRules{max_iter, tol, target_loss, time_limit}; }
  StepRule step_rule() const { return StepRule{auto_step, step, step_decay}; }

  // The drivers' own option structs (drivers/*.hpp), from the fields they use.
  FullBatchOptions full_batch() const {
    return FullBatchOptions{stop(), step_rule(), grad_scale, lambda_max, n_threads, min_parallel_work};
  }
  StochasticOptions stochastic() const {
    return StochasticOptions{stop(), step_rule(), grad_scale, n_threads, batch_size, shuffle, seed, label_noise,
                             eval_every, min_parallel_work};
  }
  FlowOptions flow() const { return FlowOptions{stop(), rk_tol, t_end, grad_scale, h0, n_threads, min_parallel_work}; }
};

/// The mirror geometry of one network (nets/mirror_net.hpp).
struct MirrorSpec {
  int kind = 0;       ///< MirrorKind
  double rate = 2.0;  ///< s of the hyperbolic map
  int depth = 2;
};

/// The data of a least-squares solve, checked against each other.
template <class T>
struct Data {
  Data(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights, const std::optional<DArray>& x_mean)
      : n((check_matrix(X), X.shape(0))), d(X.shape(1)),
        loss(X.data(), n, d, (check_len(y, n, "y"), y.data()), optional_ptr(weights, n, "weights"),
             optional_ptr(x_mean, d, "x_mean")) {}
  Data(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
       const SolveOptions& o)
      : Data(X, y, weights, x_mean) {
    if (o.loss != 0) throw std::invalid_argument("loss: this solver supports the least-squares loss only");
  }
  Index n, d;
  LeastSquares<T> loss;
};

/// The data of a margin-loss solve (labels ±1, no centring: the intercept is a virtual column).
template <class T>
struct MarginData {
  MarginData(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights,
             const std::optional<DArray>& x_mean, const SolveOptions& o)
      : n((check_matrix(X), X.shape(0))),
        loss(X.data(), n, X.shape(1), (check_len(y, n, "y"), y.data()), optional_ptr(weights, n, "weights"),
             margin_kind(o.loss, x_mean), o.intercept_scaling),
        d(loss.n_features()) {}
  static MarginKind margin_kind(int loss, const std::optional<DArray>& x_mean) {
    if (x_mean) throw std::invalid_argument("x_mean: margin losses take intercept_scaling, not centring");
    if (loss != int(MarginKind::Logistic) && loss != int(MarginKind::Exponential))
      throw std::invalid_argument("loss must be 0 (least squares), 1 (logistic) or 2 (exponential)");
    return static_cast<MarginKind>(loss);
  }
  Index n;
  MarginLoss<T> loss;
  Index d;
};

/// The loss of md/flow: least squares, or a margin loss (possibly on the normalised clock).
template <class T>
struct MirrorData : MarginData<T> {
  MirrorData(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights,
             const std::optional<DArray>& x_mean, const SolveOptions& o)
      : MarginData<T>(X, y, weights, x_mean, o) {
    this->loss.set_normalised(o.normalised_clock);
  }
};

// Calls body(data) with Data<T> (least squares) or MirrorData<T> (a margin loss), then sets the
// margin loss's log L on the result.
template <class T, class Body>
Output with_loss(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights,
                 const std::optional<DArray>& x_mean, const SolveOptions& o, Body&& body) {
  if (o.loss == 0) {
    if (o.normalised_clock) throw std::invalid_argument("normalised_clock: margin losses only");
    Data<T> data(X, y, weights, x_mean, o);
    return body(data);
  }
  MirrorData<T> data(X, y, weights, x_mean, o);
  Output out = body(data);
  out.run.log_loss = data.loss.log_loss();
  return out;
}

// Plain GD, or momentum when options.momentum > 0, on the factors; `run` picks the driver.
template <class T, class DataT = Data<T>, class Run>
Output factor_solve(const Matrix<T>& X, const DArray& y, DArray log_w_pos, DArray log_w_neg, const SolveOptions& o,
                    const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
                    const std::optional<IArray>& snapshot_iters, py::object progress, Run&& run) {
  DataT data(X, y, weights, x_mean, o);
  check_len(log_w_pos, data.d, "log_w_pos");
  check_len(log_w_neg, data.d, "log_w_neg");
  DiagonalNet net(data.d, o.depth, log_w_pos.data(), log_w_neg.data());
  History hist = make_history(o.loss_every, snapshot_iters, data.d);
  Monitor monitor = make_monitor(progress);
  Output out;
  out.coef = DArray(data.d);
  out.signs = DArray(2 * data.d);
  std::vector<double> factor_rows;
  std::vector<Index> factor_iters;
  {
    py::gil_scoped_release release;
    if (o.weight_decay != 0.0)
      net.set_weight_decay(o.weight_decay, decay_mapping_step(data.loss, o.n_threads, o.lambda_max));
    // rows [log w₊ | log w₋ | sign w₊ | sign w₋] (4d)
    const Index d = data.d;
    auto record = [d](const DiagonalNet& nt, double* row) {
      nt.log_weights(row, row + d);
      nt.signs(row + 2 * d, row + 3 * d);
    };
    auto go = [&](auto& optim) {
      if (o.factor_every <= 0) {
        out.run = run(data.loss, net, optim, out.coef.mutable_data(), hist, monitor);
        return;
      }
      Recording<std::decay_t<decltype(optim)>, decltype(record)> rec(optim, o.factor_every, 4 * d, record);
      out.run = run(data.loss, net, rec, out.coef.mutable_data(), hist, monitor);
      factor_rows = rec.rows();
      factor_iters = rec.iters();
    };
    if (o.momentum != 0.0) {
      Momentum mom(data.d, o.momentum, o.nesterov);
      go(mom);
    } else {
      PlainStep plain;
      go(plain);
    }
    net.log_weights(log_w_pos.mutable_data(), log_w_neg.mutable_data());
    net.signs(out.signs.mutable_data(), out.signs.mutable_data() + data.d);
    if constexpr (!std::is_same_v<DataT, Data<T>>) out.run.log_loss = data.loss.log_loss();
  }
  raise_if_python_error();
  take_history(out, hist);
  take_factor_path(out, factor_rows, factor_iters, 4 * data.d);
  return out;
}

template <class T>
Output gd(const Matrix<T>& X, const DArray& y, DArray log_w_pos, DArray log_w_neg, const SolveOptions& o,
          const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
          const std::optional<IArray>& snapshot_iters, py::object progress) {
  const FullBatchOptions fo = o.full_batch();
  auto run = [&](auto& loss, auto& net, auto& optim, double* beta, History& hist, Monitor& mon) {
    return run_full_batch(loss, net, optim, fo, beta, hist, mon);
  };
  if (o.loss != 0)
    return factor_solve<T, MarginData<T>>(X, y, log_w_pos, log_w_neg, o, weights, x_mean, snapshot_iters, progress,
                                          run);
  return factor_solve<T>(X, y, log_w_pos, log_w_neg, o, weights, x_mean, snapshot_iters, progress, run);
}

template <class T>
Output sgd(const Matrix<T>& X, const DArray& y, DArray log_w_pos, DArray log_w_neg, const SolveOptions& o,
           const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
           const std::optional<IArray>& snapshot_iters, py::object progress) {
  const StochasticOptions so = o.stochastic();
  auto run = [&](auto& loss, auto& net, auto& optim, double* beta, History& hist, Monitor& mon) {
    return run_stochastic(loss, net, optim, so, beta, hist, mon);
  };
  if (o.loss != 0) {
    return factor_solve<T, MarginData<T>>(X, y, log_w_pos, log_w_neg, o, weights, x_mean, snapshot_iters,
                                          progress, run);
  }
  return factor_solve(X, y, log_w_pos, log_w_neg, o, weights, x_mean, snapshot_iters, progress, run);
}

MirrorNet make_mirror(const MirrorSpec& spec, const DArray& log_scale, const DArray& theta, Index d) {
  check_len(log_scale, d, "log_scale");
  check_len(theta, d, "theta");
  if (spec.kind < 0 || spec.kind > 2) throw std::invalid_argument("unknown mirror kind");
  return MirrorNet(d, static_cast<MirrorKind>(spec.kind), log_scale.data(), spec.rate, spec.depth, theta.data());
}

template <class T>
Output md(const Matrix<T>& X, const DArray& y, DArray theta, const DArray& log_scale, const MirrorSpec& spec,
          const SolveOptions& o, const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
          const std::optional<IArray>& snapshot_iters, py::object progress) {
  return with_loss(X, y, weights, x_mean, o, [&](auto& data) {
    MirrorNet net = make_mirror(spec, log_scale, theta, data.d);
    History hist = make_history(o.loss_every, snapshot_iters, data.d);
    Monitor monitor = make_monitor(progress);
    const FullBatchOptions fo = o.full_batch();
    Output out;
    out.coef = DArray(data.d);
    {
      py::gil_scoped_release release;
      PlainStep plain;
      out.run = run_full_batch(data.loss, net, plain, fo, out.coef.mutable_data(), hist, monitor);
      std::copy(net.theta().begin(), net.theta().end(), theta.mutable_data());
    }
    raise_if_python_error();
    take_history(out, hist);
    return out;
  });
}

template <class T>
Output flow(const Matrix<T>& X, const DArray& y, DArray theta, const DArray& log_scale, const MirrorSpec& spec,
            const SolveOptions& o, const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
            const std::optional<DArray>& times, bool keep_theta, py::object progress) {
  return with_loss(X, y, weights, x_mean, o, [&](auto& data) {
    MirrorNet net = make_mirror(spec, log_scale, theta, data.d);
    if (times && times->ndim() != 1) throw std::invalid_argument("times must be 1-dimensional");
    const Index n_times = times ? times->shape(0) : 0;
    History hist(o.loss_every, nullptr, 0, data.d);
    Monitor monitor = make_monitor(progress);
    const FlowOptions fo = o.flow();
    Output out;
    out.coef = DArray(data.d);
    out.theta_path = DArray({static_cast<py::ssize_t>(keep_theta ? n_times : 0), static_cast<py::ssize_t>(data.d)});
    {
      py::gil_scoped_release release;
      out.run = run_flow(data.loss, net, fo, times ? times->data() : nullptr, n_times,
                         keep_theta ? out.theta_path.mutable_data() : nullptr, out.coef.mutable_data(), hist, monitor);
      std::copy(net.theta().begin(), net.theta().end(), theta.mutable_data());
    }
    raise_if_python_error();
    take_history(out, hist, /*with_times=*/true);
    if (keep_theta) out.theta_path = DArray(out.theta_path[py::slice(0, hist.n_snapshots(), 1)]);
    return out;
  });
}

template <class T>
DArray xt_dot_binding(const Matrix<T>& X, const DArray& v, int n_threads) {
  check_matrix(X);
  check_len(v, X.shape(0), "v");
  DArray out(X.shape(1));
  {
    py::gil_scoped_release release;
    xt_dot(X.data(), X.shape(0), X.shape(1), v.data(), out.mutable_data(), n_threads);
  }
  return out;
}

void bind_options(py::module_& m) {
  py::class_<SolveOptions> opts(m, "SolveOptions", "Options of gd, sgd, md and flow (see dlnfast/core/control.hpp).");
#define DLNFAST_FIELD(name) opts.def_readwrite(#name, &SolveOptions::name)
  DLNFAST_FIELD(max_iter); DLNFAST_FIELD(tol); DLNFAST_FIELD(target_loss); DLNFAST_FIELD(time_limit);
  DLNFAST_FIELD(auto_step); DLNFAST_FIELD(step); DLNFAST_FIELD(step_decay); DLNFAST_FIELD(grad_scale);
  DLNFAST_FIELD(lambda_max); DLNFAST_FIELD(n_threads); DLNFAST_FIELD(min_parallel_work); DLNFAST_FIELD(loss_every); DLNFAST_FIELD(depth);
  DLNFAST_FIELD(momentum); DLNFAST_FIELD(nesterov); DLNFAST_FIELD(batch_size); DLNFAST_FIELD(shuffle);
  DLNFAST_FIELD(seed); DLNFAST_FIELD(label_noise); DLNFAST_FIELD(eval_every); DLNFAST_FIELD(rk_tol);
  DLNFAST_FIELD(t_end); DLNFAST_FIELD(h0); DLNFAST_FIELD(weight_decay); DLNFAST_FIELD(factor_every);
  DLNFAST_FIELD(loss); DLNFAST_FIELD(intercept_scaling); DLNFAST_FIELD(normalised_clock);
#undef DLNFAST_FIELD
  def_keyword_init(opts);

  py::class_<MirrorSpec> spec(m, "MirrorSpec", "The mirror geometry: kind (0 hyperbolic, 1 depth, 2 entropic), rate, depth.");
  spec.def_readwrite("kind", &MirrorSpec::kind).def_readwrite("rate", &MirrorSpec::rate).def_readwrite("depth", &MirrorSpec::depth);
  def_keyword_init(spec);
}

}  // namespace

void bind_solvers(py::module_& m) {
  bind_options(m);
  const char* gd_doc =
      "Full-batch GD (momentum if options.momentum > 0) on beta = w+^D - w-^D "
      "(dlnfast/drivers/full_batch.hpp). X is used in place; log_w_pos/log_w_neg (in: initial, out: final "
      "log-factors) are written; returns a Result (coef, signs, loss_curve, snapshots).";
  const char* sgd_doc =
      "Mini-batch SGD on beta = w+^D - w-^D (dlnfast/drivers/stochastic.hpp); as gd. "
      "options.loss_every counts steps and must be a multiple of options.eval_every.";
#define DLNFAST_FACTOR_ARGS                                                                                   \
  py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("log_w_pos").noconvert(),                       \
      py::arg("log_w_neg").noconvert(), py::arg("options"), py::kw_only(), py::arg("weights").noconvert() = py::none(), \
      py::arg("x_mean").noconvert() = py::none(), py::arg("snapshot_iters").noconvert() = py::none(),          \
      py::arg("progress") = py::none()
  def_dtypes(m, "gd", &gd<double>, &gd<float>, gd_doc, DLNFAST_FACTOR_ARGS);
  def_dtypes(m, "sgd", &sgd<double>, &sgd<float>, sgd_doc, DLNFAST_FACTOR_ARGS);
#undef DLNFAST_FACTOR_ARGS
  def_dtypes(m, "md", &md<double>, &md<float>,
             "Mirror descent theta <- theta - eta*g on a MirrorNet (dlnfast/nets/mirror_net.hpp) through the "
             "full-batch driver; theta (in/out) is written; returns a Result.",
             py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("theta").noconvert(),
             py::arg("log_scale").noconvert(), py::arg("spec"), py::arg("options"), py::kw_only(),
             py::arg("weights").noconvert() = py::none(), py::arg("x_mean").noconvert() = py::none(),
             py::arg("snapshot_iters").noconvert() = py::none(), py::arg("progress") = py::none());
  def_dtypes(m, "flow", &flow<double>, &flow<float>,
             "Gradient flow d theta/dt = -g by Dormand-Prince 5(4) in mirror coordinates "
             "(dlnfast/drivers/flow.hpp); theta (in/out) is written; Result.snapshots holds beta at `times` "
             "(theta_path theta there with keep_theta), loss_curve/loss_times the loss every loss_every steps.",
             py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("theta").noconvert(),
             py::arg("log_scale").noconvert(), py::arg("spec"), py::arg("options"), py::kw_only(),
             py::arg("weights").noconvert() = py::none(), py::arg("x_mean").noconvert() = py::none(),
             py::arg("times").noconvert() = py::none(), py::arg("keep_theta") = false,
             py::arg("progress") = py::none());
  def_dtypes(m, "xt_dot", &xt_dot_binding<double>, &xt_dot_binding<float>,
             "X^T v in float64 with the engine's kernel (X used in place).", py::arg("X").noconvert(),
             py::arg("v").noconvert(), py::arg("n_threads"));
}

}  // namespace dlnfast::bindings
