//! Authentication levels. A scope may require that the subject authenticated at a given
//! level (`acr`) before it can be granted, e.g. strong customer authentication (PSD2 SCA)
//! before `withdraw`. Levels are ordered by the policy's ranking, weakest first; these
//! constants are the defaults.

/// One factor (typically a password).
pub const SINGLE_FACTOR: &str = "urn:latchkey:acr:1fa";

/// Strong customer authentication: two independent factors.
pub const STRONG: &str = "urn:latchkey:acr:sca";

/// The default ranking, weakest first.
pub fn default_ranking() -> Vec<String> {
    vec![SINGLE_FACTOR.to_owned(), STRONG.to_owned()]
}

/// Whether `reached` satisfies `required` under `ranking` (weakest first). An unranked
/// value satisfies only itself.
pub fn satisfies(ranking: &[String], reached: &str, required: &str) -> bool {
    if reached == required {
        return true;
    }
    let rank = |v: &str| ranking.iter().position(|r| r == v);
    matches!((rank(reached), rank(required)), (Some(a), Some(b)) if a >= b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_satisfies_single_factor_but_not_the_reverse() {
        let ranking = default_ranking();
        assert!(satisfies(&ranking, STRONG, SINGLE_FACTOR));
        assert!(!satisfies(&ranking, SINGLE_FACTOR, STRONG));
        assert!(!satisfies(&ranking, "made-up", STRONG));
        assert!(satisfies(&ranking, "made-up", "made-up"));
    }
}
