// Exact optimal transport by the primal network simplex on the bipartite transportation graph.
//
//   min Σ_e c_e x_e  s.t.  Σ_{e out of i} x_e = a_i,  Σ_{e into j} x_e = b_j,  x ≥ 0
//
// over the allowed edges e = (i → j) (all n1·n2 pairs for a dense cost, the stored entries of a
// sparse one). The basis is a spanning tree of the n1 + n2 nodes plus one root; every node starts
// hung from the root by an artificial arc of cost ART = (n1 + n2 + 1)·(max c − min c) (costs taken
// as c − min c; ART = 1 when all are equal), more than any alternating path of real arcs can
// cost per unit of flow, so a feasible problem ends with no flow on them (big-M); flow left on
// them means the edge pattern cannot carry the marginals (status Infeasible).
//
// Tree: parent / predecessor arc / its orientation / depth per node, and the children as doubly
// linked sibling lists, so that a pivot re-hangs the path from the entering arc's end to the
// leaving arc and then walks only the moved subtree (depths, and its potentials shift by the
// entering arc's reduced cost).
//
// Potentials π with reduced cost rc(s → t) = c + π_s − π_t (zero on tree arcs); the OT duals are
// f_i = −π_i and g_j = π_{n1+j}, so rc ≥ 0 reads f_i + g_j ≤ c_ij.
//
// Pricing: block search (blocks of about √E arcs, cyclically from where the last search stopped,
// the most negative reduced cost of the first block that has one enters). Leaving arc: the last
// blocking arc met when the cycle is traversed in the direction of the pushed flow from the apex;
// the initial tree is strongly feasible (every zero-flow arc points away from the root) and this
// rule keeps it so, which rules out cycling in degenerate pivots. No flow goes negative: an arc
// on the cycle loses θ ≤ its flow, and the leaving arc is set to exactly 0.
//
// At the end the potentials are recomputed from the tree and every arc priced again (pivoting
// resumes if rounding hid a negative reduced cost), and the flows are recomputed from the node
// supplies bottom-up (the basic solution of the final tree to rounding).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/monitor.hpp"

namespace dlnfast::lp {

enum class NetworkSimplexStatus : int { optimal = 0, limit = 1, infeasible = 2, interrupted = 3 };

struct NetworkSimplexResult {
  NetworkSimplexStatus status = NetworkSimplexStatus::optimal;
  std::int64_t n_pivots = 0;
  double artificial_flow = 0.0;  ///< flow left on the artificial arcs (0 when feasible, to rounding)
  bool time_limit_hit = false;
};

class NetworkSimplex {
 public:
  /// Edges: src[e] ∈ [0, n1), dst[e] ∈ [0, n2), cost[e]; supplies a (n1) and demands b (n2) ≥ 0.
  NetworkSimplex(std::int64_t n1, std::int64_t n2, std::int64_t n_edges, const std::int32_t* src,
                 const std::int32_t* dst, const double* cost, const double* a, const double* b)
      : n1_(n1), n2_(n2), n_nodes_(n1 + n2 + 1), root_(n1 + n2), n_edges_(n_edges),
        src_(src), dst_(dst), cost_(cost), a_(a), b_(b) {}

