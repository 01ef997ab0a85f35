//! One module per grant type, each a method on the engine that receives an already
//! authenticated client and the grant's parsed parameters.

mod authorization_code;
mod client_credentials;
mod refresh_token;
