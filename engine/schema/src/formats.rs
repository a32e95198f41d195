//! `format` values rein enforces, as regexes over the string's contents.
//!
//! Each regex is a subset of what RFC 3339, RFC 5321/1034, RFC 4291 and
//! RFC 3986 allow — the common spellings — so a generated value always
//! passes a strict validator; rare valid spellings (leap seconds, IPv6 with
//! an IPv4 tail, quoted e-mail local parts) are not generated.

/// What rein does with a `format` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatRegex {
    /// Enforced: the string's contents must match this regex.
    Enforced(String),
    /// Validators check it, rein cannot enforce it.
    Unsupported,
    /// An unknown format: an annotation only.
    Annotation,
}

/// What rein does with `format` (see [`FormatRegex`]).
pub fn regex(format: &str) -> FormatRegex {
    FormatRegex::Enforced(match format {
        "date" => DATE.to_string(),
        "time" => TIME.to_string(),
        "date-time" => format!("{DATE}[Tt]{TIME}"),
        "duration" => duration(),
        "email" => format!(
            r"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]{{1,64}}(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]{{1,64}}){{0,3}}@{}",
            hostname()
        ),
        "hostname" => hostname(),
        "ipv4" => IPV4.to_string(),
        "ipv6" => ipv6(),
        "uuid" => r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            .to_string(),
        "uri" => format!(r"[A-Za-z][A-Za-z0-9+.-]*:{URI_CHARS}*(?:#{URI_CHARS}*)?"),
        "uri-reference" => format!(
            r"(?:[A-Za-z][A-Za-z0-9+.-]*:{URI_CHARS}*|(?:[A-Za-z0-9._~!$&'()*+,;=@/?-]|%[0-9A-Fa-f]{{2}}){URI_CHARS}*)?(?:#{URI_CHARS}*)?"
        ),
        "idn-email"
        | "idn-hostname"
        | "iri"
        | "iri-reference"
        | "uri-template"
        | "json-pointer"
        | "relative-json-pointer"
        | "regex" => return FormatRegex::Unsupported,
        _ => return FormatRegex::Annotation,
    })
}

const URI_CHARS: &str = r"(?:[A-Za-z0-9._~!$&'()*+,;=:@/?-]|%[0-9A-Fa-f]{2})";

const DATE: &str = concat!(
    r"(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
);

const TIME: &str = r"(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,9})?(?:[zZ]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";

const IPV4: &str = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

fn hostname() -> String {
    let label = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,60}[A-Za-z0-9])?";
    format!(r"{label}(?:\.{label}){{0,3}}")
}

fn duration() -> String {
    let time = r"T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)";
    let day = r"[0-9]+D";
    let month = r"[0-9]+M(?:[0-9]+D)?";
    let year = r"[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?";
    format!(r"P(?:(?:{day}|{month}|{year})(?:{time})?|{time}|[0-9]+W)")
}

fn ipv6() -> String {
    let h16 = "[0-9a-fA-F]{1,4}";
    let mut alternatives = vec![format!("(?:{h16}:){{7}}{h16}")];
    for left in 0..=7usize {
        for right in 0..=(7 - left) {
            let left_part = match left {
                0 => String::new(),
                n => format!("(?:{h16}:){{{}}}{h16}", n - 1),
            };
            let right_part = match right {
                0 => String::new(),
                n => format!("(?:{h16}:){{{}}}{h16}", n - 1),
            };
            alternatives.push(format!("{left_part}::{right_part}"));
        }
    }
    format!("(?:{})", alternatives.join("|"))
}
