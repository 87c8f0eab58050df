//! Property test: random joins, leaves, disconnects and broadcasts against a naive model of
//! rooms (sets of socket numbers). Every broadcast's recipients must equal the model's answer.
#![cfg(feature = "std")]

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use sockwire::hub::{Hub, SessionInfo, SocketId, Target};

#[derive(Debug, Clone)]
enum Op {
    Join(usize, usize),
    Leave(usize, usize),
    Reconnect(usize),
    Broadcast {
        rooms: Vec<usize>,
        except_rooms: Vec<usize>,
        except: Vec<usize>,
    },
}

const SOCKS: usize = 8;
const ROOMS: [&str; 4] = ["r0", "r1", "r2", "r3"];

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..SOCKS, 0..ROOMS.len()).prop_map(|(s, r)| Op::Join(s, r)),
        (0..SOCKS, 0..ROOMS.len()).prop_map(|(s, r)| Op::Leave(s, r)),
        (0..SOCKS).prop_map(Op::Reconnect),
        (
            proptest::collection::vec(0..ROOMS.len(), 0..3),
            proptest::collection::vec(0..ROOMS.len(), 0..2),
            proptest::collection::vec(0..SOCKS, 0..2)
        )
            .prop_map(|(rooms, except_rooms, except)| Op::Broadcast {
                rooms,
                except_rooms,
                except
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn broadcast_matches_naive_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut hub = Hub::default();
        let mut generation = 0usize;
        let mut ids: Vec<SocketId> = Vec::new();
        let mut model: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); SOCKS];
        for i in 0..SOCKS {
            let s = hub.add_session(SessionInfo::default()).unwrap();
            ids.push(hub.add_socket(s, "/", &format!("s{i}-0"), None).unwrap());
        }
        for op in ops {
            match op {
                Op::Join(s, r) => {
                    let fresh = hub.join(ids[s], ROOMS[r]).unwrap();
                    prop_assert_eq!(fresh, model[s].insert(r));
                }
                Op::Leave(s, r) => {
                    let was = hub.leave(ids[s], ROOMS[r]).unwrap();
                    prop_assert_eq!(was, model[s].remove(&r));
                }
                Op::Reconnect(s) => {
                    let sess = hub.session_of(ids[s]).unwrap();
                    hub.remove_session(sess).unwrap();
                    generation += 1;
                    let t = hub.add_session(SessionInfo::default()).unwrap();
                    ids[s] = hub.add_socket(t, "/", &format!("s{s}-{generation}"), None).unwrap();
                    model[s].clear();
                }
                Op::Broadcast { rooms, except_rooms, except } => {
                    let names: Vec<&str> = rooms.iter().map(|&r| ROOMS[r]).collect();
                    let ex_names: Vec<&str> = except_rooms.iter().map(|&r| ROOMS[r]).collect();
                    let ex_ids: Vec<SocketId> = except.iter().map(|&s| ids[s]).collect();
                    let target = Target::namespace("/")
                        .rooms(&names)
                        .except_rooms(&ex_names)
                        .except_sockets(&ex_ids);
                    hub.broadcast(&target, "e", &[]).unwrap();
                    let mut got = Vec::new();
                    while let Some(t) = hub.poll_transmit() {
                        got.push(ids.iter().position(|&x| x == t.socket).unwrap());
                    }
                    let got_set: BTreeSet<usize> = got.iter().copied().collect();
                    prop_assert_eq!(got_set.len(), got.len(), "duplicate delivery");
                    let want: BTreeSet<usize> = (0..SOCKS)
                        .filter(|&s| rooms.is_empty() || rooms.iter().any(|r| model[s].contains(r)))
                        .filter(|&s| !except_rooms.iter().any(|r| model[s].contains(r)))
                        .filter(|s| !except.contains(s))
                        .collect();
                    prop_assert_eq!(got_set, want);
                }
            }
        }
        // Room sizes agree with the model at the end.
        let mut sizes: BTreeMap<usize, usize> = BTreeMap::new();
        for m in &model {
            for &r in m {
                *sizes.entry(r).or_default() += 1;
            }
        }
        for (r, name) in ROOMS.iter().enumerate() {
            prop_assert_eq!(hub.room_size("/", name), sizes.get(&r).copied().unwrap_or(0));
        }
    }
}
