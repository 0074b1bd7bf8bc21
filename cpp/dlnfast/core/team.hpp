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
// The workers are a process-wide pool of threads that outlive solves (created on first use,
// parked on a condition variable between solves). Why not an OpenMP parallel region per solve:
// its closing barrier waits for every thread of the team to have run, and on a busy machine a
// worker that was never scheduled costs the solve a whole time slice (measured: 16 ms per fit at
// (200, 2000) with two busy processes, against 0.7 ms on one thread), which makes short fits far
// slower than n_jobs=1. Here a solve returns as soon as its own work is done. The thread count
// comes from the caller (Python resolves n_jobs through omp_get_max_threads, so OMP_NUM_THREADS
// and threadpoolctl's OpenMP limit still apply). One solve uses the pool at a time; a solve that
// finds it in use (another Python thread's fit) runs on its own thread, with the same bits.
// Idle workers spin briefly, then yield, then sleep; the driver wakes sleepers when it publishes
// a pass but never waits for them to wake. After fork() the child starts a fresh pool.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#if !defined(_WIN32)
#include <pthread.h>  // pthread_atfork (no fork on Windows)
#endif
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

namespace detail {

/// The process-wide worker pool and the pass protocol (see the file comment).
class Pool {
 public:
  static Pool& instance() {
#if !defined(_WIN32)
    static const bool registered = (pthread_atfork(nullptr, nullptr, &Pool::forget), true);
    (void)registered;
#endif
    Pool* p = current().load(std::memory_order_acquire);
    if (!p) {
      std::lock_guard<std::mutex> lock(creation_mutex());
      p = current().load(std::memory_order_relaxed);
      if (!p) {
        p = new Pool();  // never destroyed: its threads live as long as the process
        current().store(p, std::memory_order_release);
      }
    }
    return *p;
  }

  /// Takes the pool for one solve with `n_workers` helpers; false if another solve holds it.
  bool acquire(int n_workers) {
    if (busy_.exchange(true, std::memory_order_acquire)) return false;
    while (static_cast<int>(n_spawned_) < n_workers) {
      const int index = n_spawned_++;
      std::thread([this, index] { serve(index); }).detach();
    }
    active_.store(n_workers, std::memory_order_relaxed);
    return true;
  }
  /// Ends the solve: idle workers go to sleep, the pool is free again.
  void release() {
    resting_.store(true, std::memory_order_release);
    busy_.store(false, std::memory_order_release);
  }
  void rest() { resting_.store(true, std::memory_order_release); }

  /// Runs the pass; with `timed`, true if it stalled (see run_pass), else always false.
  template <class F>
  bool parallel_for(Index n_chunks, F& f, bool timed) {
    using Fn = std::remove_reference_t<F>;
    fn_ = [](void* ctx, Index k) { (*static_cast<Fn*>(ctx))(k); };
    ctx_ = static_cast<void*>(&f);
    constexpr Index kMaxChunks = 0xffff;  // the counter's field width: larger passes go in parts
    bool stalled = false;
    for (base_ = 0; base_ < n_chunks; base_ += kMaxChunks)
      stalled |= run_pass(std::min(kMaxChunks, n_chunks - base_), timed);
    return stalled;
  }

 private:
  Pool() = default;

  static std::atomic<Pool*>& current() {
    static std::atomic<Pool*> p{nullptr};
    return p;
  }
  static std::mutex& creation_mutex() {
    static std::mutex m;
    return m;
  }
  // In a forked child the parent's workers do not exist: start afresh (the old pool is leaked).
  static void forget() { current().store(nullptr, std::memory_order_relaxed); }

  // The pass word: gen (32 bits) | lo (16) | hi (16): chunks [lo, hi) are still unclaimed. The
  // driver takes chunks from the front, workers from the back, so with two threads each reads
  // one contiguous half of X (as a static split would) while either can finish the pass alone.
  static std::uint64_t pack(std::uint64_t gen, Index lo, Index hi) {
    return (gen << 32) | (static_cast<std::uint64_t>(lo) << 16) | static_cast<std::uint64_t>(hi);
  }

