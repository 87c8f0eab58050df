#![no_main]
//! A Socket.IO server or client machine fed arbitrary Engine.IO messages never panics, and stays
//! closed after an error. Input: first byte picks the role (bit 0), the msgpack parser (bit 1)
//! and, on the server, connection state recovery (bit 2); messages are split on 0xff, a
//! message starting with 0xfe is binary; every event is answered (accept / ack) and time moves.
use core::time::Duration;
use libfuzzer_sys::fuzz_target;
use sockwire::socketio::recovery::RecoveryConfig;
use sockwire::socketio::{
    ClientConfig, ClientEvent, ClientSocket, Parser, ServerConfig, ServerEvent, ServerSocket, Value,
};

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut now = Duration::from_secs(1);
    let parser = if mode & 2 != 0 {
        Parser::Msgpack
    } else {
        Parser::Json
    };
    if mode & 1 == 0 {
        let mut cfg = ServerConfig::default()
            .with_namespace("/")
            .with_namespace("/a")
            .with_connect_timeout(Duration::from_millis(500))
            .with_parser(parser);
        if mode & 4 != 0 {
            cfg = cfg.with_recovery(RecoveryConfig::new());
        }
        let mut s = ServerSocket::new(cfg, now);
        for msg in rest.split(|&b| b == 0xff) {
            now += Duration::from_millis(u64::from(msg.len() as u8));
            let r = match msg.split_first() {
                Some((0xfe, bin)) => s.handle_binary(now, bin),
                _ => match core::str::from_utf8(msg) {
                    Ok(t) => s.handle_text(now, t),
                    Err(_) => continue,
                },
            };
            // A peer error closes the socket, and every namespace's Disconnect carries it.
            let fatal = r.as_ref().err().filter(|e| e.is_peer_error()).cloned();
            if r.is_err() {
                assert!(s.is_closed());
            }
            s.handle_timeout(now);
            while let Some(ev) = s.poll_event() {
                match ev {
                    ServerEvent::Disconnect { reason, error, .. } => {
                        if let Some(e) = &fatal {
                            assert_eq!(reason, sockwire::socketio::DisconnectReason::ParseError);
                            assert_eq!(error, Some(sockwire::Error::from(e.clone())));
                        }
                    }
                    ServerEvent::Connect { nsp, .. } => match s.recovery_request(&nsp) {
                        Some(req) if req.offset.is_some() => {
                            let _ = s.accept_recovered(&nsp, "old", &req.pid);
                            let _ = s.emit_with_offset(&nsp, "missed", &[], "1");
                        }
                        Some(_) => {
                            let _ = s.accept_with_ids(&nsp, "new", Some("pid"));
                        }
                        None => {
                            let _ = s.accept(&nsp, [1; 15]);
                        }
                    },
                    ServerEvent::Event { packet, ack } => {
                        let vals = packet.arg_values();
                        if let Some(h) = ack {
                            let _ = s.ack(h, &vals);
                        } else {
                            let nsp = packet.packet().nsp().to_string();
                            let _ = s.emit_with_ack(
                                now,
                                &nsp,
                                "back",
                                &vals,
                                Some(Duration::from_millis(10)),
                            );
                        }
                    }
                    _ => {}
                }
            }
            while s.poll_transmit().is_some() {}
        }
    } else {
        let mut c = ClientSocket::new(ClientConfig::default().with_parser(parser));
        let _ = c.connect("/", Some("{\"t\":1}"));
        let _ = c.connect("/a", None);
        for msg in rest.split(|&b| b == 0xff) {
            now += Duration::from_millis(3);
            let r = match msg.split_first() {
                Some((0xfe, bin)) => c.handle_binary(now, bin),
                Some((0xfd, _)) => {
                    c.handle_transport_close(
                        now,
                        sockwire::socketio::DisconnectReason::TransportClose,
                        None,
                    );
                    c.handle_transport_open(now);
                    Ok(())
                }
                _ => match core::str::from_utf8(msg) {
                    Ok(t) => c.handle_text(now, t),
                    Err(_) => continue,
                },
            };
            let fatal = r.as_ref().err().filter(|e| e.is_peer_error()).cloned();
            if r.is_err() {
                assert!(c.is_closed());
            }
            c.handle_timeout(now);
            while let Some(ev) = c.poll_event() {
                if let (ClientEvent::Disconnect { error, .. }, Some(e)) = (&ev, &fatal) {
                    assert_eq!(error, &Some(sockwire::Error::from(e.clone())));
                }
                if let ClientEvent::Event { ack: Some(h), .. } = ev {
                    let _ = c.ack(h, &[Value::Json("1")]);
                } else if let ClientEvent::Connect { nsp, .. } = ev {
                    let _ = c.emit_with_ack(
                        now,
                        &nsp,
                        "hi",
                        &[Value::Binary(b"x")],
                        Some(Duration::from_millis(5)),
                    );
                }
            }
            while c.poll_transmit().is_some() {}
        }
    }
});
