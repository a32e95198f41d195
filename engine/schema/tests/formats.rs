//! `format` regexes agree with the `jsonschema` crate's format checker:
//! every string a regex matches is valid for its format (soundness,
//! sampled two ways: from the regex itself and from the compiled schema),
//! and common valid spellings from the RFCs are accepted (completeness).

mod support;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rein_schema::formats::{self, FormatRegex, ENFORCED};
use rein_schema::{compile, python_dumps, CompiledSchema, Options};
use serde_json::{json, Value};

/// The checker: draft 2020-12, formats asserted.
fn checker(format: &str) -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema(format))
        .unwrap()
}

fn schema(format: &str) -> Value {
    json!({"type": "string", "format": format})
}

fn enforced(format: &str) -> String {
    match formats::regex(format) {
        FormatRegex::Enforced(regex) => regex,
        other => panic!("{format}: {other:?}"),
    }
}

/// Contents in the canonical encoding, decoded.
fn decode(contents: &str) -> String {
    serde_json::from_str(&format!("\"{contents}\"")).unwrap()
}

/// Whether `compiled` accepts `value` written as rein writes it.
fn rein_accepts(compiled: &CompiledSchema, value: &str) -> bool {
    support::accepts(compiled, &python_dumps(&Value::String(value.to_string())))
}

/// Strings generated from the format's regex validate with the checker,
/// and rein's compiled schema accepts them.
fn sound(format: &str, cases: u32) {
    let checker = checker(format);
    let compiled = compile(&schema(format), &Options::default()).unwrap();
    let constraint = compiled.constraint(&support::bytes_engine()).unwrap();
    let strategy = proptest::string::string_regex(&enforced(format)).unwrap();
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |contents| {
            let value = decode(&contents);
            prop_assert!(
                checker.is_valid(&Value::String(value.clone())),
                "{format}: the checker rejects {value:?}"
            );
            let text = python_dumps(&Value::String(value.clone()));
            let accepted = walks_to_end(&constraint, &text);
            prop_assert!(accepted, "{format}: rein rejects its own {text}");
            Ok(())
        })
        .unwrap();
}

macro_rules! soundness {
    ($($name:ident => $format:literal,)*) => {
        $(
            #[test]
            fn $name() {
                sound($format, 1000);
            }
        )*
        /// Every enforced format has a soundness test above.
        #[test]
        fn every_enforced_format_is_sampled() {
            let sampled = [$($format),*];
            assert_eq!(sampled.as_slice(), ENFORCED);
        }
    };
}

soundness! {
    date_is_sound => "date",
    time_is_sound => "time",
    date_time_is_sound => "date-time",
    duration_is_sound => "duration",
    email_is_sound => "email",
    idn_email_is_sound => "idn-email",
    hostname_is_sound => "hostname",
    idn_hostname_is_sound => "idn-hostname",
    ipv4_is_sound => "ipv4",
    ipv6_is_sound => "ipv6",
    uuid_is_sound => "uuid",
    uri_is_sound => "uri",
    uri_reference_is_sound => "uri-reference",
    iri_is_sound => "iri",
    iri_reference_is_sound => "iri-reference",
    uri_template_is_sound => "uri-template",
    json_pointer_is_sound => "json-pointer",
    relative_json_pointer_is_sound => "relative-json-pointer",
}

