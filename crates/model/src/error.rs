//! Validation errors: each names the field and what is wrong with the value.

/// A value that Rapport refuses to store, with the field it was meant for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("{field}: must not be empty")]
    Empty { field: &'static str },
    #[error("{field}: `{value}` is not a website (example.com or https://example.com/...)")]
    BadWebsite { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a valid email address")]
    BadEmail { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a valid phone number (digits, spaces, + - ( ) . / only)")]
    BadPhone { field: &'static str, value: String },
    #[error("{field}: amount must not be negative (got {value})")]
    NegativeAmount { field: &'static str, value: String },
    #[error("{field}: `{value}` is not an amount (expected e.g. 1234.50)")]
    BadAmount { field: &'static str, value: String },
    #[error("{field}: `{value}` has more decimal places than {currency} allows ({allowed})")]
    TooPrecise {
        field: &'static str,
        value: String,
        currency: String,
        allowed: u16,
    },
    #[error("{field}: amount `{value}` is too large")]
    AmountTooLarge { field: &'static str, value: String },
    #[error("{field}: `{value}` is not an ISO 4217 currency code (e.g. CNY, EUR, USD)")]
    UnknownCurrency { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a date (expected YYYY-MM-DD)")]
    BadDate { field: &'static str, value: String },
    #[error("{field}: `{value}` is out of range (the year must be 1000 to 9999)")]
    DateOutOfRange { field: &'static str, value: String },
    #[error("{field}: `{value}` is not a time (expected HH:MM)")]
    BadTime { field: &'static str, value: String },
    #[error("{field}: `{value}` is not one of: {allowed}")]
    NotOneOf {
        field: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error("{field}: probability must be between 0 and 100 (got {value})")]
    BadProbability { field: &'static str, value: u8 },
    #[error("{field}: too long ({len} bytes, at most {max})")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    #[error("{field}: contains a control character")]
    ControlCharacter { field: &'static str },
    #[error("{field}: no {what} with id {id}")]
    NoSuchItem {
        field: &'static str,
        what: &'static str,
        id: String,
    },
    #[error("{field}: a customer cannot refer itself")]
    SelfReferral { field: &'static str },
}

/// A value as error messages quote it: whole when short, else its first 60 characters and its
/// size, so that a 10 MB field does not become a 10 MB message.
pub fn excerpt(value: &str) -> String {
    const MAX: usize = 200;
    if value.len() <= MAX {
        return value.to_string();
    }
    let head: String = value.chars().take(60).collect();
    format!("{head}... ({} bytes)", value.len())
}
