//! Unit tests of the head parser (the public behaviour is tested under `tests/`).

extern crate std;
use super::scan::*;
use super::*;
use proptest::prelude::*;
use std::string::ToString;
use std::vec;
use std::vec::Vec;

fn naive_eq_lower(s: &[u8], lower: &[u8]) -> bool {
    s.len() == lower.len()
        && s.iter().zip(lower).all(|(&x, &y)| {
            if y.is_ascii_lowercase() {
                x.to_ascii_lowercase() == y
            } else {
                x == y
            }
        })
}

const NAMES: [(&[u8], u8); 8] = [
    (b"host", kind::HOST),
    (b"origin", kind::ORIGIN),
    (b"upgrade", kind::UPGRADE),
    (b"connection", kind::CONNECTION),
    (b"sec-websocket-key", kind::KEY),
    (b"sec-websocket-version", kind::VERSION),
    (b"sec-websocket-protocol", kind::PROTOCOL),
    (b"sec-websocket-extensions", kind::EXTENSIONS),
];

#[test]
fn classify_every_case_and_every_single_byte_change() {
    for (name, k) in NAMES {
        let upper = name.to_ascii_uppercase();
        assert_eq!(classify(name), k);
        assert_eq!(classify(&upper), k);
        // Each byte replaced by every other value: a match only for the other case of a
        // letter.
        for i in 0..name.len() {
            for b in 0..=255u8 {
                let mut n = name.to_vec();
                n[i] = b;
                let same = b == name[i] || (name[i].is_ascii_lowercase() && b == name[i] - 32);
                assert_eq!(
                    classify(&n) == k,
                    same,
                    "{:?}",
                    n.escape_ascii().to_string()
                );
                assert_eq!(eq_lower(&n, name), naive_eq_lower(&n, name));
            }
        }
        assert_eq!(classify(&name[1..]), kind::OTHER);
    }
    assert_eq!(classify(b""), kind::OTHER);
    assert_eq!(classify(b"Sec-WebSocket-Accept"), kind::OTHER);
    assert_eq!(Header::new(b"HOST", b"x").kind(), kind::HOST);
}

/// The generic path: first ':' or control byte, then `classify`.
fn generic_name(line: &[u8]) -> Option<(&[u8], u8)> {
    let len = find_colon_or_ctl(line);
    match line.get(len) {
        Some(b':') if len > 0 => Some((&line[..len], classify(&line[..len]))),
        _ => None,
    }
}

#[test]
fn scans_starting_past_the_end_stop_at_the_end() {
    // Found by the property test below when the scans became 16-byte windows.
    assert_eq!(find_ctl(b"", 1), 0);
    assert_eq!(find_ctl(b"abc", 7), 3);
    assert_eq!(find_ctl(&[b'a'; 40], 17), 40);
    assert_eq!(find_colon_or_ctl(&[b'a'; 40]), 40);
    assert_eq!(find_ctl_swar(b"", 1), 0);
    assert_eq!(find_ctl_swar(&[b'a'; 40], 17), 40);
}

#[test]
fn known_names_in_place_agree_with_the_generic_path() {
    let mut lines: Vec<Vec<u8>> = Vec::new();
    for (name, _) in NAMES {
        for i in 0..=name.len() {
            for b in 0..=255u8 {
                // One byte replaced (or the colon), or one byte inserted.
                let mut l = name.to_vec();
                l.extend_from_slice(b": v");
                l[i] = b;
                lines.push(l);
                let mut l = name.to_vec();
                l.insert(i, b);
                l.extend_from_slice(b": v");
                lines.push(l);
            }
        }
        let mut upper = name.to_ascii_uppercase();
        upper.push(b':');
        lines.push(upper.clone());
        upper.pop();
        lines.push(upper);
    }
    lines.push(b"Sec-WebSocket-".to_vec());
    lines.push(b"".to_vec());
    for line in &lines {
        let generic = generic_name(line).filter(|&(_, k)| k != kind::OTHER);
        assert_eq!(known_name(line), generic, "{}", line.escape_ascii());
    }
}

