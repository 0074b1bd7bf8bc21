// Bindings of the batched drivers (dlnfast/drivers/batched.hpp, batched_flow.hpp): K
// configurations of gd, md or flow sharing X in one call. Each configuration has its own SolveOptions, exactly as the
// single-configuration _core.gd / _core.md would be given; nothing here computes.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/drivers/batched.hpp"
#include "dlnfast/drivers/batched_flow.hpp"
#include "dlnfast/nets/diagonal_net.hpp"
#include "dlnfast/nets/mirror_net.hpp"
#include "dlnfast/optim/momentum.hpp"
#include "dlnfast/optim/plain.hpp"

namespace dlnfast::bindings {
namespace {

// The batched-binding view of one configuration's options (the fields SolveOptions of
// solvers.cpp has; read through Python attributes so that this file does not depend on its
// private definition).
struct ConfigOptions {
  FullBatchOptions fb;
  Index loss_every = 1;
  int depth = 2;
  double momentum = 0.0;
  bool nesterov = false;
};

ConfigOptions read_options(const py::handle& o) {
  ConfigOptions c;
  c.fb.stop.max_iter = o.attr("max_iter").cast<Index>();
  c.fb.stop.tol = o.attr("tol").cast<double>();
  c.fb.stop.target_loss = o.attr("target_loss").cast<double>();
  c.fb.stop.time_limit = o.attr("time_limit").cast<double>();
  c.fb.step.auto_step = o.attr("auto_step").cast<bool>();
  c.fb.step.step = o.attr("step").cast<double>();
  c.fb.step.step_decay = o.attr("step_decay").cast<double>();
  c.fb.grad_scale = o.attr("grad_scale").cast<double>();
  c.fb.lambda_max = o.attr("lambda_max").cast<double>();
  c.fb.n_threads = o.attr("n_threads").cast<int>();
  c.fb.min_parallel_work = o.attr("min_parallel_work").cast<Index>();
  c.loss_every = o.attr("loss_every").cast<Index>();
  c.depth = o.attr("depth").cast<int>();
  c.momentum = o.attr("momentum").cast<double>();
  c.nesterov = o.attr("nesterov").cast<bool>();
  return c;
}

std::vector<ConfigOptions> read_all(const py::list& options, Index K) {
  if (static_cast<Index>(options.size()) != K)
    throw std::invalid_argument("options must hold one SolveOptions per configuration (row)");
  std::vector<ConfigOptions> out;
  for (auto o : options) out.push_back(read_options(o));
  for (const ConfigOptions& c : out)
    if (c.fb.n_threads != out[0].fb.n_threads || c.fb.min_parallel_work != out[0].fb.min_parallel_work)
      throw std::invalid_argument("every configuration of a batch must use the same n_threads");
  return out;
}

void check_rows(const DArray& a, Index K, Index d, const char* name) {
  if (a.ndim() != 2 || a.shape(0) != K || a.shape(1) != d)
    throw std::invalid_argument(std::string(name) + " must have shape (n_configs, n_features)");
}

// The number K of mirror configurations (rows of theta), with theta, log_scale and the mirror
// kind checked: md_many and flow_many.
Index check_mirror_batch(const DArray& theta, const DArray& log_scale, int kind, Index d) {
  const Index K = theta.ndim() == 2 ? theta.shape(0) : -1;
  check_rows(theta, K, d, "theta");
  check_rows(log_scale, K, d, "log_scale");
  if (kind < 0 || kind > 2) throw std::invalid_argument("unknown mirror kind");
  return K;
}

// Per-configuration set-up and read-out (the networks from and to log-weights: an exp or a log
// per factor, ~50 ns per coordinate) on a team: serial, they took ~25 ms of a 19-iteration call
// at (200, 2000), K = 128 (~70 ms on 2 threads), and did not shrink with the thread count.
// Below kMinSetupWork coordinates (~1 ms serial; or the options' min_parallel_work if lower, as
// the tests force a real team) on the caller alone. f(c) for every c < K, each
// on one thread (so its bits do not depend on the team); the first exception in configuration
// order is rethrown after the pass, as a serial loop would have thrown it.
constexpr Index kMinSetupWork = Index{1} << 14;

template <class F>
void for_configs(const FullBatchOptions& o, Index K, Index d, F&& f) {
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(K));
  Team::run(work_threads(o.n_threads, K * d, std::min(kMinSetupWork, o.min_parallel_work)), [&](Team& team) {
    team.parallel_for(K, [&](Index c) {
      try {
        f(c);
      } catch (...) {
        errors[c] = std::current_exception();
      }
    });
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// Builds net c of K in parallel (for_configs) and returns the K networks in order.
template <class Net, class Make>
std::vector<Net> make_nets(const FullBatchOptions& o, Index K, Index d, Make&& make) {
  std::vector<std::optional<Net>> slots(static_cast<std::size_t>(K));
  {
    py::gil_scoped_release release;
    for_configs(o, K, d, [&](Index c) { slots[c].emplace(make(c)); });
  }
  std::vector<Net> nets;
  nets.reserve(static_cast<std::size_t>(K));
  for (std::optional<Net>& s : slots) nets.push_back(std::move(*s));
  return nets;
}

template <class T>
BatchedLeastSquares<T> make_loss(const Matrix<T>& X, const DArray& y, const std::optional<DArray>& weights,
                                 const std::optional<DArray>& x_mean, bool blocked) {
  check_matrix(X);
  const Index n = X.shape(0), d = X.shape(1);
  check_len(y, n, "y");
  return BatchedLeastSquares<T>(X.data(), n, d, y.data(), optional_ptr(weights, n, "weights"),
                                optional_ptr(x_mean, d, "x_mean"), blocked);
}

std::vector<Output> outputs(std::vector<RunResult>& runs, std::vector<History>& hists, std::vector<DArray>& coefs) {
  std::vector<Output> out(runs.size());
  for (std::size_t c = 0; c < runs.size(); ++c) {
    out[c].run = runs[c];
    out[c].coef = coefs[c];
    take_history(out[c], hists[c]);
  }
  return out;
}

template <class T>
std::vector<Output> gd_many(const Matrix<T>& X, const DArray& y, DArray log_w_pos, DArray log_w_neg,
                            const py::list& options, const std::optional<DArray>& weights,
                            const std::optional<DArray>& x_mean, bool blocked) {
  BatchedLeastSquares<T> loss = make_loss(X, y, weights, x_mean, blocked);
  const Index d = loss.n_features(), K = log_w_pos.ndim() == 2 ? log_w_pos.shape(0) : -1;
  check_rows(log_w_pos, K, d, "log_w_pos");
  check_rows(log_w_neg, K, d, "log_w_neg");
  const std::vector<ConfigOptions> cfg = read_all(options, K);
  const bool with_momentum = K > 0 && cfg[0].momentum != 0.0;
  for (Index c = 0; c < K; ++c)
    if ((cfg[c].momentum != 0.0) != with_momentum)
      throw std::invalid_argument("a batch is either all plain GD or all momentum");
  const FullBatchOptions team_opts = K > 0 ? cfg[0].fb : FullBatchOptions{};  // the team's (shared)
  std::vector<DiagonalNet> nets = make_nets<DiagonalNet>(team_opts, K, d, [&](Index c) {
    return DiagonalNet(d, cfg[c].depth, log_w_pos.data() + c * d, log_w_neg.data() + c * d);
  });
  std::vector<FullBatchOptions> fo;
  std::vector<History> hists;
  std::vector<DArray> coefs;
  std::vector<double*> betas;
  for (Index c = 0; c < K; ++c) {
    fo.push_back(cfg[c].fb);
    hists.push_back(make_history(cfg[c].loss_every, std::nullopt, d));
    coefs.emplace_back(d);
    betas.push_back(coefs.back().mutable_data());
  }
  Monitor monitor = make_monitor(py::none());
  std::vector<RunResult> runs;
  std::vector<DArray> signs(K);
  std::vector<double*> sign_ptr(K);
  for (Index c = 0; c < K; ++c) {
    signs[c] = DArray(2 * d);
    sign_ptr[c] = signs[c].mutable_data();
  }
  {
    py::gil_scoped_release release;
    if (with_momentum) {
      std::vector<Momentum> opt;
      for (Index c = 0; c < K; ++c) opt.emplace_back(d, cfg[c].momentum, cfg[c].nesterov);
      run_full_batch_many(loss, nets, opt, fo, betas.data(), hists, monitor, runs);
    } else {
      std::vector<PlainStep> opt(K);
      run_full_batch_many(loss, nets, opt, fo, betas.data(), hists, monitor, runs);
    }
    double* lp = log_w_pos.mutable_data();
    double* ln = log_w_neg.mutable_data();
    for_configs(team_opts, K, d, [&](Index c) {
      nets[c].log_weights(lp + c * d, ln + c * d);
      nets[c].signs(sign_ptr[c], sign_ptr[c] + d);
    });
  }
  raise_if_python_error();
  std::vector<Output> out = outputs(runs, hists, coefs);
  for (Index c = 0; c < K; ++c) out[c].signs = signs[c];
  return out;
}

template <class T>
std::vector<Output> md_many(const Matrix<T>& X, const DArray& y, DArray theta, const DArray& log_scale,
                            int kind, double rate, int depth, const py::list& options,
                            const std::optional<DArray>& weights, const std::optional<DArray>& x_mean,
                            bool blocked) {
  BatchedLeastSquares<T> loss = make_loss(X, y, weights, x_mean, blocked);
  const Index d = loss.n_features(), K = check_mirror_batch(theta, log_scale, kind, d);
  const std::vector<ConfigOptions> cfg = read_all(options, K);
  const FullBatchOptions team_opts = K > 0 ? cfg[0].fb : FullBatchOptions{};  // the team's (shared)
  std::vector<MirrorNet> nets = make_nets<MirrorNet>(team_opts, K, d, [&](Index c) {
    return MirrorNet(d, static_cast<MirrorKind>(kind), log_scale.data() + c * d, rate, depth, theta.data() + c * d);
  });
  std::vector<FullBatchOptions> fo;
  std::vector<History> hists;
  std::vector<DArray> coefs;
  std::vector<double*> betas;
  for (Index c = 0; c < K; ++c) {
    fo.push_back(cfg[c].fb);
    hists.push_back(make_history(cfg[c].loss_every, std::nullopt, d));
    coefs.emplace_back(d);
    betas.push_back(coefs.back().mutable_data());
  }
  Monitor monitor = make_monitor(py::none());
  std::vector<RunResult> runs;
  {
    py::gil_scoped_release release;
    std::vector<PlainStep> opt(K);
    run_full_batch_many(loss, nets, opt, fo, betas.data(), hists, monitor, runs);
    double* th = theta.mutable_data();
    for_configs(team_opts, K, d, [&](Index c) { std::copy(nets[c].theta().begin(), nets[c].theta().end(), th + c * d); });
  }
  raise_if_python_error();
  return outputs(runs, hists, coefs);
}

template <class T>
std::vector<Output> flow_many(const Matrix<T>& X, const DArray& y, DArray theta, const DArray& log_scale,
                              int kind, double rate, int depth, const py::list& options,
                              const std::optional<DArray>& weights, const std::optional<DArray>& x_mean) {
  BatchedLeastSquares<T> loss = make_loss(X, y, weights, x_mean, /*blocked=*/false);
  const Index d = loss.n_features(), K = check_mirror_batch(theta, log_scale, kind, d);
  const std::vector<ConfigOptions> cfg = read_all(options, K);
  std::vector<MirrorNet> nets;
  std::vector<FlowOptions> fo;
  std::vector<History> hists;
  std::vector<DArray> coefs;
  std::vector<double*> betas;
  Index c = 0;
  for (auto o : options) {
    // the FlowOptions SolveOptions::flow() builds (solvers.cpp)
    fo.push_back(FlowOptions{cfg[c].fb.stop, o.attr("rk_tol").cast<double>(), o.attr("t_end").cast<double>(),
                             cfg[c].fb.grad_scale, o.attr("h0").cast<double>(), cfg[c].fb.n_threads,
                             cfg[c].fb.min_parallel_work});
    nets.emplace_back(d, static_cast<MirrorKind>(kind), log_scale.data() + c * d, rate, depth, theta.data() + c * d);
    hists.push_back(make_history(cfg[c].loss_every, std::nullopt, d));
    coefs.emplace_back(d);
    betas.push_back(coefs.back().mutable_data());
    ++c;
  }
  Monitor monitor = make_monitor(py::none());
  std::vector<RunResult> runs;
  {
    py::gil_scoped_release release;
    run_flow_many(loss, nets, fo, betas.data(), hists, monitor, runs);
    for (Index i = 0; i < K; ++i) std::copy(nets[i].theta().begin(), nets[i].theta().end(), theta.mutable_data() + i * d);
  }
  raise_if_python_error();
  std::vector<Output> out(K);
  for (Index i = 0; i < K; ++i) {
    out[i].run = runs[i];
    out[i].coef = coefs[i];
    take_history(out[i], hists[i], /*with_times=*/true);
  }
  return out;
}

}  // namespace

void bind_batched(py::module_& m) {
  def_dtypes(m, "gd_many", &gd_many<double>, &gd_many<float>,
             "K gd configurations sharing X in one call (dlnfast/drivers/batched.hpp): log_w_pos/log_w_neg "
             "(K, d), in: initial, out: final log-factors; options: one SolveOptions per row. Returns a list "
             "of K Results, each bit-identical to _core.gd on that row alone (blocked=True: the fused multi-configuration "
             "kernel per block of rows instead, equal up to rounding).",
             py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("log_w_pos").noconvert(),
             py::arg("log_w_neg").noconvert(), py::arg("options"), py::kw_only(),
             py::arg("weights").noconvert() = py::none(), py::arg("x_mean").noconvert() = py::none(), py::arg("blocked") = false);
  def_dtypes(m, "md_many", &md_many<double>, &md_many<float>,
             "K mirror-descent configurations sharing X and the mirror kind/rate/depth: theta and log_scale "
             "(K, d); theta (in/out) is written. Returns a list of K Results, each bit-identical to _core.md.",
             py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("theta").noconvert(),
             py::arg("log_scale").noconvert(), py::arg("kind"), py::arg("rate"), py::arg("depth"),
             py::arg("options"), py::kw_only(), py::arg("weights").noconvert() = py::none(),
             py::arg("x_mean").noconvert() = py::none(), py::arg("blocked") = false);
  def_dtypes(m, "flow_many", &flow_many<double>, &flow_many<float>,
             "K gradient flows sharing X and the mirror kind/rate/depth (dlnfast/drivers/batched_flow.hpp): "
             "theta and log_scale (K, d); theta (in/out) is written; options: one SolveOptions per row (rk_tol, "
             "t_end, h0 per flow). Every Runge-Kutta stage evaluates all running flows in one pass over X. "
             "Returns a list of K Results (loss_times included), each bit-identical to _core.flow without times.",
             py::arg("X").noconvert(), py::arg("y").noconvert(), py::arg("theta").noconvert(),
             py::arg("log_scale").noconvert(), py::arg("kind"), py::arg("rate"), py::arg("depth"),
             py::arg("options"), py::kw_only(), py::arg("weights").noconvert() = py::none(),
             py::arg("x_mean").noconvert() = py::none());
}

}  // namespace dlnfast::bindings
