//! Helpers shared by the unit and integration tests (public for the
//! latter; not part of the API).

/// Deterministic pseudo-random numbers below `n` (an LCG), from `seed`:
/// randomized tests that fail the same way every run.
pub fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |n| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize % n
    }
}
