//! The ConfigSet controller as a program: reconciles ConfigSets in every namespace of the
//! cluster of the current kubeconfig (or the Pod's service account) until Ctrl-C.
//!
//! ```sh
//! kubectl apply -f examples/configset/crd.yaml
//! cargo run -p configset-controller
//! ```

use std::time::Duration;

use kubegen_runtime::Client;
use kubegen_runtime::cache::SharedInformerFactory;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let client = Client::try_default().await?;
    let factory = SharedInformerFactory::new(client.clone(), Duration::ZERO);
    let shutdown = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!("cannot wait for Ctrl-C: {error}");
        }
    };
    configset_controller::run(client, factory, 4, shutdown).await?;
    Ok(())
}