#[test]
fn parsed_headers_carry_their_kind() {
    let head = b"GET / HTTP/1.1\r\nhOsT: a\r\nX-Y: b\r\nSEC-WEBSOCKET-KEY: k\r\n\r\n";
    let mut slots = [Header::EMPTY; 4];
    let req = parse_request(head, &mut slots, &HeadConfig::default())
        .unwrap()
        .complete()
        .unwrap();
    let kinds: Vec<u8> = req.headers().iter().map(|h| h.kind).collect();
    assert_eq!(kinds, [kind::HOST, kind::OTHER, kind::KEY]);
    // Equality ignores the (derived) kind.
    assert_eq!(req.headers()[0], Header::new(b"hOsT", b"a"));
}

proptest! {
    #[test]
    fn eq_lower_matches_naive(
        s in proptest::collection::vec(any::<u8>(), 0..40),
        pick in 0usize..8,
        mutate in any::<bool>(),
    ) {
        let target = NAMES[pick].0;
        let mut cand = s.clone();
        if mutate && !s.is_empty() {
            // Mostly near-misses of the target: same length, mixed case, one byte from `s`.
            cand = target.to_vec();
            let i = s[0] as usize % cand.len();
            cand[i] = s[s.len() - 1];
            if s.len() > 1 && s[1] & 1 == 1 {
                cand.make_ascii_uppercase();
            }
        }
        prop_assert_eq!(eq_lower(&cand, target), naive_eq_lower(&cand, target));
    }

    #[test]
    fn token_list_automaton_matches_naive(s in proptest::collection::vec(
        prop_oneof![Just(b','), Just(b' '), Just(b'\t'), Just(b'a'), Just(b'-'), Just(b'"'),
                    Just(b';'), Just(0x80), Just(0u8), any::<u8>()],
        0..24,
    )) {
        let naive = s
            .split(|&b| b == b',')
            .all(|el| {
                let t = trim_ows(el);
                t.is_empty() || is_token(t)
            });
        prop_assert_eq!(is_token_list(&s), naive);
    }

    #[test]
    fn find_colon_or_ctl_matches_naive(s in proptest::collection::vec(
        prop_oneof![Just(b':'), Just(b'\r'), Just(b'\n'), Just(0u8), Just(0x1f), Just(0x20),
                    Just(0x3b), Just(0x80), Just(0xba), any::<u8>(), 0x41u8..0x7b],
        0..80,
    )) {
        let naive = s.iter().position(|&b| b == b':' || b < 0x20).unwrap_or(s.len());
        prop_assert_eq!(find_colon_or_ctl(&s), naive);
        prop_assert_eq!(find_colon_or_ctl_swar(&s), naive);
    }

    #[test]
    fn find_ctl_matches_naive(
        s in proptest::collection::vec(
            prop_oneof![Just(b'\t'), Just(b'\r'), Just(0x7f), Just(0x08), Just(0x1f),
                        Just(0x20), Just(0x80), Just(0xff), any::<u8>(), 0x21u8..0x7f],
            0..80,
        ),
        from in 0usize..85,
    ) {
        let naive = (from..s.len()).find(|&i| !is_value_byte(s[i])).unwrap_or(s.len());
        let naive = if from > s.len() { s.len() } else { naive };
        prop_assert_eq!(find_ctl(&s, from), naive);
        prop_assert_eq!(find_ctl_swar(&s, from), naive);
    }
}

#[test]
fn static_responses_are_well_formed() {
    for r in [RESP_431_HEAD, RESP_431_COUNT, RESP_400_MALFORMED] {
        let mut slots = [Header::EMPTY; 8];
        let resp = parse_response(r, &mut slots, &HeadConfig::default())
            .unwrap()
            .complete()
            .unwrap();
        let body = &r[resp.head_len()..];
        assert_eq!(resp.content_length().unwrap(), Some(body.len() as u64));
    }
}
