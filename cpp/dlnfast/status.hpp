// Outcome of a solve, and the monitor that lets the caller watch and interrupt it.
#pragma once
#include <chrono>
#include <functional>

namespace dlnfast {

/// Numerical outcome of a run; Python turns these into results, warnings or errors.
enum class Status : int {
  Converged = 0,    ///< the stopping criterion fell below tol
  MaxIter = 1,      ///< max_iter updates without reaching tol
  Diverged = 2,     ///< non-finite values, or a step past the sign-flip bound
  Interrupted = 3,  ///< the monitor asked to stop (Ctrl-C)
  Running = -1,     ///< internal: still iterating
};

/// What the monitor is shown.
struct Progress {
  long iter;
  double loss;
  double criterion;
  double elapsed;  ///< seconds since the start of the run
};

/// Called by one thread, at most every `interval` seconds (and never with a lock held).
/// `poll` returns true to stop the run (status Interrupted). An empty poll is never called.
class Monitor {
 public:
  using Poll = std::function<bool(const Progress&)>;
  explicit Monitor(Poll poll = {}, double interval = 0.1)
      : poll_(std::move(poll)), interval_(interval), start_(Clock::now()), last_(start_) {}

  double elapsed() const { return seconds(Clock::now() - start_); }

  /// True when the caller should stop. Cheap when not due (one clock read).
  bool should_stop(long iter, double loss, double criterion) {
    if (!poll_) return false;
    const auto now = Clock::now();
    if (seconds(now - last_) < interval_) return false;
    last_ = now;
    return poll_(Progress{iter, loss, criterion, seconds(now - start_)});
  }

 private:
  using Clock = std::chrono::steady_clock;
  static double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }
  Poll poll_;
  double interval_;
  Clock::time_point start_, last_;
};

}  // namespace dlnfast
