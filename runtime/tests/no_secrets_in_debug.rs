//! No secret appears in the `Debug` output of a configuration type or in an error message:
//! every type that can hold one is built with distinct secrets set, formatted, and searched.

use kubegen_runtime::Client;
use kubegen_runtime::client::Request;
use kubegen_runtime::config::kubeconfig::{AuthInfo, Cluster, ExecEnvVar};
use kubegen_runtime::config::{Auth, ClientCertificate, Config, ExecConfig, ExecCredential, ExecProvider, Kubeconfig};

/// Each secret is distinct, so a leak names its source.
const SECRETS: &[&str] = &[
    "TOKEN-d41d8cd98f",
    "PASSWORD-0cc175b9c0",
    "KEYDATA-92eb5ffee6",
    "ENVVALUE-4a8a08f09d",
    "URLPASS-8277e0910d",
    "PROXYPASS-e1671797c5",
    "PROVIDERSECRET-3b5d5c3712",
    "EXECTOKEN-2b2e1cb2c4",
    "PRIVATEKEY-5d41402abc",
    "BASICUSER-7215ee9c7d",
];

fn assert_clean(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows {secret}: {text}");
    }
}

const KUBECONFIG: &str = r#"
current-context: main
clusters:
- name: main
  cluster:
    server: https://BASICUSER-7215ee9c7d:URLPASS-8277e0910d@127.0.0.1:1
    proxy-url: socks5://proxyuser:PROXYPASS-e1671797c5@127.0.0.1:2
users:
- name: token
  user: {token: TOKEN-d41d8cd98f}
- name: basic
  user: {username: BASICUSER-7215ee9c7d, password: PASSWORD-0cc175b9c0}
- name: key
  user: {client-certificate-data: Y2VydA==, client-key-data: KEYDATA-92eb5ffee6}
- name: exec
  user:
    exec:
      command: get-token
      apiVersion: client.authentication.k8s.io/v1
      env: [{name: SECRET, value: ENVVALUE-4a8a08f09d}]
- name: provider
  user:
    auth-provider: {name: oidc, config: {client-secret: PROVIDERSECRET-3b5d5c3712, id-token: TOKEN-d41d8cd98f}}
contexts:
- name: main
  context: {cluster: main, user: token}
- name: exec
  context: {cluster: main, user: exec}
"#;

#[test]
fn kubeconfigs_and_their_parts_show_no_secret() {
    let kubeconfig: Kubeconfig = serde_yaml_ng::from_str(KUBECONFIG).expect("parses");
    assert_clean("Kubeconfig", &format!("{kubeconfig:?}"));
    assert_clean("Kubeconfig (pretty)", &format!("{kubeconfig:#?}"));
    for user in &kubeconfig.users {
        assert_clean("AuthInfo", &format!("{:?}", user.user));
    }
    let parts = [
        format!("{:?}", Cluster { server: "https://u:URLPASS-8277e0910d@h".into(), ..Cluster::default() }),
        format!("{:?}", AuthInfo { token: Some("TOKEN-d41d8cd98f".into()), ..AuthInfo::default() }),
        format!("{:?}", ExecEnvVar { name: "A".into(), value: "ENVVALUE-4a8a08f09d".into() }),
    ];
    for part in parts {
        assert_clean("a kubeconfig part", &part);
    }
}

#[test]
fn configs_clients_and_credentials_show_no_secret() {
    let kubeconfig: Kubeconfig = serde_yaml_ng::from_str(KUBECONFIG).expect("parses");
    for context in ["main", "exec"] {
        let options =
            kubegen_runtime::config::KubeconfigOptions { context: Some(context.into()), ..Default::default() };
        let config = Config::from_custom_kubeconfig(&kubeconfig, &options).expect("loads");
        assert_clean("Config", &format!("{config:?}"));
        assert_clean("Auth", &format!("{:?}", config.auth));
        let client = Client::new(config).expect("client");
        assert_clean("Client", &format!("{client:?}"));
        assert_clean("Client::cluster_url", client.cluster_url().as_str());
    }
    let mut config = Config::new("https://127.0.0.1:1".parse().expect("url"));
    for auth in [
        Auth::Token("TOKEN-d41d8cd98f".into()),
        Auth::Basic { username: "BASICUSER-7215ee9c7d".into(), password: "PASSWORD-0cc175b9c0".into() },
        Auth::Exec(Box::new(ExecProvider::new(
            ExecConfig {
                command: "get-token".into(),
                env: vec![ExecEnvVar { name: "SECRET".into(), value: "ENVVALUE-4a8a08f09d".into() }],
                ..ExecConfig::default()
            },
            Cluster::default(),
        ))),
    ] {
        config.auth = auth;
        config.client_certificate =
            Some(ClientCertificate { certificate_pem: b"cert".to_vec(), key_pem: b"PRIVATEKEY-5d41402abc".to_vec() });
        assert_clean("Config", &format!("{config:?}"));
        assert_clean("Config (pretty)", &format!("{config:#?}"));
    }
    let credential = ExecCredential {
        token: Some("EXECTOKEN-2b2e1cb2c4".into()),
        client_key_pem: Some(b"PRIVATEKEY-5d41402abc".to_vec()),
        ..ExecCredential::default()
    };
    assert_clean("ExecCredential", &format!("{credential:?}"));
}

#[test]
fn configuration_errors_show_no_secret() {
    for (server, proxy) in [
        ("https://BASICUSER-7215ee9c7d:URLPASS-8277e0910d@[not an address", "http://proxy:1"),
        ("https://127.0.0.1:1", "ftp://proxyuser:PROXYPASS-e1671797c5@proxy:21"),
        ("https://127.0.0.1:1", "http://proxyuser:PROXYPASS-e1671797c5@[bad"),
    ] {
        let text = KUBECONFIG
            .replace("https://BASICUSER-7215ee9c7d:URLPASS-8277e0910d@127.0.0.1:1", server)
            .replace("socks5://proxyuser:PROXYPASS-e1671797c5@127.0.0.1:2", proxy);
        let kubeconfig: Kubeconfig = serde_yaml_ng::from_str(&text).expect("parses");
        let error = Config::from_custom_kubeconfig(&kubeconfig, &Default::default()).expect_err("invalid");
        assert_clean("ConfigError", &format!("{error} / {error:?}"));
    }
}

#[tokio::test]
async fn request_errors_show_no_secret() {
    // The server URL's userinfo becomes basic auth and leaves the URL: a failed request names
    // the server without it.
    let config = Config::new("https://BASICUSER-7215ee9c7d:URLPASS-8277e0910d@127.0.0.1:1".parse().expect("url"));
    let client = Client::new(config).expect("client");
    let error = client.send(Request::new(reqwest::Method::GET, "/api".into())).await.expect_err("nothing listens");
    let text = format!("{error} / {error:?}");
    assert_clean("a transport error", &text);
    assert!(text.contains("https://127.0.0.1:1/api"), "{text}");
}
