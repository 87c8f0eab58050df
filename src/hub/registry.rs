//! The session and socket registry: adding and removing Engine.IO sessions and Socket.IO
//! sockets (generation-checked handles), and looking them up.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::socketio::Parser;

use super::{
    AckOutcome, Hot, Hub, HubError, Session, SessionId, SessionInfo, Socket, SocketId, check_name,
};

impl Hub {
    // ----- sessions -------------------------------------------------------------------------

    /// Registers an Engine.IO session with what its handshake told.
    ///
    /// # Errors
    /// [`HubError::LimitExceeded`] when
    /// [`HubConfig::max_sessions`](super::HubConfig::max_sessions) sessions exist.
    pub fn add_session(&mut self, info: SessionInfo) -> Result<SessionId, HubError> {
        if self.session_count >= self.config.max_sessions {
            return Err(HubError::LimitExceeded {
                limit: "max_sessions",
            });
        }
        self.session_generation = self.session_generation.wrapping_add(1);
        let generation = self.session_generation;
        let session = Session {
            generation,
            parser: self.config.parser,
            info,
            sockets: Vec::new(),
        };
        let index = if let Some(i) = self.free_sessions.pop() {
            self.sessions[i as usize] = Some(session);
            i
        } else {
            self.sessions.push(Some(session));
            (self.sessions.len() - 1) as u32
        };
        self.session_count += 1;
        Ok(SessionId { index, generation })
    }

    /// Sets the parser of a session's client (and of its sockets): broadcasts reach it encoded
    /// for that parser.
    ///
    /// # Errors
    /// [`HubError::UnknownSession`] for a stale or foreign handle.
    pub fn set_session_parser(&mut self, id: SessionId, parser: Parser) -> Result<(), HubError> {
        let sess = self.session_mut(id).ok_or(HubError::UnknownSession)?;
        sess.parser = parser;
        let sockets = sess.sockets.clone();
        for s in sockets {
            if let Some(h) = self.hot.get_mut(s.index as usize) {
                h.msgpack = parser == Parser::Msgpack;
            }
        }
        Ok(())
    }

    /// The parser of a session's client.
    pub fn session_parser(&self, id: SessionId) -> Option<Parser> {
        self.session_ref(id).map(|s| s.parser)
    }

