// A process-wide "interrupt pending" flag, set asynchronously (by the bindings' SIGINT handler)
// and read between row blocks of every pass over X, so that Ctrl-C stops a run within one row
// block even when a single pass takes seconds (a huge X), not only between iterations.
//
// A pass that sees the flag skips its remaining row blocks, leaving a meaningless (NaN) loss;
// check_stop (control.hpp) looks at the flag first, so such an evaluation always ends the run as
// Interrupted, never as Diverged, and no step is taken from it.
#pragma once
#include <atomic>

namespace dlnfast {

inline std::atomic<bool>& interrupt_flag() {
  static std::atomic<bool> flag{false};
  return flag;
}

/// True once an interrupt was requested and not yet consumed (one relaxed load: cheap per block).
inline bool interrupt_pending() { return interrupt_flag().load(std::memory_order_relaxed); }

/// Called by the driver thread when it acts on the flag.
inline bool consume_interrupt() { return interrupt_flag().exchange(false, std::memory_order_acq_rel); }

}  // namespace dlnfast
