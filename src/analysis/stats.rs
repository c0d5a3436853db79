//! Count-aware tests: how surprising a count of failures is against what
//! a baseline rate predicts. Small numbers are judged as counts (Poisson),
//! not as ratios, so two background failures on thin traffic neither open
//! nor hold an incident.

/// `ln Γ(x)` for `x > 0` (Lanczos, g = 7, 9 terms; about 15 digits).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x) Γ(1 − x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// `ln P(X = k)` for `X ~ Poisson(λ)`, `λ > 0`.
fn ln_pmf(k: u64, lambda: f64) -> f64 {
    let k = k as f64;
    k * lambda.ln() - lambda - ln_gamma(k + 1.0)
}

/// `P(X ≥ k)` for `X ~ Poisson(λ)`: the chance of seeing at least `k`
/// events when `λ` are expected.
pub fn poisson_at_least(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if lambda.is_nan() || lambda <= 0.0 {
        return 0.0;
    }
    if lambda.is_infinite() {
        return 1.0;
    }
    if (k as f64) > lambda {
        // Sum the upper tail from k on; the terms fall off fast.
        let mut term = ln_pmf(k, lambda).exp();
        let mut sum = 0.0;
        let mut j = k as f64;
        for _ in 0..100_000 {
            sum += term;
            j += 1.0;
            term *= lambda / j;
            if term < sum * 1e-16 {
                break;
            }
        }
        sum.min(1.0)
    } else {
        // One minus the lower tail, summed down from k − 1.
        let mut term = ln_pmf(k - 1, lambda).exp();
        let mut sum = 0.0;
        let mut j = (k - 1) as f64;
        loop {
            sum += term;
            if j == 0.0 || term < sum * 1e-16 {
                break;
            }
            term *= j / lambda;
            j -= 1.0;
        }
        (1.0 - sum).clamp(0.0, 1.0)
    }
}

/// `P(X ≤ k)` for `X ~ Poisson(λ)`: the chance of seeing at most `k`.
pub fn poisson_at_most(k: u64, lambda: f64) -> f64 {
    1.0 - poisson_at_least(k + 1, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs().max(1e-300)
    }

    #[test]
    fn ln_gamma_matches_factorials() {
        let mut f = 1.0f64;
        for n in 1..30u32 {
            f *= n as f64;
            assert!(close(ln_gamma(n as f64 + 1.0), f.ln(), 1e-12), "{n}");
        }
        assert!(close(
            ln_gamma(0.5),
            std::f64::consts::PI.sqrt().ln(),
            1e-12
        ));
    }

    #[test]
    fn poisson_tails_match_direct_sums() {
        // Reference values from the pmf summed directly.
        let direct = |k: u64, lambda: f64| -> f64 {
            let mut p = (-lambda).exp();
            let mut below = 0.0;
            for j in 0..k {
                below += p;
                p *= lambda / (j + 1) as f64;
            }
            1.0 - below
        };
        for &(k, lambda) in &[
            (1u64, 0.15),
            (2, 0.15),
            (3, 2.0),
            (10, 3.0),
            (5, 5.0),
            (20, 30.0),
            (40, 30.0),
        ] {
            let got = poisson_at_least(k, lambda);
            let want = direct(k, lambda);
            assert!(
                close(got, want, 1e-9) || (got - want).abs() < 1e-15,
                "{k} {lambda}: {got} vs {want}"
            );
        }
        // Two failures where 0.15 are expected: about 1 in 100.
        assert!((poisson_at_least(2, 0.15) - 0.010_18).abs() < 1e-4);
        assert_eq!(poisson_at_least(0, 3.0), 1.0);
        assert_eq!(poisson_at_least(3, 0.0), 0.0);
    }

    #[test]
    fn large_counts_do_not_underflow() {
        // λ = 5,000: e^-λ underflows, the tails must not.
        let p = poisson_at_least(5_000, 5_000.0);
        assert!((p - 0.5).abs() < 0.01, "{p}");
        assert!(poisson_at_least(6_000, 5_000.0) < 1e-40);
        assert!(poisson_at_least(4_000, 5_000.0) > 0.999_999);
        assert!(poisson_at_most(4_000, 5_000.0) < 1e-40);
    }
}
