#![cfg(feature = "std")]
//! `Packet::first_arg_members` (members recorded while validating) agrees with rescanning the
//! first argument with `packet::members`, for every shape: flat objects (the recorded fast
//! path), nested / spaced / large objects (the rescan fallback), non-objects, acks; and the
//! validating fast path never accepts what the general scanner rejects.
use proptest::prelude::*;
use sockwire::socketio::{DecodeConfig, Value, packet};

fn check(text: &str) {
    let cfg = DecodeConfig::new();
    let Ok(p) = packet::decode(text, &cfg) else {
        return;
    };
    let fast: Vec<_> = p.first_arg_members().collect();
    let slow: Vec<_> = match p.args().next() {
        Some(a) => packet::members(a).collect(),
        None => Vec::new(),
    };
    assert_eq!(fast, slow, "{text}");
    // Fields (escapes recorded while validating) read exactly what `unquote` reads.
    let fields: Vec<_> = p.first_arg_fields().collect();
    assert_eq!(fields.len(), slow.len(), "{text}");
    for (f, (k, v)) in fields.iter().zip(&slow) {
        assert_eq!((f.raw_key(), f.raw_value()), (*k, *v), "{text}");
        assert_eq!(f.key(), packet::unquote(k), "{text}");
        let want = v.starts_with('"').then(|| packet::unquote(v));
        assert_eq!(f.value_str(), want, "{text}");
    }
    // The event name (escapes recorded too) reads what `unquote` of the raw name reads.
    if let Some(raw) = p.event_name_raw() {
        assert_eq!(p.event_name(), Some(packet::unquote(raw)), "{text}");
    }
}

#[test]
fn shapes() {
    for t in [
        r#"2["chat",{"msg":"hi","ts":17,"user":"ann"}]"#,
        r#"2/chat,17["chat",{"msg":"hi","ts":17,"user":"ann"},2]"#,
        r#"2["chat",{}]"#,
        r#"2["chat",{"a":true,"b":false,"c":null,"d":-1.5e3}]"#,
        r#"2["chat",{"a\"b":"x\\y\u00e9"}]"#,
        r#"2["chat",{"a":{"b":1}}]"#,
        r#"2["chat",{ "a":1}]"#,
        r#"2["chat",{"a" :1}]"#,
        r#"2["chat",{"a":[1]}]"#,
        r#"2["chat",{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8}]"#,
        r#"2["chat",{"1":1,"2":2,"3":3,"4":4,"5":5,"6":6,"7":7,"8":8,"9":9}]"#,
        r#"2["chat","x"]"#,
        r#"2["chat"]"#,
        r#"2[{"a":1}]"#,
        r#"3[{"a":1,"b":"c"}]"#,
        r#"31[{"a":1},{"b":2}]"#,
        r#"3[]"#,
        r#"0{"a":1}"#,
        r#"51-["up",{"_placeholder":true,"num":0}]"#,
        r#"61-[{"_placeholder":true,"num":0}]"#,
    ] {
        check(t);
    }
    // Offsets past 64 KiB are not recorded: the rescan answers the same.
    let long = "x".repeat(70_000);
    check(&format!("2[\"chat\",{{\"a\":\"{long}\",\"b\":1}}]"));
    check(&format!("2[\"{long}\",{{\"a\":1,\"b\":2}}]"));
    let cfg = DecodeConfig::new();
    let p = packet::decode(r#"2["chat",{"msg":"hi","ts":17}]"#, &cfg).unwrap();
    let m: Vec<_> = p.first_arg_members().collect();
    assert_eq!(m, [(r#""msg""#, r#""hi""#), (r#""ts""#, "17")]);
}

#[test]
fn invalid_flat_objects_rejected() {
    let cfg = DecodeConfig::new();
    for bad in [
        r#"{"a":01}"#,
        r#"{"a":1,}"#,
        r#"{"a":"x"#,
        r#"{"a":tru}"#,
        r#"{"a"1}"#,
        r#"{a:1}"#,
        r#"{"a":1}x"#,
        r#"{"a":-}"#,
        "{\"a\":\"\u{1}\"}",
        r#"{"a":"\q"}"#,
        r#"{"a":1"#,
    ] {
        let text = format!("2[\"e\",{bad}]");
        assert!(packet::decode(&text, &cfg).is_err(), "{text}");
        let mut out = String::new();
        let mut atts = Vec::new();
        let r = packet::encode_event(&mut out, &mut atts, "/", None, "e", &[Value::Json(bad)]);
        assert!(r.is_err() && out.is_empty(), "{bad}");
    }
    // Trailing whitespace and spaced objects still go through the general path (minified).
    let mut out = String::new();
    let mut atts = Vec::new();
    packet::encode_event(
        &mut out,
        &mut atts,
        "/",
        None,
        "e",
        &[Value::Json(r#"{"a": 1} "#)],
    )
    .unwrap();
    assert_eq!(out, r#"2["e",{"a":1}]"#);
}

fn member() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("\"k\"".to_string()),
        Just("\"\\u0041\"".to_string()),
        Just("\"\\\"q\\\\\"".to_string()),
        Just("\"a\\/b\\b\\f\\n\\r\\t\"".to_string()),
        Just("\"\\ud83d\\ude00 and more than eight bytes\"".to_string()),
        "[a-z]{0,4}".prop_map(|s| format!("\"{s}\"")),
    ];
    let value = prop_oneof![
        Just("1".to_string()),
        Just("-0.5e2".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("\"v\\n\"".to_string()),
        Just("\"plain value longer than a word\"".to_string()),
        Just("\"é\\u00e9\\udc00\"".to_string()),
        Just("\"\\\"\"".to_string()),
        Just("{\"x\":[1]}".to_string()),
        Just("01".to_string()),
        Just("\"\"".to_string()),
    ];
    let sep = prop_oneof![Just(""), Just(" ")];
    (key, sep, value).prop_map(|(k, s, v)| format!("{k}{s}:{v}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn agrees_with_rescan(
        ms in proptest::collection::vec(member(), 0..11),
        ack in any::<bool>(),
        name in prop_oneof![
            Just("e"),
            Just("e\\n"),
            Just("long event name\\u00e9 with escape"),
            Just("a\\\"b"),
        ],
    ) {
        let obj = format!("{{{}}}", ms.join(","));
        let text = if ack { format!("3[{obj}]") } else { format!("2[\"{name}\",{obj}]") };
        check(&text);
        // Encoding the object validated agrees with decoding it.
        let mut out = String::new();
        let mut atts = Vec::new();
        let enc = packet::encode_event(&mut out, &mut atts, "/", None, "e", &[Value::Json(&obj)]);
        let ev = format!("2[\"e\",{obj}]");
        let dec_ok = packet::decode(&ev, &DecodeConfig::new()).is_ok();
        prop_assert_eq!(enc.is_ok(), dec_ok);
    }
}
