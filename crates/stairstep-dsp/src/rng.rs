//! A counter-based random number generator for dither.
//!
//! Every random word is a pure function of `(key, sample index since reset)`: the stream does
//! not depend on how the host splits its blocks, channels get distinct streams from distinct
//! keys, and "reseeding" is setting the counter back to zero. A counter-based generator also
//! has no loop-carried dependency, so a block of words is filled by a loop the compiler can
//! vectorise.
//!
//! The word at counter `c` is [`stream_word`]: the Weyl sequence `c·WEYL` (mod 2^32, WEYL the
//! golden-ratio increment 2^32/φ) through the last three steps of `lowbias32`, the bijective
//! 32-bit integer hash (xorshift-multiply, three rounds, avalanche bias about 0.17) from Chris
//! Wellons, "Prospecting for Hash Functions" (2018). This is the construction of SplitMix
//! (Steele, Lea and Flood, "Fast Splittable Pseudorandom Number Generators", OOPSLA 2014): a
//! Weyl sequence with the golden-ratio increment, then a mixing function. A running sum costs
//! one addition per sample (or per vector), where hashing the counter with the whole
//! `lowbias32` took an xor-shift and a multiply more.
//!
//! NOTE: The increment matters. `lowbias32`'s own first multiplier, 0x7feb352d, was tried
//!       first: it is 0.4997·2^32, so states two samples apart nearly coincide, and
//!       dieharder's OPERM5 (the order of five consecutive words) failed with p = 0 on every
//!       key tried, where the golden ratio passes. (`lowbias32` whole still derives the
//!       channel keys and seeds.)

/// The Weyl increment of the word stream: 2^32/φ rounded to odd (odd, so the sequence visits
/// every `u32` once in 2^32 steps; the golden ratio spreads consecutive states most evenly,
/// by the three-distance theorem).
pub const WEYL: u32 = 0x9e37_79b9;
/// The golden-ratio increment also spreads channel keys over the counter space.
const KEY_SPREAD: u32 = WEYL;
/// `lowbias32`'s second multiplier.
pub const MIX: u32 = 0x846c_a68b;

/// The stream's word at counter `c`: `finish(c·WEYL)`. A bijection of `u32`.
#[inline(always)]
pub fn stream_word(c: u32) -> u32 {
    finish(c.wrapping_mul(WEYL))
}

/// `lowbias32` after its first multiply: xor-shift 15, multiply, xor-shift 16.
#[inline(always)]
pub fn finish(mut x: u32) -> u32 {
    x ^= x >> 15;
    x = x.wrapping_mul(MIX);
    x ^ (x >> 16)
}

/// One bijective 32-bit hash round trip (`lowbias32`).
#[inline(always)]
pub fn lowbias32(mut x: u32) -> u32 {
    x ^= x >> 16;
    finish(x.wrapping_mul(0x7feb_352d))
}

/// A per-channel stream of uniformly distributed 32-bit words.
#[derive(Debug, Clone)]
pub struct CounterRng {
    /// Offset of this channel's stream in the counter space. Any `u32`.
    key: u32,
    /// Number of words drawn since the last [`CounterRng::reset`]. Wraps after 2^32 samples
    /// (about 24.8 hours at 48 kHz).
    counter: u32,
}

impl CounterRng {
    /// A stream for channel `channel` of a generator seeded with `seed`.
    pub fn new(seed: u32, channel: usize) -> Self {
        Self { key: lowbias32(seed ^ 0x5354_5250).wrapping_add((channel as u32).wrapping_mul(KEY_SPREAD)), counter: 0 }
    }

    /// Back to the first word of the stream.
    pub fn reset(&mut self) {
        self.counter = 0;
    }

    /// This stream's offset in the counter space: the word at position `p` is
    /// `stream_word(p + key)`.
    pub fn key(&self) -> u32 {
        self.key
    }

    /// The number of words drawn since the last reset.
    pub fn position(&self) -> u32 {
        self.counter
    }

    /// The word at a given position, without advancing.
    #[inline(always)]
    pub fn word_at(&self, position: u32) -> u32 {
        stream_word(position.wrapping_add(self.key))
    }

