//! Free loopback ports.
//!
//! A port is found by binding `127.0.0.1:0` and closing the listener, so another process can
//! take it before etcd or kube-apiserver binds it. Callers retry with new ports when a process
//! exits with "address already in use". Ports handed out in this process are not handed out
//! again, so concurrently starting planes of one test binary do not pick the same one.

use std::collections::HashSet;
use std::net::{Ipv4Addr, TcpListener};
use std::sync::{Mutex, PoisonError};

use crate::Error;

static HANDED_OUT: Mutex<Option<HashSet<u16>>> = Mutex::new(None);

/// A loopback TCP port that was free a moment ago.
pub(crate) fn free_port() -> Result<u16, Error> {
    let mut handed_out = HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner);
    let handed_out = handed_out.get_or_insert_with(HashSet::new);
    for _ in 0..64 {
        let listener =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(|e| Error::io("binding", "127.0.0.1:0", e))?;
        let port = listener.local_addr().map_err(|e| Error::io("reading the address of", "127.0.0.1:0", e))?.port();
        if handed_out.insert(port) {
            return Ok(port);
        }
    }
    Err(Error::Invalid {
        what: "port",
        message: "the kernel kept handing out ports this process already uses".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct() {
        let a = free_port().expect("port");
        let b = free_port().expect("port");
        assert_ne!(a, b);
        assert_ne!(a, 0);
    }
}
