// The thread team: passes of independent chunks, taken from a shared counter.
//
// Why not `omp for` with barriers: on a shared machine one descheduled thread stalls every
// barrier of the team, and waking a sleeping team costs milliseconds on these VMs (measured:
// md/flow at 2–47 % of their one-thread speed with two busy processes beside them). Here the
// calling thread (the driver) publishes a pass, takes chunks itself and waits only for chunks
// that another thread has actually started: a worker that is late, asleep or descheduled
// simply finds no chunk left, and the driver finishes the pass alone.
//
// Determinism: a pass computes chunk k into chunk k's own outputs (partial sums, per-block
// maxima); the caller combines them in chunk order afterwards. Which thread ran which chunk
// never affects the bits.
//
// The team lives for one solve: Team::run opens one OpenMP parallel region (so OpenMP's thread
// count rules, threadpoolctl and OMP_NUM_THREADS apply), thread 0 runs the driver's body and
// the other threads serve passes until the body returns. Idle workers spin briefly, then yield,
// then sleep on a condition variable; the driver wakes sleepers when it publishes a pass but
// never waits for them to wake.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define DLNFAST_PAUSE() _mm_pause()
#else
#define DLNFAST_PAUSE() ((void)0)
#endif

#include "dlnfast/core/types.hpp"

namespace dlnfast {

inline bool has_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

inline int omp_max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Multiply-adds per pass below which a solve runs on one thread: publishing a pass and
/// pulling the partial sums into one cache costs a few microseconds, more than such a pass
/// saves. One constant for every driver. Measured (`python benchmarks/bench_threads.py --sweep`,
/// GD with every pass shared, 2 threads / 1 thread, 2-core EPYC VM): n·d = 5e4: 0.91 quiet,
/// 0.95 with two busy processes; 1e5: 1.18 / 0.99; 2e5: 1.85 / 1.22; 4e5 and up: ≥ 1.1 both.
inline constexpr Index kMinParallelWork = Index{1} << 17;

/// Threads worth using for passes of `work` multiply-adds: `requested` from `min_work` on (the
/// measured threshold unless a test or benchmark overrides it), else 1. Results do not depend on it.
inline int work_threads(int requested, Index work, Index min_work = kMinParallelWork) {
  return work >= min_work ? std::max(1, requested) : 1;
}

class Team {
 public:
  /// Runs body(team) on the calling thread with a team of `n_threads` threads (fewer if OpenMP
  /// gives fewer, e.g. inside another parallel region). Returns once body has returned and
  /// every worker has left.
  template <class Body>
  static void run(int n_threads, Body&& body) {
    Team team;
    if (n_threads <= 1) {
      body(team);
      return;
    }
#pragma omp parallel num_threads(n_threads)
    {
#ifdef _OPENMP
      const int tid = omp_get_thread_num();
      if (tid == 0) team.size_ = omp_get_num_threads();
#else
      const int tid = 0;
#endif
      if (tid == 0) {
        body(team);
        team.stop();
      } else {
        team.serve();
      }
    }
  }

  /// A team of one (every pass inline on the caller), for passes too small to share.
  static Team& serial() {
    static Team t;
    return t;
  }

  /// Driver only: a hint that the next pass is far off (SGD between full-batch evaluations):
  /// idle workers sleep at once instead of spinning and yielding, which on a shared machine
  /// would take CPU time from the driver. Cleared by the next pass.
  void rest() {
    if (size_ <= 1) return;
    resting_.store(true, std::memory_order_release);
  }

  /// Threads in the team (1: every pass runs inline).
  int size() const { return size_; }

  /// Driver only: f(k) for every k in [0, n_chunks), spread over the team; returns when all
  /// are done. f must not throw.
  template <class F>
  void parallel_for(Index n_chunks, F&& f) {
    if (n_chunks <= 0) return;
    if (size_ <= 1 || n_chunks == 1) {
      for (Index k = 0; k < n_chunks; ++k) f(k);
      return;
    }
    using Fn = std::remove_reference_t<F>;
    fn_ = [](void* ctx, Index k) { (*static_cast<Fn*>(ctx))(k); };
    ctx_ = static_cast<void*>(&f);
    constexpr Index kMaxChunks = 0xffff;  // the counter's field width: larger passes go in parts
    for (base_ = 0; base_ < n_chunks; base_ += kMaxChunks) run_pass(std::min(kMaxChunks, n_chunks - base_));
  }

