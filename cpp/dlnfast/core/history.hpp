// What a run records: the loss every `loss_every` iterations and β at requested iterations.
// Buffers grow as entries arrive (never sized by max_iter: max_iter = 10⁹ on a run that stops
// after 10³ iterations allocates a few kB), and belong to the run; the bindings copy them out.
#pragma once
#include <vector>

#include "dlnfast/core/types.hpp"

namespace dlnfast {

class History {
 public:
  /// loss_every: record the loss when k % loss_every == 0 (0: never). snapshot_iters:
  /// increasing iteration numbers (not owned, may be null) for β snapshots of length d.
  History(Index loss_every, const Index* snapshot_iters, Index n_snapshot_iters, Index d)
      : loss_every_(loss_every), snap_iters_(snapshot_iters), n_snap_iters_(n_snapshot_iters), d_(d) {}

  /// Record L at iteration k if due (the time/clock value `t` too, for the flow).
  void record_loss(Index k, double L, double t = 0.0) {
    if (loss_every_ <= 0 || k % loss_every_ != 0) return;
    if (!loss_.empty() && L > loss_.back()) ++n_loss_increases_;
    loss_.push_back(L);
    loss_time_.push_back(t);
  }
  /// The row to fill with β_k when iteration k is the next snapshot, else nullptr.
  double* snapshot_row(Index k) {
    const Index s = n_snapshots();
    if (s >= n_snap_iters_ || snap_iters_[s] != k) return nullptr;
    snapshots_.resize(static_cast<std::size_t>((s + 1) * d_));
    return snapshots_.data() + s * d_;
  }
  /// Appends a β row unconditionally (the flow's output times).
  double* append_row() {
    const Index s = n_snapshots();
    snapshots_.resize(static_cast<std::size_t>((s + 1) * d_));
    return snapshots_.data() + s * d_;
  }

  Index n_snapshots() const { return d_ > 0 ? static_cast<Index>(snapshots_.size()) / d_ : 0; }
  Index n_loss_increases() const { return n_loss_increases_; }
  const std::vector<double>& losses() const { return loss_; }
  const std::vector<double>& loss_times() const { return loss_time_; }
  const std::vector<double>& snapshots() const { return snapshots_; }
  Index dim() const { return d_; }

 private:
  Index loss_every_ = 0;
  const Index* snap_iters_ = nullptr;
  Index n_snap_iters_ = 0;
  Index d_ = 0;
  Index n_loss_increases_ = 0;
  std::vector<double> loss_, loss_time_, snapshots_;
};

}  // namespace dlnfast
