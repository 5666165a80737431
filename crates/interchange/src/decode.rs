//! Bytes to text: which encoding an import file is in, and its text.
//!
//! Real contact files and "CSV"s come in the encoding of the program and the system that wrote
//! them: UTF-16 from Excel's "Unicode text" and from some phones, the Windows code page from
//! Outlook, GB18030 from Excel on a Chinese Windows, Shift_JIS from Japanese phones. In order:
//!
//! 1. An encoding asked for by name (`--encoding`), when given: the file is decoded with it, and
//!    bytes it cannot decode are an error naming the line.
//! 2. A byte order mark: UTF-8, UTF-16LE or UTF-16BE (the mark is removed).
//! 3. UTF-16 without a mark, recognised by its NUL bytes: text that is mostly ASCII has a NUL in
//!    every other byte, on the odd positions for little-endian and the even ones for big-endian.
//! 4. Valid UTF-8 is UTF-8 (plain ASCII among it).
//! 5. Otherwise `chardetng` guesses a legacy encoding (GB18030/GBK, Big5, Shift_JIS, EUC-KR,
//!    Windows-1250 to 1258, ISO-8859-x...) from the bytes; `encoding_rs` decodes them. A guess
//!    that still meets undecodable bytes, or whose text is more than 1% control characters
//!    (a single-byte code page decodes any byte), is refused with [`DecodeError::Unsure`],
//!    which asks for `--encoding`.
//!
//! Pure: no IO. Decoders are `encoding_rs`'s (WHATWG names and labels: `gbk`, `gb18030`,
//! `big5`, `shift_jis`, `euc-kr`, `windows-1252`, `iso-8859-2`, `utf-16le`...).

use encoding_rs::{Encoding, UTF_8, UTF_16BE, UTF_16LE};
use serde::Serialize;

/// A file's text and how its encoding was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decoded {
    /// The text, without a byte order mark.
    pub text: String,
    /// The encoding used.
    pub encoding: &'static Encoding,
    /// How it was chosen.
    pub how: How,
}

impl Decoded {
    /// The encoding's name as people know it (`UTF-8`, `GBK`, `Shift_JIS`, `windows-1252`).
    pub fn encoding_name(&self) -> &'static str {
        self.encoding.name()
    }

    /// "UTF-16LE (byte order mark)", for previews.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.encoding.name(), self.how.as_str())
    }
}

/// How an encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// Asked for by name.
    Asked,
    /// A byte order mark at the start.
    ByteOrderMark,
    /// UTF-16 recognised by its NUL bytes, without a mark.
    Utf16Pattern,
    /// The bytes are valid UTF-8.
    ValidUtf8,
    /// Guessed from the bytes (`chardetng`).
    Guessed,
}

impl How {
    /// Short text for previews.
    pub fn as_str(self) -> &'static str {
        match self {
            How::Asked => "as asked",
            How::ByteOrderMark => "byte order mark",
            How::Utf16Pattern => "UTF-16 without a byte order mark",
            How::ValidUtf8 => "valid UTF-8",
            How::Guessed => "guessed",
        }
    }
}

/// Why a file's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "`{0}` is not an encoding we know (try utf-8, utf-16le, gb18030, gbk, big5, shift_jis, euc-kr, windows-1252, iso-8859-2)"
    )]
    UnknownEncoding(String),
    #[error("line {line}: the file is not valid {encoding} text")]
    Invalid { line: u64, encoding: &'static str },
    #[error(
        "line {line}: cannot tell which encoding the file is in (it is not UTF-8; {guess} does not fit it either); name it with --encoding, e.g. --encoding gb18030 or --encoding windows-1252"
    )]
    Unsure { line: u64, guess: &'static str },
}

