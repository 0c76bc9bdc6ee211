//! One HTTPS client for every AWS client in the process. Without it each
//! SDK client (a handful per account and region) builds its own TLS
//! configuration, root certificate store and connection pool, and nothing
//! is reused across accounts calling the same regional endpoint.
//!
//! The SDK's client also builds a whole connector (parsing every root
//! certificate) each time a service client is constructed, only to check
//! the configuration, and throws it away: that was most of the CPU an audit
//! of many accounts spent. `Shared` skips that check; the one connector is
//! built on first use.

use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use aws_smithy_http_client::{proxy::ProxyConfig, Builder, ConnectorBuilder};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::shared::IntoShared;

/// The SDK's own default (rustls with aws-lc, proxies from the
/// environment), built once.
pub fn shared_client() -> SharedHttpClient {
    let client = Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    });
    Shared(client).into_shared()
}

/// The shared client without the per-client configuration check.
#[derive(Debug)]
struct Shared(SharedHttpClient);

impl HttpClient for Shared {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
