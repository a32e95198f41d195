//! `format` values rein enforces, as regexes over the string's contents.
//!
//! The regexes speak about the contents in rein's canonical encoding (see
//! the crate's private `json_text` module): the compiler puts them between
//! the quotes as they are. Most formats never contain `"`, `\` or control
//! characters, so there the encoded and decoded contents are the same;
//! `json-pointer` and `relative-json-pointer`, which may hold any
//! character, spell those with their canonical escapes.
//!
//! The rule every regex keeps: each string it matches is valid for the
//! format under the `jsonschema` crate's checker (the one rein's
//! [`Validator`](crate::Validator) and tests use, formats asserted). Where the
//! checker is looser than the RFC, the regex also keeps to the RFC, so a
//! generated value passes a strict validator too. Coverage, format by
//! format (*exact* means every value the checker accepts matches):
//!
//! - `date` (RFC 3339 `full-date`, leap years included): exact, but for
//!   the checker's looser digits (see [`superset`]).
//! - `time`: `HH:MM:SS`, any fraction, `Z`/`z` or a `±HH:MM` offset; the
//!   leap second `:60` only at 23:59 UTC and only with `Z`/`z` or an
//!   offset whose minutes are 00, 15, 30 or 45.
//! - `date-time`: `date`, `T`/`t`, `time` (as `time`).
//! - `duration`: RFC 3339 appendix A exactly (`P1Y2M3DT4H5M6S` with
//!   trailing parts optional, or `P1W`); the checker's extra spellings
//!   (`P1Y2D`, `PT1H1S`, `P1WT1H`) are left out.
//! - `email`, `idn-email`: a dot-atom local part of at most 64 characters
//!   (up to four atoms, printable ASCII) or a quoted local part of printable
//!   ASCII and spaces; a `hostname` domain, `[IPv4]` or `[IPv6:…]`. No
//!   non-ASCII (which `idn-email` allows).
//! - `hostname`, `idn-hostname`: one to four ASCII labels of letters, digits
//!   and inner hyphens, at most 63 characters for the first and 62 for the
//!   others (so the name stays under 253), never `--` in the third and
//!   fourth place (which leaves out `xn--` punycode labels). No U-labels in
//!   `idn-hostname`.
//! - `ipv4` (dotted decimal, no leading zeros) and `ipv6` (RFC 4291 text,
//!   `::` and an IPv4 tail included): exact.
//! - `uuid`: exact (8-4-4-4-12 hex digits, either case).
//! - `uri`, `uri-reference` (RFC 3986) and `iri`, `iri-reference` (RFC 3987,
//!   adding `ucschar`, and `iprivate` in the query): the RFC grammar with
//!   the authority's host a registered name, an IPv4 address or `[IPv6]`
//!   (no `[vX.…]` futures).
//! - `uri-template` (RFC 6570, level 4 syntax): literals and
//!   `{op var,var:3,list*}` expressions with the operators `+ # . / ; ? &`;
//!   the checker's limits also hold: variable names are lowercase letters,
//!   digits, `_` and lowercase `%xx`, without `.`, and `%xx` in literals is
//!   lowercase. The reserved operators `= , ! @ |` are left out.
//! - `json-pointer` (RFC 6901) and `relative-json-pointer` (a non-negative
//!   integer without leading zeros, then `#` or a JSON pointer): exact, in
//!   the canonical encoding.
//!
//! `regex` is not enforced: ECMA-262 regex syntax nests brackets and
//! groups, which no regular language describes.
//!
//! `not` of a format needs the opposite guarantee: a regex matching every
//! string the checker accepts ([`superset`]), whose complement is then
//! sure to hold only invalid values. For the formats marked exact above it
//! is the format's own regex; for others it is the shape the checker's code
//! requires at least (an `@` in an email, a scheme before a URI's first
//! `:`). Where rein has no such regex, `not` of the format is refused.

use crate::json_text::CHAR_UNIT;

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