  /// Solves; writes the flow of each edge (n_edges), f (n1) and g (n2).
  NetworkSimplexResult solve(double* flow, double* f, double* g, std::int64_t max_pivots,
                             double time_limit, Monitor& monitor) {
    init();
    NetworkSimplexResult r;
    const std::int64_t block = std::max<std::int64_t>(
        std::min<std::int64_t>(n_edges_, 10), static_cast<std::int64_t>(std::sqrt(double(n_edges_))));
    std::int64_t next = 0;
    bool verified = false;
    StopRules rules;
    rules.max_iter = max_pivots;
    rules.time_limit = time_limit;
    while (true) {
      std::int64_t e = -1;
      if (n_edges_ > 0) e = price(block, next);
      if (e < 0) {
        if (verified) break;
        // rounding may have drifted the incrementally updated potentials: recompute, re-price
        recompute_potentials();
        verified = true;
        continue;
      }
      verified = false;
      // the engine's budget rules (interrupt, max_iter, time_limit, the monitor's poll); the
      // clock is read once per 16 pivots (a pivot: ~1 µs)
      const Status stop = check_stop(rules, r.n_pivots, 0.0, 0.0, monitor, /*evaluated=*/false,
                                     /*poll=*/(r.n_pivots & 15) == 0);
      if (stop != Status::Running) {
        r.status = stop == Status::Interrupted ? NetworkSimplexStatus::interrupted : NetworkSimplexStatus::limit;
        r.time_limit_hit = stop == Status::TimeLimit;
        break;
      }
      pivot(e);
      ++r.n_pivots;
    }
    recompute_potentials();
    recompute_flows();
    for (std::int64_t e = 0; e < n_edges_; ++e) flow[e] = x_[e];
    double art = 0.0;
    for (std::int64_t e = n_edges_; e < n_edges_ + n_nodes_ - 1; ++e) art += x_[e];
    r.artificial_flow = art;
    for (std::int64_t i = 0; i < n1_; ++i) f[i] = shift_ - pi_[i];
    for (std::int64_t j = 0; j < n2_; ++j) g[j] = pi_[n1_ + j];
    if (r.status == NetworkSimplexStatus::optimal) {
      double mass = 0.0;
      for (std::int64_t i = 0; i < n1_; ++i) mass += a_[i];
      double total_b = 0.0;
      for (std::int64_t j = 0; j < n2_; ++j) total_b += b_[j];
      // the supply/demand mismatch the front end accepts (≤ 1e-8 relative) lands on the
      // artificial arcs, and so does the rounding of the subtree sums in recompute_flows;
      // anything above both is an edge pattern that cannot carry the mass
      const double rounding = std::max(1e-12, 4.0 * double(n_nodes_) * std::numeric_limits<double>::epsilon());
      if (art > rounding * std::max(mass, total_b) + 2.0 * std::abs(mass - total_b))
        r.status = NetworkSimplexStatus::infeasible;
    }
    return r;
  }

 private:
  // arcs: e < n_edges_ real (src_[e] → n1_ + dst_[e]); e = n_edges_ + v artificial for node v
  std::int64_t tail(std::int64_t e) const {
    if (e < n_edges_) return src_[e];
    const std::int64_t v = e - n_edges_;
    return art_up_[v] ? v : root_;
  }
  std::int64_t head(std::int64_t e) const {
    if (e < n_edges_) return n1_ + dst_[e];
    const std::int64_t v = e - n_edges_;
    return art_up_[v] ? root_ : v;
  }
  double arc_cost(std::int64_t e) const { return e < n_edges_ ? cost_[e] - shift_ : art_cost_; }
  double supply(std::int64_t v) const { return v < n1_ ? a_[v] : (v < root_ ? -b_[v - n1_] : 0.0); }

  void init() {
    const std::int64_t N = n_nodes_;
    // costs are used as c − min c (the optimal plans do not change, the potentials' size and
    // their rounding are then set by the cost range, not by a constant offset)
    double cmin = std::numeric_limits<double>::infinity(), cmax = -cmin;
    for (std::int64_t e = 0; e < n_edges_; ++e) {
      cmin = std::min(cmin, cost_[e]);
      cmax = std::max(cmax, cost_[e]);
    }
    shift_ = n_edges_ > 0 ? cmin : 0.0;
    art_cost_ = n_edges_ > 0 && cmax > cmin ? double(N) * (cmax - cmin) : 1.0;
    // reduced costs above −tol count as non-negative: the potentials carry rounding of the order
    // of ε times their size (≈ ART)
    rc_tol_ = 16.0 * std::numeric_limits<double>::epsilon() * art_cost_;
    x_.assign(n_edges_ + N - 1, 0.0);
    in_tree_.assign(n_edges_, 0);
    art_up_.assign(N - 1, 0);
    parent_.assign(N, -1);
    pred_.assign(N, -1);
    up_.assign(N, 0);
    depth_.assign(N, 0);
    pi_.assign(N, 0.0);
    first_child_.assign(N, -1);
    next_sib_.assign(N, -1);
    prev_sib_.assign(N, -1);
    stack_.resize(N);
    path_.resize(N);
    for (std::int64_t v = 0; v < N - 1; ++v) {
      const double s = supply(v);
      // a positive supply flows v → root; a demand (or a zero supply) root → v, so that every
      // zero-flow arc points away from the root (strongly feasible)
      art_up_[v] = s > 0.0;
      const std::int64_t e = n_edges_ + v;
      x_[e] = std::abs(s);
      parent_[v] = root_;
      pred_[v] = e;
      up_[v] = art_up_[v];
      depth_[v] = 1;
      pi_[v] = art_up_[v] ? -art_cost_ : art_cost_;
      add_child(root_, v);
    }
  }

