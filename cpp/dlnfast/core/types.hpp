// The engine's shared vocabulary: the index type, the outcome of every solve.
#pragma once
#include <cstdint>

namespace dlnfast {

/// Indices and counts, also across the Python boundary (64-bit everywhere; `long` is 32-bit
/// on Windows).
using Index = std::int64_t;

/// Numerical outcome of a run (every driver: full batch, stochastic, flow, LP dynamics);
/// Python turns these into results, warnings or errors.
enum class Status : int {
  Converged = 0,    ///< the stopping criterion fell below tol
  MaxIter = 1,      ///< the iteration budget was spent
  Diverged = 2,     ///< non-finite values, or a step past the sign-flip bound
  Interrupted = 3,  ///< the monitor asked to stop (Ctrl-C, or a callback returned True)
  TimeLimit = 4,    ///< the wall-clock budget (time_limit) was spent
  TargetLoss = 5,   ///< the training loss reached target_loss (a success, like Converged)
  Running = -1,     ///< internal: still iterating
};

}  // namespace dlnfast
