// The monitor that lets the caller watch and interrupt a run, and its wall clock.
#pragma once
#include <chrono>
#include <functional>

#include "dlnfast/core/types.hpp"

namespace dlnfast {

/// What the monitor is shown.
struct Progress {
  Index iter;
  double loss;
  double criterion;
  double elapsed;  ///< seconds since the start of the run
};

/// Called by the driver thread only, at most every `interval` seconds (never inside a pass).
/// `poll` returns true to stop the run (status Interrupted). An empty poll is never called.
/// The bindings' poll takes the GIL, runs Python's signal handlers (Ctrl-C) and an optional
/// progress callback.
class Monitor {
 public:
  using Poll = std::function<bool(const Progress&)>;
  explicit Monitor(Poll poll = {}, double interval = 0.1)
      : poll_(std::move(poll)), interval_(interval), start_(Clock::now()), last_(start_) {}

  double elapsed() const { return seconds(Clock::now() - start_); }

  /// Polls now, whatever the interval (after an interrupt request). True: stop.
  bool poll_now(Index iter, double loss, double criterion) {
    if (!poll_) return true;
    last_ = Clock::now();
    return poll_(Progress{iter, loss, criterion, seconds(last_ - start_)});
  }

  /// True when the caller should stop. Cheap when not due (one clock read).
  bool should_stop(Index iter, double loss, double criterion) {
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