/// Near misses: strings over each format's own characters, shaped like
/// its values, which the regexes' own samples seldom reach (a URI
/// authority with two colons, a leap second at the wrong minute). Every
/// one rein accepts, the checker accepts.
#[test]
fn near_misses_rein_accepts_are_valid() {
    let shapes = near_miss_shapes();
    let mut covered: Vec<&str> = shapes.iter().map(|(format, _)| *format).collect();
    covered.sort_unstable();
    let mut all = ENFORCED.to_vec();
    all.sort_unstable();
    assert_eq!(covered, all);
    for (format, shape) in shapes {
        let checker = checker(format);
        let compiled = compile(&schema(format), &Options::default()).unwrap();
        let constraint = compiled.constraint(&support::bytes_engine()).unwrap();
        let strategy = proptest::string::string_regex(shape).unwrap();
        let mut runner = TestRunner::new(Config {
            cases: 3000,
            failure_persistence: None,
            ..Config::default()
        });
        runner
            .run(&strategy, |value| {
                let text = python_dumps(&Value::String(value.clone()));
                let accepted = walks_to_end(&constraint, &text);
                if accepted {
                    prop_assert!(
                        checker.is_valid(&Value::String(value.clone())),
                        "{format}: rein accepts {value:?}, the checker rejects it"
                    );
                }
                Ok(())
            })
            .unwrap();
    }
}

/// `not` of a format: no string the checker accepts for the format is
/// accepted, judged on the format's own samples, its near misses, and
/// dates and times written with the characters the checker also reads
/// as digits. Strings far from every format still pass.
#[test]
fn negated_formats_accept_no_valid_value() {
    let digit = "[0-9:;<=>?]";
    let odd_date = format!("{digit}{{4}}-{digit}{{2}}-{digit}{{2}}");
    let odd_time = format!(
        r"{digit}{{2}}:{digit}{{2}}:{digit}{{2}}(?:\.[0-9])?(?:[zZ]|[+-]{digit}{{2}}:{digit}{{2}})"
    );
    let odd_shapes = [
        ("date", odd_date.clone()),
        ("time", odd_time.clone()),
        ("date-time", format!("{odd_date}[Tt]{odd_time}")),
    ];
    let mut negated = 0;
    for &format in ENFORCED {
        if formats::superset(format).is_none() {
            continue;
        };
        negated += 1;
        let checker = checker(format);
        let compiled = compile(&json!({"not": {"format": format}}), &Options::default());
        if format == "uri-reference" || format == "iri-reference" {
            // rein knows no string every checker rejects: none is allowed.
            assert!(compiled.is_err(), "{format}");
            continue;
        }
        let compiled = compiled.unwrap_or_else(|error| panic!("{format}: {error}"));
        let constraint = compiled.constraint(&support::bytes_engine()).unwrap();
        assert!(rein_accepts(&compiled, "not valid!"), "{format}");
        let mut shapes: Vec<String> = near_miss_shapes()
            .into_iter()
            .filter(|(shaped, _)| *shaped == format)
            .map(|(_, shape)| shape.to_string())
            .collect();
        shapes.extend(
            odd_shapes
                .iter()
                .filter(|(f, _)| *f == format)
                .map(|(_, s)| s.clone()),
        );
        let own = proptest::string::string_regex(&enforced(format))
            .unwrap()
            .prop_map(|contents| decode(&contents));
        let mut runner = TestRunner::new(Config {
            cases: 2000,
            failure_persistence: None,
            ..Config::default()
        });
        let strategies = shapes
            .iter()
            .map(|shape| proptest::string::string_regex(shape).unwrap().boxed())
            .fold(own.boxed(), |all, shape| prop_oneof![all, shape].boxed());
        runner
            .run(&strategies, |value| {
                if checker.is_valid(&Value::String(value.clone())) {
                    let text = python_dumps(&Value::String(value.clone()));
                    prop_assert!(
                        !walks_to_end(&constraint, &text),
                        "not {format}: rein accepts {value:?}, which the checker calls valid"
                    );
                }
                Ok(())
            })
            .unwrap();
    }
    assert!(negated >= 10, "{negated} formats have a superset");
}

