//! What the cluster's upkeep ([`super::maintain`]) needs of the node around it, handed over when
//! the node starts it, so that the cluster imports nothing above the hub.

use crate::hub::Hub;
use crate::policy::DevicePolicy;
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The node's side of the cluster's upkeep.
pub struct Local {
    /// This node's sessions: the ones to end when another node displaces them, and to admit
    /// again when the node comes back under a new incarnation.
    pub hub: Arc<Hub>,
    /// Each app's multi-device policy, by SDKAppID, to admit its sessions again with; a session
    /// of an app not in it is not admitted again.
    pub policies: BTreeMap<u64, DevicePolicy>,
    /// Cancelled when the node shuts down: the upkeep then stops.
    pub shutdown: CancellationToken,
}