/// An encoding by its name or label (`gbk`, `GB18030`, `cp1252`, `latin1`, `sjis`, `utf16`).
pub fn encoding_for(name: &str) -> Result<&'static Encoding, DecodeError> {
    let n = name.trim().to_ascii_lowercase();
    // Names people type that are not WHATWG labels.
    let alias = match n.as_str() {
        "utf16" | "utf-16" | "ucs-2" | "ucs2" => "utf-16le",
        "utf16le" => "utf-16le",
        "utf16be" => "utf-16be",
        "cp936" | "cp54936" => "gb18030",
        "cp950" | "big5-hkscs" => "big5",
        "cp932" | "sjis" | "shift-jis" => "shift_jis",
        "cp949" | "uhc" => "euc-kr",
        "cp1250" | "cp1251" | "cp1252" | "cp1253" | "cp1254" | "cp1255" | "cp1256" | "cp1257"
        | "cp1258" => return encoding_for(&n.replace("cp", "windows-")),
        "latin-1" => "latin1",
        other => other,
    };
    Encoding::for_label(alias.as_bytes()).ok_or_else(|| DecodeError::UnknownEncoding(name.into()))
}

/// The line (1-based) that byte `at` is on.
fn line_at(bytes: &[u8], at: usize) -> u64 {
    1 + bytes[..at.min(bytes.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count() as u64
}

/// Decodes `bytes` with `enc` strictly: the first undecodable byte is an error on its line.
fn strict(bytes: &[u8], enc: &'static Encoding, how: How) -> Result<Decoded, DecodeError> {
    // UTF-16 line numbers: count the code units that are '\n'.
    match enc.decode_without_bom_handling_and_without_replacement(bytes) {
        Some(text) => Ok(Decoded {
            text: text.into_owned(),
            encoding: enc,
            how,
        }),
        None => {
            let (lossy, _) = enc.decode_without_bom_handling(bytes);
            let line = 1 + lossy
                .split('\u{fffd}')
                .next()
                .map_or(0, |before| before.matches('\n').count()) as u64;
            Err(DecodeError::Invalid {
                line,
                encoding: enc.name(),
            })
        }
    }
}

/// UTF-16 without a byte order mark: of the first 4,096 bytes, most of one parity are NUL and
/// almost none of the other (text with ASCII letters, digits, commas and line ends).
fn utf16_pattern(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096) & !1];
    if head.len() < 4 {
        return None;
    }
    let pairs = head.len() / 2;
    let (mut even, mut odd) = (0usize, 0usize);
    for pair in head.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    // At least 30% of the characters ASCII, and NULs on one side only.
    let enough = pairs * 3 / 10;
    if odd >= enough.max(1) && even * 20 <= pairs {
        Some(UTF_16LE)
    } else if even >= enough.max(1) && odd * 20 <= pairs {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// The text of `bytes`, in the encoding `asked` names or else the one found (see the module
/// documentation for the order).
pub fn decode(bytes: &[u8], asked: Option<&str>) -> Result<Decoded, DecodeError> {
    if let Some(name) = asked {
        let enc = encoding_for(name)?;
        // A mark of the same encoding is dropped; the bytes are otherwise taken as they are.
        let body = match Encoding::for_bom(bytes) {
            Some((bom_enc, len)) if bom_enc == enc => &bytes[len..],
            _ => bytes,
        };
        return strict(body, enc, How::Asked);
    }
    if let Some((enc, len)) = Encoding::for_bom(bytes) {
        return strict(&bytes[len..], enc, How::ByteOrderMark);
    }
    if let Some(enc) = utf16_pattern(bytes) {
        return strict(bytes, enc, How::Utf16Pattern);
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return Ok(Decoded {
            text: text.to_string(),
            encoding: UTF_8,
            how: How::ValidUtf8,
        });
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    let first_bad = std::str::from_utf8(bytes)
        .err()
        .map_or(0, |e| e.valid_up_to());
    if guess == UTF_8 {
        return Err(DecodeError::Unsure {
            line: line_at(bytes, first_bad),
            guess: guess.name(),
        });
    }
    let unsure = || DecodeError::Unsure {
        line: line_at(bytes, first_bad),
        guess: guess.name(),
    };
    let d = strict(bytes, guess, How::Guessed).map_err(|_| unsure())?;
    // Single-byte code pages decode any byte; text full of control characters was not text
    // in that encoding.
    let controls = d
        .text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\u{c}'))
        .count();
    if controls * 100 > d.text.chars().count() {
        return Err(unsure());
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }
    fn utf16be(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(u16::to_be_bytes).collect()
    }

    #[test]
    fn boms_and_utf16_without_one() {
        let text = "Name,E-mail Address\nJosé Müller,jose@example.com\n";
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16le(text));
        let d = decode(&le, None).unwrap();
        assert_eq!(
            (d.text.as_str(), d.encoding, d.how),
            (text, UTF_16LE, How::ByteOrderMark)
        );
        let mut be = vec![0xFE, 0xFF];
        be.extend(utf16be(text));
        let d = decode(&be, None).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, UTF_16BE));
        let d = decode(&utf16le(text), None).unwrap();
        assert_eq!((d.text.as_str(), d.how), (text, How::Utf16Pattern));
        let d = decode(&utf16be(text), None).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, UTF_16BE));
        let mut u8bom = b"\xEF\xBB\xBF".to_vec();
        u8bom.extend(text.as_bytes());
        let d = decode(&u8bom, None).unwrap();
        assert_eq!((d.text.as_str(), d.encoding), (text, UTF_8));
        let d = decode(text.as_bytes(), None).unwrap();
        assert_eq!(d.how, How::ValidUtf8);
    }

    #[test]
    fn legacy_encodings_are_guessed() {
        for (name, text) in [
            (
                "GBK",
                "客户名称,联系人,手机\n上海华东贸易有限公司,张伟,13812345678\n北京新科技术有限公司,李娜,13998765432\n",
            ),
            (
                "Shift_JIS",
                "会社名,氏名,電話番号\n株式会社山田製作所,山田太郎,03-1234-5678\n",
            ),
            (
                "windows-1252",
                "First Name,Last Name,Company\nJosé,Müller,Bäckerei Müller GmbH\nFrançois,Lefèvre,Café\n",
            ),
            (
                "Big5",
                "客戶名稱,聯絡人,電話\n台北貿易股份有限公司,陳美玲,02-2345-6789\n",
            ),
        ] {
            let enc = encoding_for(name).unwrap();
            let (bytes, _, bad) = enc.encode(text);
            assert!(!bad, "{name}");
            let d = decode(&bytes, None).unwrap();
            assert_eq!(d.text, text, "{name} read as {}", d.encoding.name());
            assert_eq!(d.how, How::Guessed);
        }
    }

    #[test]
    fn asked_encoding_wins_and_bad_bytes_name_the_line() {
        let (bytes, _, _) = encoding_rs::GBK.encode("a,b\n张伟,1\n");
        let d = decode(&bytes, Some("gb18030")).unwrap();
        assert_eq!(d.text, "a,b\n张伟,1\n");
        assert_eq!(d.how, How::Asked);
        assert!(matches!(
            decode(b"a\nb\n\xff\xfe\xfd", Some("utf-8")),
            Err(DecodeError::Invalid { line: 3, .. })
        ));
        assert!(matches!(
            decode(b"x", Some("klingon")),
            Err(DecodeError::UnknownEncoding(_))
        ));
        assert_eq!(encoding_for("cp1252").unwrap().name(), "windows-1252");
        assert_eq!(encoding_for("sjis").unwrap().name(), "Shift_JIS");
    }

    #[test]
    fn bytes_no_encoding_explains_ask_for_one() {
        // Random high bytes with C0 controls: no legacy encoding reads them as text.
        let bytes: Vec<u8> = (0..400u32)
            .map(|i| [0x81u8, 0x00, 0xff, 0x9f, 0x01][(i % 5) as usize])
            .collect();
        let e = decode(&bytes, None).unwrap_err();
        assert!(e.to_string().contains("--encoding"), "{e}");
    }
}