  /// Driver only: a pass over [0, n) in blocks of `block`: f(k, i0, i1) for block k.
  template <class F>
  void parallel_blocks(Index n, Index block, F&& f) {
    const Index nb = (n + block - 1) / block;
    parallel_for(nb, [&](Index k) { f(k, k * block, std::min(n, (k + 1) * block)); });
  }

 private:
  Team() = default;

  // Publishes chunks base_ .. base_ + n_chunks − 1 of the current job, takes chunks itself,
  // then waits for the chunks other threads started.
  void run_pass(Index n_chunks) {
    resting_.store(false, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    gen_ = (gen_ + 1) & 0xffffffffu;
    next_.store(pack(gen_, n_chunks, 0), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      cv_.notify_all();
    }
    const Index mine = work(gen_, false);
    // Wait only for chunks that another thread has claimed and not finished.
    Index spins = 0;
    while (done_.load(std::memory_order_acquire) + mine < n_chunks) {
      if (++spins < 4096) DLNFAST_PAUSE();
      else std::this_thread::yield();
    }
  }

  static std::uint64_t pack(std::uint64_t gen, Index n, Index i) {
    return (gen << 32) | (static_cast<std::uint64_t>(n) << 16) | static_cast<std::uint64_t>(i);
  }

  // Takes and runs chunks of pass `gen` until none is left; returns how many this thread ran.
  Index work(std::uint64_t gen, bool is_worker) {
    Index ran = 0;
    std::uint64_t v = next_.load(std::memory_order_acquire);
    for (;;) {
      const Index n = static_cast<Index>((v >> 16) & 0xffff), i = static_cast<Index>(v & 0xffff);
      if ((v >> 32) != gen || i >= n) return ran;
      if (next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) {
        // chunk i of pass gen is ours and not done, so the driver is still inside that pass
        // and fn_/ctx_ are the pass's own
        fn_(ctx_, base_ + i);
        if (is_worker) done_.fetch_add(1, std::memory_order_release);
        ++ran;
        v = next_.load(std::memory_order_acquire);
      }
    }
  }

  // Worker loop: wait for a pass with a new generation, help with it, repeat until stop().
  void serve() {
    std::uint64_t seen = 0;
    for (;;) {
      std::uint64_t g = wait_for_pass(seen);
      if (g == kStop) return;
      seen = g;
      work(g, true);
    }
  }

  static constexpr std::uint64_t kStop = ~std::uint64_t{0};

  std::uint64_t current_gen() const { return next_.load(std::memory_order_acquire) >> 32; }

  std::uint64_t wait_for_pass(std::uint64_t seen) {
    // spin (~tens of µs), then yield (~1 ms), then sleep until woken
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
      if (stop_.load(std::memory_order_acquire)) return kStop;
      const std::uint64_t g = current_gen();
      if (g != seen) return g;
      const bool resting = resting_.load(std::memory_order_acquire);
      if (i < 2000 && !resting) {
        DLNFAST_PAUSE();
        continue;
      }
      if (!resting && std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(1)) {
        std::this_thread::yield();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      sleepers_.fetch_add(1, std::memory_order_seq_cst);
      cv_.wait(lock, [&] { return stop_.load() || current_gen() != seen; });
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  void stop() {
    stop_.store(true, std::memory_order_seq_cst);
    std::lock_guard<std::mutex> lock(mutex_);
    cv_.notify_all();
  }

  int size_ = 1;
  std::uint64_t gen_ = 0;                    // driver's copy of the current generation
  std::atomic<std::uint64_t> next_{0};       // gen (32 bits) | n_chunks (16) | next chunk (16)
  std::atomic<Index> done_{0};               // chunks finished by workers in this pass
  void (*fn_)(void*, Index) = nullptr;
  Index base_ = 0;                           // first chunk of the current part
  void* ctx_ = nullptr;
  std::atomic<bool> stop_{false};
  std::atomic<bool> resting_{false};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace dlnfast
