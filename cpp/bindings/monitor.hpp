// A Monitor whose poll re-acquires the GIL to honour Ctrl-C and to call an optional Python
// progress callback. A Python error raised there (KeyboardInterrupt, or the callback's own) is
// left set in the interpreter and the run stops; `raise_if_python_error` rethrows it once the
// solve has returned and the GIL is held again, so no exception crosses an OpenMP region.
#pragma once
#include <pybind11/pybind11.h>
#include <signal.h>

#include <memory>
#include <mutex>

#include "dlnfast/core/interrupt.hpp"
#include "dlnfast/core/monitor.hpp"

namespace dlnfast::bindings {
namespace py = pybind11;

/// While at least one solve runs, SIGINT also raises dlnfast's interrupt flag (read between row
/// blocks of each pass, see core/interrupt.hpp) before calling the handler that was installed
/// (Python's, which trips its own flag for PyErr_CheckSignals). Reference-counted, so concurrent
/// solves share one installation; the previous handler is restored when the last one ends.
/// Nothing is installed when SIGINT is ignored or left at its default.
class SigintWatch {
 public:
  SigintWatch() {
    std::lock_guard<std::mutex> lock(mutex());
    if (count()++ > 0) return;
    struct sigaction current;
    if (sigaction(SIGINT, nullptr, &current) != 0) return;
    const bool handled = (current.sa_flags & SA_SIGINFO) ? current.sa_sigaction != nullptr
                                                         : (current.sa_handler != SIG_DFL && current.sa_handler != SIG_IGN);
    if (!handled) return;
    previous() = current;
    struct sigaction ours = current;
    ours.sa_flags &= ~SA_SIGINFO;
    ours.sa_handler = &SigintWatch::on_sigint;
    installed() = sigaction(SIGINT, &ours, nullptr) == 0;
  }
  ~SigintWatch() {
    std::lock_guard<std::mutex> lock(mutex());
    if (--count() > 0 || !installed()) return;
    sigaction(SIGINT, &previous(), nullptr);
    installed() = false;
    interrupt_flag().store(false);  // a request no run consumed does not reach the next one
  }
  SigintWatch(const SigintWatch&) = delete;
  SigintWatch& operator=(const SigintWatch&) = delete;

 private:
  static void on_sigint(int sig) {  // async-signal-safe: one atomic store and the old handler
    interrupt_flag().store(true, std::memory_order_relaxed);
    const struct sigaction& old = previous();
    if (old.sa_flags & SA_SIGINFO) old.sa_sigaction(sig, nullptr, nullptr);
    else old.sa_handler(sig);
  }
  static std::mutex& mutex() { static std::mutex m; return m; }
  static int& count() { static int c = 0; return c; }
  static bool& installed() { static bool b = false; return b; }
  static struct sigaction& previous() { static struct sigaction a; return a; }
};

inline Monitor make_monitor(py::object progress, double interval = 0.1) {
  auto watch = std::make_shared<SigintWatch>();  // lives as long as the monitor's poll
  return Monitor(
      [progress, watch](const Progress& p) -> bool {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) return true;
        if (!progress.is_none()) {
          try {
            py::object stop = progress(p.iter, p.loss, p.criterion, p.elapsed);
            return !stop.is_none() && stop.cast<bool>();
          } catch (py::error_already_set& e) {
            e.restore();
            return true;
          }
        }
        return false;
      },
      interval);
}

inline void raise_if_python_error() {
  if (PyErr_Occurred()) throw py::error_already_set();
}

}  // namespace dlnfast::bindings