  // Publishes chunks base_ .. base_ + n_chunks − 1 of the current job, takes chunks itself,
  // then waits for the chunks other threads started. Returns true if the pass stalled: the
  // driver, done with its own chunks after t_own, then waited more than max(t_own, 20 µs) for
  // a chunk a worker had claimed (a worker descheduled in the middle of its chunk; on a quiet
  // machine the wait is at most about one chunk). Only `timed` passes read the clock.
  bool run_pass(Index n_chunks, bool timed) {
    resting_.store(false, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    gen_ = (gen_ + 1) & 0xffffffffu;
    next_.store(pack(gen_, 0, n_chunks), std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      cv_.notify_all();
    }
    using Clock = std::chrono::steady_clock;
    const Clock::time_point t0 = timed ? Clock::now() : Clock::time_point{};
    const Index mine = work(gen_, false);
    // Wait only for chunks that another thread has claimed and not finished.
    if (done_.load(std::memory_order_acquire) + mine >= n_chunks) return false;
    const Clock::time_point t1 = timed ? Clock::now() : Clock::time_point{};
    Index spins = 0;
    while (done_.load(std::memory_order_acquire) + mine < n_chunks) {
      if (++spins < 4096) DLNFAST_PAUSE();
      else std::this_thread::yield();
    }
    if (!timed) return false;
    const Clock::duration waited = Clock::now() - t1;
    return waited > std::max<Clock::duration>(t1 - t0, std::chrono::microseconds(20));
  }

  // Takes and runs chunks of pass `gen` until none is left (the driver from the front, workers
  // from the back); returns how many this thread ran.
  Index work(std::uint64_t gen, bool is_worker) {
    Index ran = 0;
    std::uint64_t v = next_.load(std::memory_order_acquire);
    for (;;) {
      const Index lo = static_cast<Index>((v >> 16) & 0xffff), hi = static_cast<Index>(v & 0xffff);
      if ((v >> 32) != gen || lo >= hi) return ran;
      const std::uint64_t claimed = is_worker ? v - 1 : v + (std::uint64_t{1} << 16);
      if (next_.compare_exchange_weak(v, claimed, std::memory_order_acq_rel)) {
        // chunk i of pass gen is ours and not done, so the driver is still inside that pass
        // and fn_/ctx_/base_ are the pass's own
        fn_(ctx_, base_ + (is_worker ? hi - 1 : lo));
        if (is_worker) done_.fetch_add(1, std::memory_order_release);
        ++ran;
        v = next_.load(std::memory_order_acquire);
      }
    }
  }

  // Worker `index`: wait for a pass with a new generation, help with it if this solve asked for
  // at least index + 1 helpers, repeat (for the life of the process).
  void serve(int index) {
    std::uint64_t seen = current_gen();
    for (;;) {
      const std::uint64_t g = wait_for_pass(seen);
      seen = g;
      if (index < active_.load(std::memory_order_acquire)) work(g, true);
    }
  }

  std::uint64_t current_gen() const { return next_.load(std::memory_order_acquire) >> 32; }

  std::uint64_t wait_for_pass(std::uint64_t seen) {
    // spin (~tens of µs), then yield (~1 ms), then sleep until woken; at once to sleep when the
    // driver said the next pass is far off (rest)
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0;; ++i) {
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
      cv_.wait(lock, [&] { return current_gen() != seen; });
      sleepers_.fetch_sub(1, std::memory_order_seq_cst);
    }
  }

  std::atomic<bool> busy_{false};
  int n_spawned_ = 0;                        // guarded by busy_
  std::atomic<int> active_{0};               // helpers the current solve asked for
  std::uint64_t gen_ = 0;                    // driver's copy of the current generation
  std::atomic<std::uint64_t> next_{0};       // gen (32 bits) | lo (16) | hi (16), see pack
  std::atomic<Index> done_{0};               // chunks finished by workers in this pass
  void (*fn_)(void*, Index) = nullptr;
  void* ctx_ = nullptr;
  Index base_ = 0;                           // first chunk of the current part
  std::atomic<bool> resting_{true};
  std::atomic<int> sleepers_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
};

}  // namespace detail

