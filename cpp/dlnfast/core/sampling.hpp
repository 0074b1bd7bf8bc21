// The random stream of stochastic training: sample indices and label-noise draws.
//
// Specified exactly so that a numpy reference reproduces it bit for bit (dlnfast._sampling):
//
//   splitmix64(x) = mix(x + G), G = 0x9E3779B97F4A7C15,
//   mix(z) = z' ^ (z' >> 31), z' = ((z ^ (z >> 30))·0xBF58476D1CE4E5B9 ^ …>>27)·0x94D049BB133111EB
//   word(s, c)    = splitmix64(key_s + c·G)   (mod 2^64), key_s = splitmix64(2·seed + s)
//
// It is counter based: the c-th word of stream s needs no state, so any draw can be recomputed
// (by the reference, vectorised) without replaying the stream. Stream 0 gives indices, stream 1
// label noise. The samples form one sequence, position p = t·B + b for sample b of step t
// (batches may straddle epochs):
//   * with replacement : i_p = word(0, p) mod n   (bias ≤ n/2^64, negligible);
//   * shuffle          : epoch e = p div n permutes 0..n−1 by Fisher–Yates from the identity,
//                        for k = 0..n−2 (i = n−1−k): j = word(0, e·n + k) mod (i+1), swap(π_i, π_j);
//                        i_p = π_e[p mod n];
//   * label noise      : ε_p = sqrt(−2 ln u₁)·cos(2π u₂),
//                        u₁ = ((word(1, 2p) >> 11) + 1)·2^−53 ∈ (0, 1], u₂ = (word(1, 2p+1) >> 11)·2^−53.
// The seed comes from `random_state` in Python (check_random_state(rs).randint(2^31 − 1)).
#pragma once
#include <cmath>
#include <cstdint>
#include <numeric>
#include <vector>

#include "dlnfast/core/types.hpp"

namespace dlnfast {

inline std::uint64_t splitmix64(std::uint64_t x) {
  std::uint64_t z = x + 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

class SampleStream {
 public:
  SampleStream(std::uint64_t seed, Index n, bool shuffle)
      : n_(n), shuffle_(shuffle), key_index_(splitmix64(2 * seed)), key_noise_(splitmix64(2 * seed + 1)) {
    if (shuffle_) perm_.resize(n_);
  }

  /// word(stream, counter) of the header.
  static std::uint64_t word(std::uint64_t key, std::uint64_t counter) {
    return splitmix64(key + counter * 0x9E3779B97F4A7C15ULL);
  }

  /// The index of sample position p (positions must be visited in increasing order when shuffling).
  Index index(std::uint64_t p) {
    const std::uint64_t n = static_cast<std::uint64_t>(n_);
    if (!shuffle_) return static_cast<Index>(word(key_index_, p) % n);
    const std::uint64_t e = p / n;
    if (e != epoch_ || !have_perm_) make_permutation(e);
    return perm_[p % n];
  }

  /// Standard normal draw ε_p of sample position p.
  double noise(std::uint64_t p) const {
    const double u1 = double((word(key_noise_, 2 * p) >> 11) + 1) * 0x1p-53;
    const double u2 = double(word(key_noise_, 2 * p + 1) >> 11) * 0x1p-53;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  void make_permutation(std::uint64_t e) {
    std::iota(perm_.begin(), perm_.end(), Index(0));
    const std::uint64_t n = static_cast<std::uint64_t>(n_);
    for (std::uint64_t k = 0; k + 1 < n; ++k) {
      const std::uint64_t i = n - 1 - k;
      const std::uint64_t j = word(key_index_, e * n + k) % (i + 1);
      std::swap(perm_[i], perm_[j]);
    }
    epoch_ = e;
    have_perm_ = true;
  }

  Index n_;
  bool shuffle_;
  std::uint64_t key_index_, key_noise_;
  std::vector<Index> perm_;
  std::uint64_t epoch_ = 0;
  bool have_perm_ = false;
};

}  // namespace dlnfast
