"""The random stream of stochastic training, in numpy (the specification; the C++ engine's
``cpp/dlnfast/sampling.hpp`` implements the same stream and the tests check they agree).

Counter based: ``word(s, c) = splitmix64(key_s + c·G)`` (mod 2⁶⁴), ``key_s = splitmix64(2·seed + s)``,
``G = 0x9E3779B97F4A7C15``. Stream 0 gives sample indices, stream 1 label noise. Sample ``b`` of
step ``t`` with batch size ``B`` is at position ``p = t·B + b``:

* with replacement: ``i_p = word(0, p) mod n``;
* epoch shuffling: epoch ``e = p // n`` is a Fisher–Yates permutation of ``0..n−1`` started from the
  identity, with ``j = word(0, e·n + k) mod (i + 1)`` swapped with ``i = n − 1 − k`` for
  ``k = 0..n−2``; ``i_p = π_e[p mod n]``;
* label noise: ``ε_p = sqrt(−2 ln u₁)·cos(2π u₂)`` (Box–Muller), ``u₁ = ((word(1, 2p) >> 11) + 1)·2⁻⁵³``,
  ``u₂ = (word(1, 2p + 1) >> 11)·2⁻⁵³``.

Why a stream of our own rather than numpy's Generator: it is tiny, identical in C++ and numpy
without sharing code, costs a few nanoseconds per draw with no allocation, and any draw can be
recomputed from its position. The seed is ``check_random_state(random_state).randint(2**31 − 1)``
(see :func:`seed_from_random_state`), as sklearn's own SGD estimators do.
"""
import numpy as np
from sklearn.utils import check_random_state

_G = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def seed_from_random_state(random_state):
    """The engine's integer seed for ``random_state`` (None, int or RandomState)."""
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def splitmix64(x):
    """SplitMix64 finaliser of ``x + G`` on a uint64 array (wrapping arithmetic)."""
    z = np.asarray(x, dtype=np.uint64) + _G
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def words(seed, stream, counters):
    key = splitmix64(np.array([2 * int(seed) + stream], dtype=np.uint64))[0]
    c = np.asarray(counters, dtype=np.uint64)
    return splitmix64(key + c * _G)


def sample_indices(seed, n, positions, shuffle=False):
    """Indices of the samples at stream ``positions`` (an increasing range for shuffling)."""
    positions = np.asarray(positions, dtype=np.int64)
    if not shuffle:
        return (words(seed, 0, positions) % np.uint64(n)).astype(np.int64)
    out = np.empty(positions.shape[0], dtype=np.int64)
    perms = {}
    for k, p in enumerate(positions):
        e = int(p) // n
        if e not in perms:
            perm = np.arange(n)
            w = words(seed, 0, e * n + np.arange(n - 1))
            for kk in range(n - 1):
                i = n - 1 - kk
                j = int(w[kk] % np.uint64(i + 1))
                perm[i], perm[j] = perm[j], perm[i]
            perms[e] = perm
        out[k] = perms[e][int(p) % n]
    return out


def standard_normal(seed, positions):
    """Label-noise draws ε_p at stream ``positions``."""
    p = np.asarray(positions, dtype=np.uint64)
    w1 = words(seed, 1, np.uint64(2) * p)
    w2 = words(seed, 1, np.uint64(2) * p + np.uint64(1))
    u1 = ((w1 >> np.uint64(11)) + np.uint64(1)).astype(np.float64) * 2.0**-53
    u2 = (w2 >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
