//! Name resolution shared by the network probes (`tcp`, `dns`): the system resolver, bounded
//! by a timeout.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::duration::format_duration;

/// Resolves `host:port` with the system resolver, bounded by `timeout` (the lookup runs on a
/// helper thread so a stuck resolver cannot hang the check).
pub fn resolve_with_timeout(address: &str, timeout: Duration) -> Result<Vec<SocketAddr>, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let owned = address.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(owned.to_socket_addrs().map(|a| a.collect::<Vec<_>>()));
    });
    match rx.recv_timeout(timeout) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(format!("`{address}` resolved to no addresses")),
        Ok(Err(e)) => Err(format!("cannot resolve `{address}`: {e}")),
        Err(_) => {
            Err(format!("resolving `{address}` took longer than {}", format_duration(timeout)))
        }
    }
}
