//! Text folding for search and sorting, CJK-aware.
//!
//! - [`fold`]: NFKC, lowercase, whitespace collapsed. Used for tags and search.
//! - [`sort_key`]: a collation key. Han characters are replaced by their toneless pinyin
//!   (`pinyin` crate), so 张伟 sorts as `zhang wei` among Latin names, and the original text is
//!   appended so that two names with the same reading still order deterministically.
//! - [`search_terms`]: the folded text plus the pinyin reading and its initials, so typing
//!   `zhang`, `zw` or `张` all find 张伟.

use pinyin::ToPinyin;
use unicode_normalization::UnicodeNormalization;

/// NFKC-normalised, lowercased, with runs of whitespace collapsed to one space and trimmed.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.nfkc().flat_map(char::to_lowercase) {
        if c.is_whitespace() {
            space = !out.is_empty();
        } else {
            if space {
                out.push(' ');
                space = false;
            }
            out.push(c);
        }
    }
    out
}

/// The pinyin reading of `s`: Han characters become toneless syllables separated by spaces,
/// other characters pass through folded. Returns `None` when `s` has no Han character.
pub fn pinyin_reading(s: &str) -> Option<String> {
    let folded = fold(s);
    let mut out = String::with_capacity(folded.len() * 3);
    let mut any = false;
    for c in folded.chars() {
        match c.to_pinyin() {
            Some(p) => {
                any = true;
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
                out.push_str(p.plain());
                out.push(' ');
            }
            None => out.push(c),
        }
    }
    any.then(|| out.trim_end().to_string())
}

/// A key that sorts names alphabetically across scripts (Han by pinyin). Ties on the reading
/// are broken by the folded original, after a NUL separator.
pub fn sort_key(name: &str) -> String {
    let folded = fold(name);
    let reading = pinyin_reading(name).unwrap_or_else(|| folded.clone());
    let mut key = String::with_capacity(reading.len() + folded.len() + 1);
    key.push_str(&reading);
    key.push('\0');
    key.push_str(&folded);
    key
}

/// Text to match search queries against: the folded text, plus its pinyin reading and the
/// initials of that reading when it has Han characters.
pub fn search_terms(s: &str) -> String {
    let mut out = fold(s);
    if let Some(reading) = pinyin_reading(s) {
        let initials: String = reading
            .split(' ')
            .filter_map(|w| w.chars().next())
            .collect();
        out.push(' ');
        out.push_str(&reading);
        out.push(' ');
        out.push_str(&initials);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_space() {
        assert_eq!(fold("  ＡＢＣ   Def\t g "), "abc def g");
        assert_eq!(fold("Müller"), "müller");
    }

    #[test]
    fn chinese_sorts_by_pinyin_among_latin() {
        let mut names = vec!["张伟", "Anna Schmidt", "李娜", "Zoe", "王芳"];
        names.sort_by_key(|n| sort_key(n));
        assert_eq!(names, vec!["Anna Schmidt", "李娜", "王芳", "张伟", "Zoe"]);
    }

    #[test]
    fn search_terms_include_reading_and_initials() {
        let t = search_terms("张伟");
        assert!(t.contains("张伟"));
        assert!(t.contains("zhang wei"));
        assert!(t.contains("zw"));
        assert_eq!(search_terms("Acme GmbH"), "acme gmbh");
    }
}
