// Bindings of the exact OT network simplex (dlnfast/lp/network_simplex.hpp), called by
// dlnfast.lp._transport for reg=None. Marginals and costs are validated in Python; here we check
// shapes, build the edge list, release the GIL and run (Ctrl-C and the time limit polled between
// pivots through the shared monitor).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/bind.hpp"
#include "bindings/monitor.hpp"
#include "dlnfast/lp/network_simplex.hpp"

namespace dlnfast::bindings {

namespace {

void require(bool ok, const std::string& what) {
  if (!ok) throw std::invalid_argument(what);
}

py::tuple solve(std::int64_t n1, std::int64_t n2, const std::vector<std::int32_t>& src,
                const std::vector<std::int32_t>& dst, const double* cost, const DArray& a,
                const DArray& b, std::int64_t max_pivots, double time_limit) {
  const std::int64_t k = static_cast<std::int64_t>(src.size());
  DArray flow(k), f(n1), g(n2);
  double* fl = flow.mutable_data();
  double* fp = f.mutable_data();
  double* gp = g.mutable_data();
  Monitor monitor = make_monitor(py::none());
  lp::NetworkSimplexResult r;
  double total = 0.0;  // <c, x> here: numpy's 1-D matmul goes to a (possibly threaded) BLAS
  {
    py::gil_scoped_release release;
    lp::NetworkSimplex ns(n1, n2, k, src.data(), dst.data(), cost, a.data(), b.data());
    r = ns.solve(fl, fp, gp, max_pivots, time_limit, monitor);
    for (std::int64_t e = 0; e < k; ++e) total += cost[e] * fl[e];
  }
  raise_if_python_error();
  return py::make_tuple(flow, f, g, static_cast<int>(r.status), r.n_pivots, r.artificial_flow,
                        r.time_limit_hit, total);
}

void check_marginals(const DArray& a, const DArray& b) {
  require(a.ndim() == 1 && b.ndim() == 1, "a and b must be 1-D");
  require(a.shape(0) + b.shape(0) < std::numeric_limits<std::int32_t>::max(), "too many nodes");
}

py::tuple ns_dense(const DArray& a, const DArray& b, const DArray& M, std::int64_t max_pivots,
                   double time_limit) {
  check_marginals(a, b);
  const std::int64_t n1 = a.shape(0), n2 = b.shape(0);
  require(M.ndim() == 2 && M.shape(0) == n1 && M.shape(1) == n2, "M must have shape (len(a), len(b))");
  std::vector<std::int32_t> src(n1 * n2), dst(n1 * n2);
  for (std::int64_t i = 0; i < n1; ++i)
    for (std::int64_t j = 0; j < n2; ++j) {
      src[i * n2 + j] = static_cast<std::int32_t>(i);
      dst[i * n2 + j] = static_cast<std::int32_t>(j);
    }
  return solve(n1, n2, src, dst, M.data(), a, b, max_pivots, time_limit);
}

py::tuple ns_edges(const DArray& a, const DArray& b, const IArray& rows, const IArray& cols,
                   const DArray& cost, std::int64_t max_pivots, double time_limit) {
  check_marginals(a, b);
  const std::int64_t n1 = a.shape(0), n2 = b.shape(0), k = cost.size();
  require(cost.ndim() == 1 && rows.ndim() == 1 && cols.ndim() == 1 && rows.size() == k &&
              cols.size() == k, "rows, cols and cost must be 1-D of one length");
  std::vector<std::int32_t> src(k), dst(k);
  for (std::int64_t e = 0; e < k; ++e) {
    require(rows.data()[e] >= 0 && rows.data()[e] < n1 && cols.data()[e] >= 0 && cols.data()[e] < n2,
            "edge index out of range");
    src[e] = static_cast<std::int32_t>(rows.data()[e]);
    dst[e] = static_cast<std::int32_t>(cols.data()[e]);
  }
  return solve(n1, n2, src, dst, cost.data(), a, b, max_pivots, time_limit);
}

}  // namespace

void bind_network_simplex(py::module_& m) {
#define DLNFAST_NS_RETURNS                                                                     \
  "; returns (flow, f, g, status, n_pivots, artificial_flow, time_limit_hit, cost) with " \
  "status 0 optimal, 1 limit, 2 infeasible, 3 interrupted."
  m.def("network_simplex_dense", &ns_dense, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("M").noconvert(), py::arg("max_pivots"), py::arg("time_limit"),
        "Exact OT on all n1·n2 edges by the network simplex (flow in M's C order)" DLNFAST_NS_RETURNS);
  m.def("network_simplex_edges", &ns_edges, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("rows").noconvert(), py::arg("cols").noconvert(), py::arg("cost").noconvert(),
        py::arg("max_pivots"), py::arg("time_limit"),
        "Exact OT on the listed edges (rows[e] → cols[e], cost[e]) by the network simplex"
        DLNFAST_NS_RETURNS);
#undef DLNFAST_NS_RETURNS
}

}  // namespace dlnfast::bindings