  void add_child(std::int64_t p, std::int64_t v) {
    prev_sib_[v] = -1;
    next_sib_[v] = first_child_[p];
    if (first_child_[p] >= 0) prev_sib_[first_child_[p]] = v;
    first_child_[p] = v;
  }
  void remove_child(std::int64_t p, std::int64_t v) {
    if (prev_sib_[v] >= 0) next_sib_[prev_sib_[v]] = next_sib_[v];
    else first_child_[p] = next_sib_[v];
    if (next_sib_[v] >= 0) prev_sib_[next_sib_[v]] = prev_sib_[v];
    prev_sib_[v] = next_sib_[v] = -1;
  }

  /// Block search: the most negative reduced cost in the first block that has one; −1: none.
  std::int64_t price(std::int64_t block, std::int64_t& next) {
    double best = -rc_tol_;
    std::int64_t best_e = -1, count = 0;
    std::int64_t e = next;
    for (std::int64_t scanned = 0; scanned < n_edges_; ++scanned) {
      if (!in_tree_[e]) {
        const double rc = (cost_[e] - shift_) + pi_[src_[e]] - pi_[n1_ + dst_[e]];
        if (rc < best) {
          best = rc;
          best_e = e;
        }
      }
      if (++e == n_edges_) e = 0;
      if (++count == block) {
        if (best_e >= 0) break;
        count = 0;
      }
    }
    next = e;
    return best_e;
  }

  void pivot(std::int64_t e) {
    const std::int64_t u = tail(e), v = head(e);
    // the apex (join) of the cycle
    std::int64_t p = u, q = v;
    while (depth_[p] > depth_[q]) p = parent_[p];
    while (depth_[q] > depth_[p]) q = parent_[q];
    while (p != q) {
      p = parent_[p];
      q = parent_[q];
    }
    const std::int64_t join = p;
    // θ and the leaving arc: flow goes join → … → u → v → … → join; the last blocking arc in
    // that order leaves (u's side with <, walked from u upwards; v's side with ≤, upwards)
    double theta = std::numeric_limits<double>::infinity();
    std::int64_t leave = -1;
    bool leave_on_u_side = true;
    for (std::int64_t w = u; w != join; w = parent_[w])
      if (up_[w] && x_[pred_[w]] < theta) {
        theta = x_[pred_[w]];
        leave = w;
      }
    for (std::int64_t w = v; w != join; w = parent_[w])
      if (!up_[w] && x_[pred_[w]] <= theta) {
        theta = x_[pred_[w]];
        leave = w;
        leave_on_u_side = false;
      }
    // leave ≥ 0 always: no directed cycle exists in this graph (sources → sinks, the root's
    // arcs point into a supply only when it is zero), so some arc of the cycle is blocking
    if (theta > 0.0) {
      x_[e] += theta;
      for (std::int64_t w = u; w != join; w = parent_[w]) x_[pred_[w]] += up_[w] ? -theta : theta;
      for (std::int64_t w = v; w != join; w = parent_[w]) x_[pred_[w]] += up_[w] ? theta : -theta;
    }
    x_[pred_[leave]] = 0.0;
    const double rc = arc_cost(e) + pi_[u] - pi_[v];
    if (e < n_edges_) in_tree_[e] = 1;
    if (pred_[leave] < n_edges_) in_tree_[pred_[leave]] = 0;

    // re-hang the path s → … → leave under t, through the entering arc
    const std::int64_t s = leave_on_u_side ? u : v, t = leave_on_u_side ? v : u;
    std::int64_t len = 0;
    for (std::int64_t w = s;; w = parent_[w]) {
      path_[len++] = w;
      if (w == leave) break;
    }
    // old links, before any is overwritten
    std::int64_t new_parent = t, new_pred = e;
    bool new_up = leave_on_u_side;  // s = u: the arc u → v points to the parent
    for (std::int64_t k = 0; k < len; ++k) {
      const std::int64_t w = path_[k];
      const std::int64_t old_parent = parent_[w], old_pred = pred_[w];
      const bool old_up = up_[w];
      remove_child(old_parent, w);
      parent_[w] = new_parent;
      pred_[w] = new_pred;
      up_[w] = new_up;
      add_child(new_parent, w);
      new_parent = w;
      new_pred = old_pred;
      new_up = !old_up;
    }
    // the moved subtree: potentials shift so that rc(e) = 0, depths from the new parent
    const double shift = leave_on_u_side ? -rc : rc;
    std::int64_t top = 0;
    stack_[top++] = s;
    while (top > 0) {
      const std::int64_t w = stack_[--top];
      pi_[w] += shift;
      depth_[w] = depth_[parent_[w]] + 1;
      for (std::int64_t c = first_child_[w]; c >= 0; c = next_sib_[c]) stack_[top++] = c;
    }
  }

