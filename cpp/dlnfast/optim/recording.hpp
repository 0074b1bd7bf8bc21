// An optimiser adapter that records the network's factors every `every` iterations (before
// the update of iterations 0, every, 2·every, …, and once more at the end of the run), for
// quantities computed from the factors after the run (the sharpness curve). The buffer grows
// as rows arrive (never sized by max_iter). `every` ≤ 0 records nothing.
#pragma once
#include <vector>

#include "dlnfast/core/control.hpp"
#include "dlnfast/core/team.hpp"
#include "dlnfast/core/types.hpp"

namespace dlnfast {

/// Record(net, out) writes the factors (row_size values) of `net` to out.
template <class Optim, class Record>
class Recording {
 public:
  Recording(Optim& inner, Index every, Index row_size, Record record)
      : inner_(inner), every_(every), row_(row_size), record_(record) {}

  template <class Net>
  StepStats step(Net& net, double eta, const double* g, double* beta, Team& team) {
    if (every_ > 0 && k_ % every_ == 0) push(net, k_);
    ++k_;
    return inner_.step(net, eta, g, beta, team);
  }
  template <class Net>
  void renormalise(Net& net) { inner_.renormalise(net); }
  template <class Net>
  void iterate_beta(const Net& net, const double* beta_state, double* out) const {
    inner_.iterate_beta(net, beta_state, out);
  }
  template <class Net>
  void finish(Net& net, double* beta) {
    inner_.finish(net, beta);
    if (every_ > 0 && (iters_.empty() || iters_.back() != k_)) push(net, k_);
  }

  const std::vector<double>& rows() const { return rows_; }
  const std::vector<Index>& iters() const { return iters_; }

 private:
  template <class Net>
  void push(const Net& net, Index k) {
    const std::size_t s = rows_.size();
    rows_.resize(s + static_cast<std::size_t>(row_));
    record_(net, rows_.data() + s);
    iters_.push_back(k);
  }
  Optim& inner_;
  Index every_, row_, k_ = 0;
  Record record_;
  std::vector<double> rows_;
  std::vector<Index> iters_;
};

}  // namespace dlnfast