/// The formats rein enforces, in the order the module doc lists them.
pub const ENFORCED: &[&str] = &[
    "date",
    "time",
    "date-time",
    "duration",
    "email",
    "idn-email",
    "hostname",
    "idn-hostname",
    "ipv4",
    "ipv6",
    "uuid",
    "uri",
    "uri-reference",
    "iri",
    "iri-reference",
    "uri-template",
    "json-pointer",
    "relative-json-pointer",
];

/// What rein does with `format` (see [`FormatRegex`]).
pub fn regex(format: &str) -> FormatRegex {
    FormatRegex::Enforced(match format {
        "date" => DATE.to_string(),
        "time" => time(),
        "date-time" => format!("{DATE}[Tt]{}", time()),
        "duration" => duration(),
        "email" | "idn-email" => email(),
        "hostname" | "idn-hostname" => hostname(),
        "ipv4" => IPV4.to_string(),
        "ipv6" => ipv6(),
        "uuid" => r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
            .to_string(),
        "uri" => Uri::new(false).absolute(),
        "uri-reference" => Uri::new(false).reference(),
        "iri" => Uri::new(true).absolute(),
        "iri-reference" => Uri::new(true).reference(),
        "uri-template" => uri_template(),
        "json-pointer" => json_pointer(),
        "relative-json-pointer" => format!(r"(?:0|[1-9][0-9]*)(?:#|{})", json_pointer()),
        "regex" => return FormatRegex::Unsupported,
        _ => return FormatRegex::Annotation,
    })
}

/// A regex over string contents (as [`regex`]'s) matching every string
/// the checker accepts for `format`, `None` where rein has none. Dates and
/// times allow any of `0-9:;<=>?` where the checker reads a digit: it
/// tests digits by their high nibble.
pub fn superset(format: &str) -> Option<String> {
    let digit = "[0-?]";
    let date = format!("{digit}{{4}}-{digit}{{2}}-{digit}{{2}}");
    let time = format!(
        r"{digit}{{2}}:{digit}{{2}}:{digit}{{2}}(?:\.[0-9]+)?(?:[zZ]|[+-]{digit}{{2}}:{digit}{{2}})"
    );
    let any = format!("{CHAR_UNIT}*");
    Some(match format {
        "date" => date,
        "time" => time,
        "date-time" => format!("{date}[Tt]{time}"),
        "email" | "idn-email" => format!("{any}@{any}"),
        "hostname" => "[A-Za-z0-9.-]+".to_string(),
        "uri" | "iri" => format!("[A-Za-z][A-Za-z0-9+.-]*:{any}"),
        "uri-reference" | "iri-reference" => any,
        "ipv4" | "ipv6" | "uuid" | "json-pointer" | "relative-json-pointer" => {
            match regex(format) {
                FormatRegex::Enforced(regex) => regex,
                _ => return None,
            }
        }
        _ => return None,
    })
}

const DATE: &str = concat!(
    r"(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    r"|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)"
);

const IPV4: &str = r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

/// RFC 3339 `partial-time` and offset. The checker allows `:60` only when
/// the time is 23:59 in UTC, so each leap-second spelling names its offset.
fn time() -> String {
    let fraction = r"(?:\.[0-9]+)?";
    let offset = r"(?:[zZ]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])";
    let mut leap = vec![format!("23:59:60{fraction}[zZ]")];
    for (sign, direction) in [('+', 1i32), ('-', -1)] {
        for hours in 0..24i32 {
            for minutes in [0i32, 15, 30, 45] {
                // Local time = UTC + offset, UTC being 23:59.
                let local = (23 * 60 + 59 + direction * (hours * 60 + minutes)).rem_euclid(24 * 60);
                leap.push(format!(
                    "{:02}:{:02}:60{fraction}\\{sign}{hours:02}:{minutes:02}",
                    local / 60,
                    local % 60
                ));
            }
        }
    }
    format!(
        r"(?:(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]{fraction}{offset}|{})",
        leap.join("|")
    )
}