  /// π from the root down the tree (preorder through the child lists).
  void recompute_potentials() {
    std::int64_t top = 0;
    pi_[root_] = 0.0;
    for (std::int64_t c = first_child_[root_]; c >= 0; c = next_sib_[c]) stack_[top++] = c;
    while (top > 0) {
      const std::int64_t w = stack_[--top];
      const double c = arc_cost(pred_[w]);
      pi_[w] = up_[w] ? pi_[parent_[w]] - c : pi_[parent_[w]] + c;
      depth_[w] = depth_[parent_[w]] + 1;
      for (std::int64_t ch = first_child_[w]; ch >= 0; ch = next_sib_[ch]) stack_[top++] = ch;
    }
  }

  /// The tree's basic flows from the supplies, leaves first: the flow on w's arc to its parent
  /// is the net supply of w's subtree (clamped at 0 against rounding).
  void recompute_flows() {
    std::int64_t n = 0, top = 0;
    for (std::int64_t c = first_child_[root_]; c >= 0; c = next_sib_[c]) stack_[top++] = c;
    while (top > 0) {  // preorder into path_
      const std::int64_t w = stack_[--top];
      path_[n++] = w;
      for (std::int64_t ch = first_child_[w]; ch >= 0; ch = next_sib_[ch]) stack_[top++] = ch;
    }
    std::vector<double>& net = net_;
    net.assign(n_nodes_, 0.0);
    for (std::int64_t v = 0; v < root_; ++v) net[v] = supply(v);
    for (std::int64_t k = n - 1; k >= 0; --k) {
      const std::int64_t w = path_[k];
      const double fl = up_[w] ? net[w] : -net[w];
      x_[pred_[w]] = std::max(fl, 0.0);
      net[parent_[w]] += net[w];
    }
  }

  std::int64_t n1_, n2_, n_nodes_, root_, n_edges_;
  const std::int32_t* src_;
  const std::int32_t* dst_;
  const double* cost_;
  const double* a_;
  const double* b_;
  double art_cost_ = 1.0, rc_tol_ = 0.0, shift_ = 0.0;
  std::vector<double> x_, pi_, net_;
  std::vector<char> in_tree_, art_up_, up_;
  std::vector<std::int64_t> parent_, pred_, depth_, first_child_, next_sib_, prev_sib_, stack_, path_;
};

}  // namespace dlnfast::lp
