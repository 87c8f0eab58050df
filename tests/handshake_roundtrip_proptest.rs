//! Property: a request built by the sockwire client is accepted by the sockwire server, and the
//! server's 101 verifies on the client, for arbitrary hosts, targets, nonces and protocol lists.
use proptest::prelude::*;
use sockwire::handshake::http::{HeadConfig, Header, Status};
use sockwire::handshake::{
    AcceptOptions, ClientHandshake, ClientOptions, ServerHandshake, ServerResponse, accept_key,
};

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,10}){0,3}",
        "[a-z0-9.-]{1,20}:[0-9]{1,5}",
        "\\[[0-9a-f:]{2,20}\\](:[0-9]{1,5})?",
    ]
}

fn target() -> impl Strategy<Value = String> {
    "/[!-~]{0,40}"
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn client_request_is_accepted_and_response_verifies(
        host in host(),
        target in target(),
        nonce in any::<[u8; 16]>(),
        protocols in proptest::collection::btree_set(token(), 0..6),
        pick in any::<proptest::sample::Index>(),
        deflate in any::<bool>(),
        split in any::<proptest::sample::Index>(),
    ) {
        let protocols: Vec<&str> = protocols.iter().map(String::as_str).collect();
        let ext = deflate.then_some("permessage-deflate; client_max_window_bits");
        let mut client = ClientHandshake::new(
            ClientOptions::new(&host, &target, nonce).subprotocols(&protocols).extensions(ext),
        ).unwrap();
        let mut request = vec![0; client.encoded_len()];
        let n = client.encode(&mut request).unwrap();
        prop_assert_eq!(n, request.len());

        // The server sees the request in two pieces.
        let cut = split.index(request.len() + 1);
        let mut server = ServerHandshake::new(HeadConfig::default());
        let mut slots = [Header::EMPTY; 32];
        let first = server.parse(&request[..cut], &mut slots).unwrap();
        prop_assert_eq!(first.is_complete(), cut == request.len());
        let mut slots = [Header::EMPTY; 32];
        let req = server.parse(&request, &mut slots).unwrap().complete().unwrap();
        prop_assert_eq!(req.host(), host.as_str());
        prop_assert_eq!(req.target(), target.as_str());
        prop_assert_eq!(req.head_len(), request.len());
        prop_assert!(req.subprotocols().eq(protocols.iter().copied()));
        prop_assert_eq!(req.offers_extension("permessage-deflate"), deflate);
        prop_assert_eq!(req.accept_key(), accept_key(client.key().as_bytes()));

        let chosen = (!protocols.is_empty()).then(|| protocols[pick.index(protocols.len())]);
        let accept = req
            .accept(
                &AcceptOptions::new()
                    .subprotocol(chosen)
                    .extensions(deflate.then_some("permessage-deflate")),
            )
            .unwrap();
        let mut response = vec![0u8; accept.encoded_len()];
        accept.encode(&mut response).unwrap();
        response.extend_from_slice(b"\x81\x00");

        let mut slots = [Header::EMPTY; 32];
        match client.parse_response(&response, &mut slots).unwrap() {
            Status::Complete(ServerResponse::Accepted(a)) => {
                prop_assert_eq!(a.subprotocol(), chosen);
                prop_assert_eq!(a.extensions().count(), usize::from(deflate));
                prop_assert_eq!(&response[a.head_len()..], b"\x81\x00");
            }
            other => prop_assert!(false, "not accepted: {:?}", other),
        }
    }
}