/// A label of letters, digits and inner hyphens, at most `max` (≥ 5)
/// characters, never `--` in the third and fourth place (the checker keeps
/// that for `xn--` labels, whose punycode it decodes).
fn label(max: usize) -> String {
    let alnum = "[A-Za-z0-9]";
    let any = "[A-Za-z0-9-]";
    format!(
        "{alnum}(?:{any}{{0,2}}{alnum}|{any}(?:{alnum}{any}|-{alnum}){any}{{0,{}}}{alnum})?",
        max - 5
    )
}

/// One to four labels, 63 + 3 × (62 + 1) = 252 characters at most (the
/// checker allows 253).
fn hostname() -> String {
    format!(r"{}(?:\.{}){{0,3}}", label(63), label(62))
}

/// An address as the `email_address` crate parses it, then the checker
/// (the domain a hostname or an IP literal).
fn email() -> String {
    let atom = |max: usize| format!(r"[A-Za-z0-9!#$%&'*+/=?^_`{{|}}~-]{{1,{max}}}");
    // Dot-atoms within the 64-byte local-part limit.
    let dot_atom = [
        atom(64),
        format!(r"{}\.{}", atom(31), atom(32)),
        format!(r"{a}\.{a}\.{a}", a = atom(20)),
        format!(r"{a}\.{a}\.{a}\.{a}", a = atom(15)),
    ]
    .join("|");
    // `"…"` (encoded `\"…\"`): qtext, spaces and quoted pairs, 62 bytes at
    // most inside the quotes.
    let qtext = r#"[\x21\x23-\x5B\x5D-\x7E ]"#;
    let quoted_pair = r#"\\\\(?:[\x21\x23-\x5B\x5D-\x7E]|\\"|\\\\)"#;
    let quoted = format!(r#"\\"(?:{qtext}|{quoted_pair}){{1,31}}\\""#);
    format!(
        r"(?:{dot_atom}|{quoted})@(?:{}|\[{IPV4}\]|\[IPv6:{}\])",
        hostname(),
        ipv6()
    )
}

fn duration() -> String {
    let time = r"T(?:[0-9]+H(?:[0-9]+M(?:[0-9]+S)?)?|[0-9]+M(?:[0-9]+S)?|[0-9]+S)";
    let day = r"[0-9]+D";
    let month = r"[0-9]+M(?:[0-9]+D)?";
    let year = r"[0-9]+Y(?:[0-9]+M(?:[0-9]+D)?)?";
    format!(r"P(?:(?:{day}|{month}|{year})(?:{time})?|{time}|[0-9]+W)")
}

/// RFC 4291 text: eight groups, `::` standing for one or more zero groups,
/// the last two groups optionally an IPv4 address.
fn ipv6() -> String {
    let h16 = "[0-9a-fA-F]{1,4}";
    let groups = |n: usize| match n {
        0 => String::new(),
        n => format!("(?:{h16}:){{{}}}{h16}", n - 1),
    };
    let mut alternatives = vec![
        format!("(?:{h16}:){{7}}{h16}"),
        format!("(?:{h16}:){{6}}{IPV4}"),
    ];
    for left in 0..=7usize {
        for right in 0..=(7 - left) {
            alternatives.push(format!("{}::{}", groups(left), groups(right)));
        }
        // The IPv4 tail counts as two groups.
        if left <= 5 {
            for right in 0..=(5 - left) {
                alternatives.push(format!("{}::(?:{h16}:){{{right}}}{IPV4}", groups(left)));
            }
        }
    }
    format!("(?:{})", alternatives.join("|"))
}

/// RFC 3986 (or, with `iri`, RFC 3987) URIs and references.
struct Uri {
    /// Extra characters for every component: RFC 3987's `ucschar`.
    ucschar: &'static str,
    /// Extra characters for the query: `iprivate`.
    iprivate: &'static str,
}

const UCSCHAR: &str = concat!(
    r"\x{A0}-\x{D7FF}\x{F900}-\x{FDCF}\x{FDF0}-\x{FFEF}",
    r"\x{10000}-\x{1FFFD}\x{20000}-\x{2FFFD}\x{30000}-\x{3FFFD}\x{40000}-\x{4FFFD}",
    r"\x{50000}-\x{5FFFD}\x{60000}-\x{6FFFD}\x{70000}-\x{7FFFD}\x{80000}-\x{8FFFD}",
    r"\x{90000}-\x{9FFFD}\x{A0000}-\x{AFFFD}\x{B0000}-\x{BFFFD}\x{C0000}-\x{CFFFD}",
    r"\x{D0000}-\x{DFFFD}\x{E1000}-\x{EFFFD}",
);

const IPRIVATE: &str = r"\x{E000}-\x{F8FF}\x{F0000}-\x{FFFFD}\x{100000}-\x{10FFFD}";

/// `unreserved` and `sub-delims`, as class contents.
const PLAIN: &str = r"A-Za-z0-9\-._~!$&'()*+,;=";

impl Uri {
    fn new(iri: bool) -> Uri {
        if iri {
            Uri {
                ucschar: UCSCHAR,
                iprivate: IPRIVATE,
            }
        } else {
            Uri {
                ucschar: "",
                iprivate: "",
            }
        }
    }

    /// One character from `PLAIN`, `extra` and `ucschar`, or a
    /// percent-encoded octet.
    fn unit(&self, extra: &str) -> String {
        format!("(?:[{PLAIN}{extra}{}]|%[0-9A-Fa-f]{{2}})", self.ucschar)
    }

    /// `authority path-abempty` after `//`. The host is a registered name,
    /// an IPv4 address (itself a registered name) or `[IPv6]`; the port
    /// is digits.
    fn authority_path(&self) -> String {
        let userinfo = self.unit(":");
        let reg_name = self.unit("");
        let path_char = self.unit(":@/");
        format!(
            r"(?:{userinfo}*@)?(?:\[{}\]|{reg_name}*)(?::[0-9]*)?(?:/{path_char}*)?",
            ipv6()
        )
    }

    /// `?query` and `#fragment`, each optional.
    fn query_fragment(&self) -> String {
        let query = format!(
            "(?:[{PLAIN}:@/?{}{}]|%[0-9A-Fa-f]{{2}})",
            self.ucschar, self.iprivate
        );
        let fragment = self.unit(":@/?");
        format!(r"(?:\?{query}*)?(?:#{fragment}*)?")
    }

    /// An absolute URI (a scheme, then `//authority`, an absolute, rootless
    /// or empty path; never `//` without an authority).
    fn absolute(&self) -> String {
        let pchar = self.unit(":@");
        let path_char = self.unit(":@/");
        format!(
            "[A-Za-z][A-Za-z0-9+.-]*:(?://{}|/(?:{pchar}{path_char}*)?|{pchar}{path_char}*|){}",
            self.authority_path(),
            self.query_fragment()
        )
    }

    /// A URI or a relative reference, whose first segment has no colon.
    fn reference(&self) -> String {
        let pchar = self.unit(":@");
        let segment_nc = self.unit("@");
        let path_char = self.unit(":@/");
        let relative = format!(
            "(?://{}|/(?:{pchar}{path_char}*)?|{segment_nc}+(?:/{path_char}*)?|){}",
            self.authority_path(),
            self.query_fragment()
        );
        format!("(?:{}|{relative})", self.absolute())
    }
}

/// RFC 6570 templates within the checker's own pattern.
fn uri_template() -> String {
    let literal = format!(r"(?:[!#$&(-;=?-\[\]_a-z~{UCSCHAR}{IPRIVATE}]|%[0-9a-f]{{2}})");
    let varspec = r"(?:[a-z0-9_]|%[0-9a-f]{2})+(?::[1-9][0-9]{0,3}|\*)?";
    let expression = format!(r"\{{[+#./;?&]?{varspec}(?:,{varspec})*\}}");
    format!("(?:{literal}|{expression})*")
}

/// RFC 6901 pointers in the canonical encoding: `/`-prefixed tokens of any
/// characters, `~` only as `~0` or `~1`.
fn json_pointer() -> String {
    r#"(?:/(?:[^"\\\x00-\x1F/~]|\\["\\bfnrt]|\\u00[01][0-9a-fA-F]|~[01])*)*"#.to_string()
}