    fn session_ref(&self, id: SessionId) -> Option<&Session> {
        match self.sessions.get(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    fn session_mut(&mut self, id: SessionId) -> Option<&mut Session> {
        match self.sessions.get_mut(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    /// Removes a session and every socket it has (see [`Hub::remove_socket`]).
    ///
    /// # Errors
    /// [`HubError::UnknownSession`] for a stale or foreign handle.
    pub fn remove_session(&mut self, id: SessionId) -> Result<(), HubError> {
        let sockets = match self.session_ref(id) {
            Some(s) => s.sockets.clone(),
            None => return Err(HubError::UnknownSession),
        };
        for s in sockets {
            let _ = self.remove_socket(s);
        }
        self.sessions[id.index as usize] = None;
        self.free_sessions.push(id.index);
        self.session_count -= 1;
        Ok(())
    }

    /// The handshake facts of a session.
    #[must_use]
    pub fn session_info(&self, id: SessionId) -> Option<&SessionInfo> {
        self.session_ref(id).map(|s| &s.info)
    }

    /// The sockets of a session (one per connected namespace).
    #[must_use]
    pub fn session_sockets(&self, id: SessionId) -> &[SocketId] {
        self.session_ref(id).map_or(&[], |s| &s.sockets)
    }

    /// Number of registered sessions.
    #[must_use]
    pub fn session_count(&self) -> usize {
        self.session_count
    }

    // ----- sockets --------------------------------------------------------------------------

    /// Registers the socket of `session` on `namespace`, with the `sid` the server sent in its
    /// CONNECT reply and the client's raw JSON `auth` payload. The socket joins the room named
    /// by its `sid`.
    ///
    /// # Errors
    /// Unknown session, invalid names, a duplicate `sid` in the namespace, a second socket of the
    /// session on the same namespace, or a cap.
    pub fn add_socket(
        &mut self,
        session: SessionId,
        namespace: &str,
        sid: &str,
        auth: Option<&str>,
    ) -> Result<SocketId, HubError> {
        check_name(namespace, self.config.max_namespace_len, "namespace")?;
        // A namespace is written `<nsp>,` inside packets: it starts with `/` and holds no comma
        // and no control character (which could not cross the polling framing).
        if !namespace.starts_with('/') || namespace.bytes().any(|b| b == b',' || b < 0x20) {
            return Err(HubError::InvalidName { what: "namespace" });
        }
        check_name(sid, self.config.max_sid_len, "sid")?;
        let max_per_session = self.config.max_sockets_per_session;
        let sess = self.session_ref(session).ok_or(HubError::UnknownSession)?;
        let msgpack = sess.parser == Parser::Msgpack;
        if sess.sockets.len() >= max_per_session {
            return Err(HubError::LimitExceeded {
                limit: "max_sockets_per_session",
            });
        }
        if sess.sockets.iter().any(|s| {
            self.socket_ref(*s)
                .is_some_and(|s| &*s.namespace == namespace)
        }) {
            return Err(HubError::AlreadyConnected);
        }
        match self.namespaces.get(namespace) {
            Some(n) if n.by_sid.contains_key(sid) => return Err(HubError::DuplicateSid),
            Some(_) => {}
            None if self.namespaces.len() >= self.config.max_namespaces => {
                return Err(HubError::LimitExceeded {
                    limit: "max_namespaces",
                });
            }
            None => {}
        }
        self.socket_generation = self.socket_generation.wrapping_add(1);
        let generation = self.socket_generation;
        let index = match self.free_sockets.last() {
            Some(&i) => i,
            None => self.sockets.len() as u32,
        };
        if let Some(c) = self.cluster.as_deref_mut() {
            c.add_namespace(namespace);
        }
        let nsp = self.namespaces.entry(namespace.into()).or_default();
        let nsp_pos = nsp.members.len();
        nsp.members.push(index);
        nsp.by_sid.insert(sid.into(), index);
        nsp.rooms.entry(sid.into()).or_default().insert(index);
        if let Some(c) = self.cluster.as_deref_mut() {
            c.room_created(namespace, sid);
        }
        let socket = Socket {
            generation,
            session,
            namespace: namespace.into(),
            sid: sid.into(),
            auth: auth.map(Into::into),
            rooms: alloc::vec![sid.into()],
            data: BTreeMap::new(),
            nsp_pos,
            pid: None,
            position: 0,
        };
        let hot = Hot {
            mark: 0,
            session,
            generation: Some(generation),
            msgpack,
        };
        if self.free_sockets.pop().is_some() {
            self.sockets[index as usize] = Some(socket);
            self.hot[index as usize] = hot;
        } else {
            self.sockets.push(Some(socket));
            self.hot.push(hot);
        }
        let id = SocketId { index, generation };
        if let Some(s) = self.session_mut(session) {
            s.sockets.push(id);
        }
        Ok(id)
    }

    pub(super) fn socket_ref(&self, id: SocketId) -> Option<&Socket> {
        match self.sockets.get(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    pub(super) fn socket_mut(&mut self, id: SocketId) -> Option<&mut Socket> {
        match self.sockets.get_mut(id.index as usize) {
            Some(Some(s)) if s.generation == id.generation => Some(s),
            _ => None,
        }
    }

    pub(super) fn id_at(&self, index: u32) -> Option<SocketId> {
        match self.sockets.get(index as usize) {
            Some(Some(s)) => Some(SocketId {
                index,
                generation: s.generation,
            }),
            _ => None,
        }
    }

    /// Removes a socket (its namespace DISCONNECT, or the end of its session): it leaves every
    /// room, its session data is dropped, and pending broadcast acks record it as
    /// [`AckOutcome::Disconnected`] (which may complete them: drain [`Hub::poll_event`]).
    ///
    /// # Errors
    /// [`HubError::UnknownSocket`] for a stale or foreign handle.
    pub fn remove_socket(&mut self, id: SocketId) -> Result<(), HubError> {
        if self.socket_ref(id).is_none() {
            return Err(HubError::UnknownSocket);
        }
        let Some(sock) = self.sockets[id.index as usize].take() else {
            return Err(HubError::UnknownSocket);
        };
        self.free_sockets.push(id.index);
        if let Some(h) = self.hot.get_mut(id.index as usize) {
            h.generation = None;
        }
        if let Some(nsp) = self.namespaces.get_mut(&sock.namespace) {
            for room in &sock.rooms {
                if let Some(set) = nsp.rooms.get_mut(room) {
                    set.remove(&id.index);
                    if set.is_empty() {
                        nsp.rooms.remove(room);
                        if let Some(c) = self.cluster.as_deref_mut() {
                            c.room_deleted(&sock.namespace, room);
                        }
                    }
                }
            }
            nsp.by_sid.remove(&sock.sid);
            let pos = sock.nsp_pos;
            if pos < nsp.members.len() {
                nsp.members.swap_remove(pos);
                if let Some(&moved) = nsp.members.get(pos) {
                    if let Some(Some(m)) = self.sockets.get_mut(moved as usize) {
                        m.nsp_pos = pos;
                    }
                }
            }
            if nsp.members.is_empty() {
                self.namespaces.remove(&sock.namespace);
            }
        }
        if let Some(sess) = self.session_mut(sock.session) {
            sess.sockets.retain(|s| *s != id);
        }
        // Pending acks waiting on this socket.
        let mut done = Vec::new();
        for (ack_id, p) in self.pending.iter_mut() {
            if p.waiting.remove(&id) {
                p.outcomes.push((id, AckOutcome::Disconnected));
                if p.waiting.is_empty() {
                    done.push(*ack_id);
                }
            }
        }
        for ack_id in done {
            self.complete_ack(ack_id, false);
        }
        Ok(())
    }

    /// Whether `id` is a registered socket.
    #[must_use]
    pub fn contains_socket(&self, id: SocketId) -> bool {
        self.socket_ref(id).is_some()
    }

    /// The socket's Socket.IO id.
    #[must_use]
    pub fn sid(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).map(|s| &*s.sid)
    }

    /// The socket's namespace.
    #[must_use]
    pub fn namespace_of(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).map(|s| &*s.namespace)
    }

    /// The socket's session.
    #[must_use]
    pub fn session_of(&self, id: SocketId) -> Option<SessionId> {
        self.socket_ref(id).map(|s| s.session)
    }

    /// The raw JSON `auth` payload the client sent with its CONNECT, if any.
    #[must_use]
    pub fn auth(&self, id: SocketId) -> Option<&str> {
        self.socket_ref(id).and_then(|s| s.auth.as_deref())
    }

    /// The handshake facts of the socket's session (the reference's `socket.handshake`, minus
    /// `auth`, which is [`Hub::auth`]).
    #[must_use]
    pub fn handshake(&self, id: SocketId) -> Option<&SessionInfo> {
        self.socket_ref(id)
            .and_then(|s| self.session_info(s.session))
    }

    /// The socket of `namespace` whose Socket.IO id is `sid`.
    #[must_use]
    pub fn socket_by_sid(&self, namespace: &str, sid: &str) -> Option<SocketId> {
        let index = *self.namespaces.get(namespace)?.by_sid.get(sid)?;
        self.id_at(index)
    }

    /// The socket `session` has on `namespace`.
    #[must_use]
    pub fn socket_of(&self, session: SessionId, namespace: &str) -> Option<SocketId> {
        self.session_sockets(session)
            .iter()
            .copied()
            .find(|s| self.namespace_of(*s) == Some(namespace))
    }

    /// The sockets of a namespace, in no particular order.
    pub fn sockets(&self, namespace: &str) -> impl Iterator<Item = SocketId> + '_ {
        self.namespaces
            .get(namespace)
            .into_iter()
            .flat_map(|n| n.members.iter())
            .filter_map(|&i| self.id_at(i))
    }

    /// Number of sockets in a namespace.
    #[must_use]
    pub fn socket_count(&self, namespace: &str) -> usize {
        self.namespaces
            .get(namespace)
            .map_or(0, |n| n.members.len())
    }

    /// Namespaces that have at least one socket, in byte order.
    pub fn namespaces(&self) -> impl Iterator<Item = &str> + '_ {
        self.namespaces.keys().map(|k| &**k)
    }
}