    /// Fill `out` with the next `out.len()` words.
    pub fn fill(&mut self, out: &mut [u32]) {
        let base = self.counter.wrapping_add(self.key);
        for (i, w) in out.iter_mut().enumerate() {
            *w = stream_word(base.wrapping_add(i as u32));
        }
        self.advance(out.len());
    }

    /// Skip `n` words (used while nothing needs random numbers, so that the stream position
    /// stays tied to the sample index).
    pub fn advance(&mut self, n: usize) {
        self.counter = self.counter.wrapping_add(n as u32);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Split a stream of `total` words into blocks of `block` and compare with one fill.
    fn check_block_independence(total: usize, block: usize) {
        let mut a = CounterRng::new(1, 0);
        let mut whole = vec![0u32; total];
        a.fill(&mut whole);

        let mut b = CounterRng::new(1, 0);
        let mut split = vec![0u32; total];
        for chunk in split.chunks_mut(block) {
            b.fill(chunk);
        }
        assert_eq!(whole, split, "block size {block}");
    }

    #[test]
    fn blocks_of_1_equal_one_fill() {
        check_block_independence(1000, 1);
    }

    #[test]
    fn blocks_of_7_equal_one_fill() {
        check_block_independence(1000, 7);
    }

    #[test]
    fn blocks_of_256_equal_one_fill() {
        check_block_independence(1000, 256);
    }

    #[test]
    fn reset_replays_and_channels_differ() {
        let mut a = CounterRng::new(7, 0);
        let mut first = [0u32; 64];
        a.fill(&mut first);
        a.reset();
        let mut again = [0u32; 64];
        a.fill(&mut again);
        assert_eq!(first, again);

        let mut other = [0u32; 64];
        CounterRng::new(7, 1).fill(&mut other);
        let same = first.iter().zip(&other).filter(|(x, y)| x == y).count();
        assert!(same < 2, "channel streams overlap in {same} of 64 words");
    }

    /// The words' two 16-bit halves (what TPDF sums) as uniforms on [0, 1), for `n` words of
    /// a stream from `start`.
    fn halves(rng: &CounterRng, start: u32, n: usize) -> [Vec<f64>; 2] {
        let w: Vec<u32> = (0..n as u32).map(|i| rng.word_at(start.wrapping_add(i))).collect();
        let unit = |h: u32| h as f64 / 65536.0;
        [w.iter().map(|&w| unit(w & 0xffff)).collect(), w.iter().map(|&w| unit(w >> 16)).collect()]
    }

    /// Correlation coefficient of two equally long sequences.
    fn correlation(a: &[f64], b: &[f64]) -> f64 {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
        let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
        let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
        cov / (va * vb).sqrt()
    }

    /// The Weyl sequence's structure would show as correlation between words a fixed number
    /// of samples apart: none at lags 1 to 64 (the vector widths and their multiples), at 2^16
    /// and 2^16 ± 1, between the halves of one word (which TPDF sums) and between the halves
    /// of neighbours. Threshold 5 sigma, sigma = 2^-10 for 2^20 pairs.
    #[test]
    fn words_are_uncorrelated_at_short_and_structured_lags() {
        let n = 1 << 20;
        let rng = CounterRng::new(5, 0);
        let limit = 5.0 / (n as f64).sqrt();
        let lags = (1..=64u32).chain([1 << 16, (1 << 16) - 1, (1 << 16) + 1]);
        let [lo, hi] = halves(&rng, 0, n);
        let r = correlation(&lo, &hi);
        assert!(r.abs() < limit, "halves of one word: {r}");
        for lag in lags {
            let [lo_k, hi_k] = halves(&rng, lag, n);
            for (name, a, b) in [("low", &lo, &lo_k), ("high", &hi, &hi_k), ("low-high", &lo, &hi_k)] {
                let r = correlation(a, b);
                assert!(r.abs() < limit, "lag {lag}, {name}: {r}");
            }
        }
    }

    /// Stereo channels' streams (keys KEY_SPREAD apart) are uncorrelated, also one sample off.
    #[test]
    fn channels_are_uncorrelated() {
        let n = 1 << 20;
        let limit = 5.0 / (n as f64).sqrt();
        for seed in [0, 1, 0x5354_5250] {
            let (l, r) = (CounterRng::new(seed, 0), CounterRng::new(seed, 1));
            let [ll, lh] = halves(&l, 0, n);
            for offset in [0u32, 1, u32::MAX] {
                let [rl, rh] = halves(&r, offset, n);
                for (a, b) in [(&ll, &rl), (&lh, &rh), (&ll, &rh)] {
                    let c = correlation(a, b);
                    assert!(c.abs() < limit, "seed {seed}, offset {offset}: {c}");
                }
            }
        }
    }

    /// Consecutive words fill the plane evenly (a lattice, as a bare Weyl sequence makes,
    /// would leave most cells empty): chi-square over 16 × 16 cells of the top four bits of
    /// each half of word c against the same of word c + 1. 255 degrees of freedom: mean 255,
    /// standard deviation 22.6; the limit is 5 of them above.
    #[test]
    fn consecutive_words_fill_the_plane() {
        let n = 1 << 20;
        let rng = CounterRng::new(9, 0);
        for shift in [12u32, 28] {
            let mut cells = [0u32; 256];
            let mut prev = (rng.word_at(0) >> shift) & 15;
            for c in 1..=n as u32 {
                let next = (rng.word_at(c) >> shift) & 15;
                cells[(prev * 16 + next) as usize] += 1;
                prev = next;
            }
            let expected = n as f64 / 256.0;
            let chi2: f64 = cells.iter().map(|&k| (k as f64 - expected).powi(2) / expected).sum();
            assert!(chi2 < 255.0 + 5.0 * 22.6, "bits {shift}..{}: chi-square {chi2}", shift + 4);
        }
    }

    /// The order of five consecutive words is uniform over the 120 orderings (dieharder's
    /// OPERM5, in a non-overlapping form): chi-square over 2^23 groups, 119 degrees of
    /// freedom, mean 119 and standard deviation 15.4, limit 5 of them above. With the Weyl
    /// increment 0x7feb352d (0.4997·2^32, states two apart nearly equal) it gave 239.
    #[test]
    fn orderings_of_five_consecutive_words_are_uniform() {
        let rng = CounterRng::new(0, 0);
        let groups = 1u32 << 23;
        let mut cells = [0u32; 120];
        for g in 0..groups {
            let w: [u32; 5] = std::array::from_fn(|i| rng.word_at(5 * g + i as u32));
            // The ordering's Lehmer code: for each word, how many later ones are smaller.
            let code = (0..5).fold(0usize, |code, i| {
                let smaller = w[i + 1..].iter().filter(|&&v| v < w[i]).count();
                code * (5 - i) + smaller
            });
            cells[code] += 1;
        }
        let expected = groups as f64 / 120.0;
        let chi2: f64 = cells.iter().map(|&k| (k as f64 - expected).powi(2) / expected).sum();
        assert!(chi2 < 119.0 + 5.0 * 15.4, "chi-square {chi2}");
    }

    /// `finish` is `lowbias32` after its first xor-shift and multiply.
    #[test]
    fn finish_is_the_end_of_lowbias32() {
        for c in [0u32, 1, 0xffff, 0x1_0000, 0x8000_0000, u32::MAX, 0x1234_5678] {
            assert_eq!(lowbias32(c), finish((c ^ (c >> 16)).wrapping_mul(0x7feb_352d)));
        }
    }

    #[test]
    fn bits_are_balanced() {
        // Each of the 32 bit positions should be set in half of 2^16 words, within 5 sigma
        // (sigma = sqrt(n)/2 = 128).
        let mut rng = CounterRng::new(3, 0);
        let mut words = vec![0u32; 1 << 16];
        rng.fill(&mut words);
        for bit in 0..32 {
            let ones = words.iter().filter(|w| (*w >> bit) & 1 == 1).count() as f64;
            assert!((ones - 32768.0).abs() < 5.0 * 128.0, "bit {bit}: {ones} ones");
        }
    }
}
