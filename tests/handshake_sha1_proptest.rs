//! `accept_key` uses a SHA-1 specialised for 24-byte keys; `sha1_smol` (plus base64) is the
//! reference for every key, valid or not, and for every other length (which takes the generic
//! path).
use base64::Engine;
use proptest::prelude::*;
use sockwire::handshake::{GUID, accept_key, is_valid_key};

fn reference(key: &[u8]) -> [u8; 28] {
    let mut sha = sha1_smol::Sha1::new();
    sha.update(key);
    sha.update(GUID);
    let mut out = [0u8; 28];
    base64::engine::general_purpose::STANDARD
        .encode_slice(sha.digest().bytes(), &mut out)
        .unwrap();
    out
}

#[test]
fn rfc_vectors() {
    // RFC 6455 §1.3 and §4.2.2, and the RFC 6455 §1.2 example exchange.
    assert_eq!(
        &accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
        b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
    assert_eq!(
        &accept_key(b"x3JJHMbDL1EzLkh9GBhXDw=="),
        b"HSmrc0sMlYUkAGmm5OPpG2HaGWk="
    );
}

#[test]
fn lengths_around_24_take_either_path_and_agree() {
    let bytes: Vec<u8> = (0..200u32).map(|i| (i * 73 + 5) as u8).collect();
    for len in 0..bytes.len() {
        assert_eq!(
            accept_key(&bytes[..len]),
            reference(&bytes[..len]),
            "len {len}"
        );
    }
}

proptest! {
    #[test]
    fn valid_keys_match_reference(nonce in any::<[u8; 16]>()) {
        let mut key = [0u8; 24];
        base64::engine::general_purpose::STANDARD.encode_slice(nonce, &mut key).unwrap();
        prop_assert!(is_valid_key(&key));
        prop_assert_eq!(accept_key(&key), reference(&key));
    }

    #[test]
    fn base64ish_keys_match_reference(
        key in proptest::collection::vec(
            proptest::sample::select(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".to_vec(),
            ),
            24,
        ),
    ) {
        prop_assert_eq!(accept_key(&key), reference(&key));
    }

    #[test]
    fn arbitrary_24_byte_keys_match_reference(key in any::<[u8; 24]>()) {
        prop_assert_eq!(accept_key(&key), reference(&key));
    }

    #[test]
    fn any_length_matches_reference(key in proptest::collection::vec(any::<u8>(), 0..130)) {
        prop_assert_eq!(accept_key(&key), reference(&key));
    }
}
