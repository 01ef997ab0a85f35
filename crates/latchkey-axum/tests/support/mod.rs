//! The scenario shared by both adapters' test suites.

pub(crate) mod scenario;
pub(crate) mod transports;