/// Strings over each format's own characters, shaped like its values.
fn near_miss_shapes() -> Vec<(&'static str, &'static str)> {
    let uri = r"(?:[a-c1]+:)?(?://)?[a-c1:/@?#\[\].%~é+ -]{0,12}";
    vec![
        ("date", r"[0-9]{2}(?:00|[0-9]{2})-[01][0-9]-[0-3][0-9]"),
        (
            "time",
            r"[0-2][0-9]:[0-5][0-9]:[56][0-9](?:\.[0-9])?(?:[zZ]|[+-][0-2][0-9]:[0-6][05])",
        ),
        (
            "date-time",
            r"[0-9]{4}-0[1-3]-[23][0-9][Tt ][0-2][0-9]:[0-5][0-9]:[56][0-9](?:[zZ]|[+-][0-2][0-9]:[0-6][05])",
        ),
        ("duration", r"P[0-9YMWDTHS.]{0,8}"),
        (
            "email",
            r#"(?:[a."\\ ]{1,6}|a{60,70}|(?:a{15,21}\.){3}a{15,21})@[a-c0-9.\[\]:IPv6-]{1,12}"#,
        ),
        ("idn-email", r#"[a."\\ ]{1,6}@[a-c0-9.\[\]:IPv6é-]{1,12}"#),
        (
            "hostname",
            r"[a-c0-9.-]{1,12}|(?:a{60,64}\.){3,4}a{1,3}|xn--[a-c0-9-]{1,6}",
        ),
        (
            "idn-hostname",
            r"[a-cé0-9.-]{1,12}|(?:a{60,64}\.){3,4}a{1,3}|xn--[a-c0-9-]{1,6}",
        ),
        ("ipv4", r"[0-9.]{1,15}"),
        ("ipv6", r"[0-9a-f:.]{1,20}"),
        ("uuid", r"[0-9a-fA-FgG-]{36}"),
        ("uri", uri),
        ("uri-reference", uri),
        ("iri", uri),
        ("iri-reference", uri),
        ("uri-template", r"[a-cA{}:*,+#.%0-9 ]{0,12}"),
        ("json-pointer", r"[/~01a#]{0,8}"),
        ("relative-json-pointer", r"[0-9]{0,2}[/~01a#]{0,6}"),
    ]
}

/// Documents sampled from the compiled schema, byte by byte among the
/// allowed ones, validate with the checker.
#[test]
fn sampled_documents_validate() {
    for &format in ENFORCED {
        let checker = checker(format);
        let compiled = compile(&schema(format), &Options::default()).unwrap();
        for seed in 0..40u64 {
            let text = support::sample_document(&compiled, seed * 7919 + 1, 90);
            let value: Value = serde_json::from_str(&text).unwrap();
            assert!(checker.is_valid(&value), "{format}: {text}");
        }
    }
}

/// Valid values (most from the RFCs' examples): the checker accepts each,
/// and so does rein.
#[test]
fn valid_values_are_accepted() {
    let cases: &[(&str, &[&str])] = &[
        (
            "date",
            &[
                "1985-04-12",
                "1996-12-31",
                "2000-02-29",
                "2024-02-29",
                "0000-02-29",
            ],
        ),
        (
            "time",
            &[
                "23:20:50.52Z",
                "16:39:57-08:00",
                "12:00:00z",
                "00:00:00+05:30",
                "08:30:06.283185307Z",
                "08:30:06.2831853071795864769Z",
                "23:59:60Z",
                "23:59:60.5z",
                "15:59:60-08:00",
                "05:29:60+05:30",
                "23:59:60+00:00",
                "23:59:60-00:00",
            ],
        ),
        (
            "date-time",
            &[
                "1985-04-12T23:20:50.52Z",
                "1996-12-19T16:39:57-08:00",
                "1990-12-31T23:59:60Z",
                "1990-12-31T15:59:60-08:00",
                "1937-01-01T12:00:27.87+00:20",
                "2024-01-01t00:00:00z",
            ],
        ),
        (
            "duration",
            &[
                "P3Y6M4DT12H30M5S",
                "P1W",
                "PT36H",
                "P0D",
                "PT1M",
                "P1M",
                "P23DT23H",
                "P4Y",
                "PT0S",
            ],
        ),
        (
            "email",
            &[
                "joe@example.com",
                "first.last@sub.example.co.uk",
                "user+tag@example.org",
                "!#$%&'*+/=?^_`{|}~-@example.com",
                "\"john doe\"@example.com",
                "\"a\\\"b\"@example.com",
                "joe@[127.0.0.1]",
                "joe@[IPv6:2001:db8::1]",
                "a@b",
            ],
        ),
        ("idn-email", &["joe@example.com", "joe@[127.0.0.1]"]),
        (
            "hostname",
            &[
                "www.example.com",
                "example",
                "a-b.c-d",
                "1.2.3.4",
                "xn",
                "ab-c",
                "a-bc",
                "a-b-c",
                "abc-de",
                "ab-cde",
            ],
        ),
        ("idn-hostname", &["www.example.com", "Example.COM", "a-b"]),
        ("ipv4", &["192.168.0.1", "0.0.0.0", "255.255.255.255"]),
        (
            "ipv6",
            &[
                "::1",
                "::",
                "2001:db8::ff00:42:8329",
                "::ffff:192.0.2.128",
                "1:2:3:4:5:6:7::",
                "::2:3:4:5:6:7:8",
                "FE80::0202:B3FF:FE1E:8329",
                "1:2:3:4:5:6:1.2.3.4",
                "1:2:3:4:5::1.2.3.4",
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
            ],
        ),
        (
            "uuid",
            &[
                "f81d4fae-7dec-11d0-a765-00a0c91e6bf6",
                "F81D4FAE-7DEC-11D0-A765-00A0C91E6BF6",
            ],
        ),
        (
            "uri",
            &[
                "ftp://ftp.is.co.za/rfc/rfc1808.txt",
                "http://www.ietf.org/rfc/rfc2396.txt",
                "ldap://[2001:db8::7]/c=GB?objectClass?one",
                "mailto:John.Doe@example.com",
                "news:comp.infosystems.www.servers.unix",
                "tel:+1-816-555-1212",
                "telnet://192.0.2.16:80/",
                "urn:oasis:names:specification:docbook:dtd:xml:4.1.2",
                "foo://example.com:8042/over/there?name=ferret#nose",
                "http://user:pass@host:8080/p?q=%20#f",
                "file:///etc/hosts",
                "http://[::ffff:1.2.3.4]:80/",
                "a:",
            ],
        ),
        (
            "uri-reference",
            &[
                "http://example.com/",
                "//example.org/scheme-relative",
                "/absolute/path",
                "relative/path",
                "../up",
                "?query",
                "#fragment",
                "",
                "g;x?y#s",
                "./this:that",
            ],
        ),
        (
            "iri",
            &[
                "http://例え.テスト/パス?クエリ#片",
                "https://en.wikipedia.org/wiki/Ω",
                "http://ñ.example/ü?\u{E000}",
            ],
        ),
        (
            "iri-reference",
            &["/ü", "résumé.html", "#été", "http://例え.テスト/"],
        ),
        (
            "uri-template",
            &[
                "http://example.com/~{username}/",
                "http://example.com/dictionary/{term:1}/{term}",
                "http://example.com/search{?q,lang}",
                "{var}",
                "{+path}/here",
                "{#var}",
                "X{.list*}",
                "{/var,x}/here",
                "{;x,y}",
                "{?x,y,empty}",
                "?fixed=yes{&x}",
                "{var:30}",
                "{keys*}",
                "%c3%a9{x}",
                "",
            ],
        ),
        (
            "json-pointer",
            &[
                "",
                "/foo",
                "/foo/0",
                "/",
                "/a~1b",
                "/c%d",
                "/e^f",
                "/g|h",
                "/i\\j",
                "/k\"l",
                "/ ",
                "/m~0n",
                "/\n\u{1}é",
            ],
        ),
        (
            "relative-json-pointer",
            &[
                "0",
                "1/0",
                "2/highly/nested/objects",
                "0#",
                "1#",
                "0/objects",
                "10/a~0",
                "0/",
            ],
        ),
    ];
    for (format, values) in cases {
        let checker = checker(format);
        let compiled = compile(&schema(format), &Options::default()).unwrap();
        for value in *values {
            let instance = Value::String(value.to_string());
            assert!(
                checker.is_valid(&instance),
                "{format}: checker rejects {value:?}"
            );
            assert!(
                rein_accepts(&compiled, value),
                "{format}: rein rejects {value:?}"
            );
        }
    }
}

/// Values the checker rejects, some of which earlier regexes accepted:
/// rein rejects them too.
#[test]
fn invalid_values_are_refused() {
    let long_label = "a".repeat(63);
    let long_host = [long_label.as_str(); 4].join(".");
    let atom = "a".repeat(20);
    let long_local = [atom.as_str(); 4].join(".");
    let long_local_email = format!("{long_local}@example.com");
    let dashes_email = "joe@ab--cd.com";
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "date",
            vec!["2023-02-29", "1900-02-29", "2024-13-01", "2024-1-01"],
        ),
        (
            "time",
            vec![
                "24:00:00Z",
                "12:00:00",
                "12:00:60Z",
                "23:59:60+01:00",
                "12:00:00+24:00",
            ],
        ),
        ("duration", vec!["P", "PT", "P1YT", "P1.5D"]),
        (
            "hostname",
            vec![long_host.as_str(), "ab--cd", "-a", "a-", "a..b", "a."],
        ),
        ("idn-hostname", vec![long_host.as_str(), "ab--cd"]),
        (
            "email",
            vec![
                long_local_email.as_str(),
                dashes_email,
                "a@",
                "@b",
                "a..b@c",
            ],
        ),
        ("ipv4", vec!["01.2.3.4", "256.1.1.1", "1.2.3"]),
        (
            "ipv6",
            vec![
                "1:2:3:4:5:6:7:8:9",
                "1::2::3",
                "::1.2.3",
                "1:2:3:4:5:6:7::1.2.3.4",
            ],
        ),
        (
            "uri",
            vec![
                "a://x:y:z",
                "a://h:p",
                "a://u@h@i",
                "relative",
                "a:b c",
                "a://h:8/x#y#z",
            ],
        ),
        (
            "uri-reference",
            vec!["a://x:y:z", "a://h:p", "1a:b", ":x", "a b"],
        ),
        ("iri", vec!["a://x:y:z", "http://h/\u{80}"]),
        (
            "uri-template",
            vec!["{", "}", "{A}", "{a b}", "%4F", "{var:0}"],
        ),
        ("json-pointer", vec!["a", "/~", "/~2", "#/a"]),
        (
            "relative-json-pointer",
            vec!["", "01", "-1", "1##", "#", "/a"],
        ),
    ];
    for (format, values) in cases {
        let checker = checker(format);
        let compiled = compile(&schema(format), &Options::default()).unwrap();
        for value in values {
            let instance = Value::String(value.to_string());
            assert!(
                !checker.is_valid(&instance),
                "{format}: checker accepts {value:?}"
            );
            assert!(
                !rein_accepts(&compiled, value),
                "{format}: rein accepts {value:?}"
            );
        }
    }
}

/// `regex` stays unenforced: ECMA-262 syntax is not regular.
#[test]
fn regex_format_is_unsupported() {
    assert_eq!(formats::regex("regex"), FormatRegex::Unsupported);
    assert_eq!(formats::regex("no-such-format"), FormatRegex::Annotation);
}

/// Whether `constraint` (over one-byte tokens) accepts the whole of `text`.
fn walks_to_end(constraint: &rein_core::Constraint, text: &str) -> bool {
    let mut matcher = constraint.matcher();
    text.bytes()
        .all(|byte| matcher.commit(u32::from(byte)).is_ok())
        && matcher.can_end()
}
