//! One HTTPS client for every AWS client in the process. Without it each
//! SDK client (a handful per account and region) builds its own: its own TLS
//! configuration, root certificate store and connection pool, which is most
//! of the CPU an audit of many accounts spends, and no connection reuse
//! across accounts calling the same regional endpoint.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{proxy::ProxyConfig, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The SDK's own default (rustls with aws-lc, proxies from the
/// environment), built once.
pub fn shared_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}