class Team {
 public:
  /// Runs body(team) on the calling thread with a team of `n_threads` threads (at most one per
  /// core): the caller and n_threads − 1 pool workers (just the caller when the pool is in use
  /// by another solve).
  /// Returns as soon as body has returned.
  template <class Body>
  static void run(int n_threads, Body&& body) {
    Team team;
    // more threads than cores never helps a memory-bound pass, and each is a real thread here
    static const int cores = std::max(1u, std::thread::hardware_concurrency());
    n_threads = std::min(n_threads, cores);
    if (n_threads > 1) {
      detail::Pool& pool = detail::Pool::instance();
      if (pool.acquire(n_threads - 1)) {
        team.pool_ = &pool;
        team.size_ = n_threads;
      }
    }
    body(team);
    if (team.pool_) team.pool_->release();
  }

  /// A team of one (every pass inline on the caller), for passes too small to share.
  static Team& serial() {
    static Team t;
    return t;
  }

  /// Threads in the team (1: every pass runs inline).
  int size() const { return size_; }

  /// Driver only: f(k) for every k in [0, n_chunks), spread over the team; returns when all
  /// are done. f must not throw.
  template <class F>
  void parallel_for(Index n_chunks, F&& f) {
    if (n_chunks <= 0) return;
    if (!pool_ || n_chunks == 1 || serial_left_ > 0) {
      if (pool_ && n_chunks > 1 && --serial_left_ == 0) waking_ = true;
      for (Index k = 0; k < n_chunks; ++k) f(k);
      return;
    }
    // The first shared pass after a stretch on the driver alone wakes the sleeping workers (a
    // futex wake, tens of µs, longer than a short pass): its wait is not a stall. Counting it
    // as one kept a quiet machine on one thread for good (2 threads = 1 thread at (100, 1000),
    // K = 32), each wake-up restarting the back-off.
    const bool stalled = pool_->parallel_for(n_chunks, f, adaptive_) && !waking_;
    waking_ = false;
    if (!adaptive_) return;
    if (stalled) {  // the next backoff_ passes on the driver alone, the workers asleep meanwhile
      serial_left_ = backoff_;
      backoff_ = std::min(kMaxBackoff, 2 * backoff_);
      clean_ = 0;
      pool_->rest();
    } else if (++clean_ >= kCleanPasses) {
      backoff_ = std::max(kMinBackoff, backoff_ / 2);
      clean_ = 0;
    }
  }

  /// Driver only: from now on, a pass that stalls (a worker descheduled in the middle of its
  /// chunk, which on a loaded machine costs a time slice, far more than a short pass) sends the
  /// next passes to the driver alone, 32 at first, twice as many after each further stall (at
  /// most 4096), half as many again after each 256 passes shared without a stall. For drivers
  /// of many short passes (the batched sweep: three passes of ~0.03 ms per iteration at
  /// (100, 1000), K = 32). Which thread runs a chunk never changes the bits.
  void adapt_to_contention() { adaptive_ = true; }

  /// Driver only: a pass over [0, n) in blocks of `block`: f(k, i0, i1) for block k.
  template <class F>
  void parallel_blocks(Index n, Index block, F&& f) {
    const Index nb = (n + block - 1) / block;
    parallel_for(nb, [&](Index k) { f(k, k * block, std::min(n, (k + 1) * block)); });
  }

  /// Driver only: a hint that the next pass is far off (SGD between full-batch evaluations):
  /// idle workers sleep at once instead of spinning and yielding, which on a shared machine
  /// would take CPU time from the driver. Cleared by the next pass.
  void rest() {
    if (pool_) pool_->rest();
  }

 private:
  Team() = default;
  static constexpr Index kMinBackoff = 32, kMaxBackoff = 4096, kCleanPasses = 256;
  detail::Pool* pool_ = nullptr;
  int size_ = 1;
  bool adaptive_ = false;
  Index serial_left_ = 0;  // passes still to run on the driver alone (adaptive)
  bool waking_ = true;     // the next shared pass wakes the workers (not judged as a stall)
  Index backoff_ = kMinBackoff;
  Index clean_ = 0;        // shared passes without a stall since the last change of backoff_
};

}  // namespace dlnfast
