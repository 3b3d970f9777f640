//! Errors come back typed, with the server's message: 404, 409 (stale resourceVersion), 422,
//! 403 (a user without rights), 401; and failures before the server answers are clear:
//! connection refused, a certificate from an unknown CA, a server name the certificate does
//! not have.

use kubegen_api::Clientset;
use kubegen_api::core_v1::ConfigMap;
use kubegen_runtime::client::Reason;
use kubegen_runtime::client::params::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubegen_runtime::config::{Auth, Config};
use kubegen_runtime::{Client, Error, ObjectMeta, StringMap};
use kubegen_tests::ControlPlane;
use kubegen_tests::socks::SocksTarget;

fn configmap(name: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() },
        data: Some(StringMap::from([("k", "v".into())])),
        ..ConfigMap::default()
    }
}

fn admin_config(cp: &ControlPlane) -> Config {
    let kubeconfig = kubegen_runtime::config::Kubeconfig::read(cp.kubeconfig_path()).expect("kubeconfig");
    Config::from_custom_kubeconfig(&kubeconfig, &Default::default()).expect("config")
}

#[tokio::test]
async fn server_errors_are_typed() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("errors").await.expect("namespace");
    let api = Clientset::new(cp.kube_client().expect("client")).core_v1().config_maps(&ns);

    let missing = api.get("missing").await.expect_err("404");
    assert!(missing.is_not_found());
    assert_eq!(missing.code(), Some(404));
    assert_eq!(missing.api().and_then(|e| e.status.message.as_deref()), Some("configmaps \"missing\" not found"));

    let created = api.create(&PostParams::default(), &configmap("taken")).await.expect("create");
    let exists = api.create(&PostParams::default(), &configmap("taken")).await.expect_err("409");
    assert!(exists.is_already_exists(), "{exists}");

    let mut fresh = created.clone();
    fresh.data = Some(StringMap::from([("k", "fresh".into())]));
    api.replace("taken", &PostParams::default(), &fresh).await.expect("first replace");
    let mut stale = created.clone();
    stale.data = Some(StringMap::from([("k", "stale".into())]));
    let conflict = api.replace("taken", &PostParams::default(), &stale).await.expect_err("409 stale");
    assert!(conflict.is_conflict(), "{conflict}");
    assert!(
        conflict.to_string().contains("the object has been modified; please apply your changes to the latest version"),
        "{conflict}"
    );

    let invalid = api.create(&PostParams::default(), &configmap("Not_A_Valid_Name")).await.expect_err("422");
    assert!(invalid.is_invalid(), "{invalid}");
    assert_eq!(invalid.code(), Some(422));
    let causes = invalid.api().and_then(|e| e.status.details.as_ref()).and_then(|d| d.causes.clone()).expect("causes");
    assert_eq!(causes[0].field.as_deref(), Some("metadata.name"));

    // A user the harness creates without any role.
    let nobody = cp.create_user("nobody", &[]).expect("user");
    let as_nobody = Clientset::new(nobody.kube_client().expect("client")).core_v1().config_maps(&ns);
    let forbidden = as_nobody.list(&ListParams::default()).await.expect_err("403");
    assert!(forbidden.is_forbidden(), "{forbidden}");
    assert_eq!(forbidden.reason(), Some(Reason::Forbidden));
    assert!(forbidden.to_string().contains("User \"nobody\" cannot list resource \"configmaps\""), "{forbidden}");

    // A token the server does not know, and no client certificate: 401.
    let mut config = admin_config(cp);
    config.client_certificate = None;
    config.auth = Auth::Token("not-a-token".into());
    let unauthenticated = Client::new(config).expect("client");
    let error =
        Clientset::new(unauthenticated).core_v1().namespaces().list(&ListParams::default()).await.expect_err("401");
    assert!(error.is_unauthorized(), "{error}");
}

#[tokio::test]
async fn connection_refused_is_clear() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
    let config = Config::new(format!("https://127.0.0.1:{port}").parse().expect("url"));
    let client = Client::new(config).expect("client");
    let error = Clientset::new(client).core_v1().namespaces().list(&ListParams::default()).await.expect_err("refused");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&format!("https://127.0.0.1:{port}/api/v1/namespaces")), "{message}");
    assert!(message.contains("cannot connect"), "{message}");
    assert!(message.to_lowercase().contains("connection refused"), "{message}");
}

#[tokio::test]
async fn tls_failures_are_clear() {
    let cp = ControlPlane::shared().expect("shared control plane");

    // A CA that did not sign the server's certificate.
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let other_ca = params.self_signed(&key).expect("CA");
    let mut config = admin_config(cp);
    config.root_certificates = Some(other_ca.pem().into_bytes());
    let error = Clientset::new(Client::new(config).expect("client"))
        .core_v1()
        .namespaces()
        .list(&ListParams::default())
        .await
        .expect_err("unknown CA");
    let message = error.to_string();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(message.contains("UnknownIssuer") || message.contains("unknown issuer"), "{message}");

    // The server's certificate names 127.0.0.1 and localhost, not this.
    let mut config = admin_config(cp);
    config.tls_server_name = Some("elsewhere.example.com".into());
    let error = Clientset::new(Client::new(config).expect("client"))
        .core_v1()
        .namespaces()
        .list(&ListParams::default())
        .await
        .expect_err("wrong name");
    assert!(error.to_string().contains("NotValidForName") || error.to_string().contains("not valid for"), "{error}");

    // ... but `localhost` is, even though the URL says 127.0.0.1.
    let mut config = admin_config(cp);
    config.tls_server_name = Some("localhost".into());
    let client = Client::new(config).expect("client");
    Clientset::new(client).core_v1().namespaces().list(&ListParams::default()).await.expect("tls-server-name");

    // insecure-skip-tls-verify beside a CA is refused, as kubectl refuses it: the CA would be
    // ignored.
    let mut config = admin_config(cp);
    config.root_certificates = Some(other_ca.pem().into_bytes());
    config.accept_invalid_certificates = true;
    let error = Client::new(config).expect_err("insecure with a CA");
    assert!(error.to_string().contains("cannot be combined with a certificate authority"), "{error}");

    // insecure-skip-tls-verify alone: any certificate.
    let mut config = admin_config(cp);
    config.root_certificates = None;
    config.accept_invalid_certificates = true;
    let client = Client::new(config).expect("client");
    Clientset::new(client).core_v1().namespaces().list(&ListParams::default()).await.expect("insecure");
}

/// Names, namespaces, subresources and request paths that would address another resource
/// are refused before anything is sent, and those that only look odd (`?`, `#`, spaces) stay
/// inside their segment: the server sees them as names and answers 404. Afterwards the
/// victim namespace is exactly as it was.
#[tokio::test]
async fn hostile_names_and_paths_reach_no_other_resource() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let victim_ns = cp.fresh_namespace("victim").await.expect("namespace");
    let attacker_ns = cp.fresh_namespace("attacker").await.expect("namespace");
    let clientset = Clientset::new(cp.kube_client().expect("client"));
    let victims = clientset.core_v1().config_maps(&victim_ns);
    let victim = victims.create(&PostParams::default(), &configmap("victim")).await.expect("create");
    let api = clientset.core_v1().config_maps(&attacker_ns);

    let climbing = [
        format!("../../../namespaces/{victim_ns}/configmaps/victim"),
        format!("../{victim_ns}/configmaps/victim"),
        format!("x/../../{victim_ns}/configmaps/victim"),
        format!("%2e%2e/%2e%2e/{victim_ns}/configmaps/victim"),
        format!("..%2F..%2F{victim_ns}%2Fconfigmaps%2Fvictim"),
        "..".to_owned(),
        ".".to_owned(),
        String::new(),
        "victim/".to_owned(),
        "/victim".to_owned(),
        "%76ictim".to_owned(),
    ];
    let odd = ["victim?dryRun=All", "victim#fragment", "victim ", "victim\n", "vict\u{0}im", "...", "victim;x=1"];
    let mut tried = 0;
    let delete = DeleteParams::default().grace_period(0);
    for name in &climbing {
        for error in [
            api.get(name).await.expect_err("refused"),
            api.delete(name, &delete).await.expect_err("refused"),
            api.replace(name, &PostParams::default(), &configmap("victim")).await.expect_err("refused"),
            api.patch(name, &PatchParams::default(), &Patch::Merge(serde_json::json!({"data": {"k": "owned"}})))
                .await
                .expect_err("refused"),
            api.get_subresource::<ConfigMap>("victim", name).await.expect_err("refused"),
        ] {
            tried += 1;
            assert!(matches!(error, Error::InvalidPathSegment { .. }), "{name:?}: {error}");
        }
    }
    for name in odd {
        for error in [
            api.get(name).await.expect_err("404"),
            api.delete(name, &delete).await.expect_err("404"),
            api.patch(name, &PatchParams::default(), &Patch::Merge(serde_json::json!({"data": {"k": "owned"}})))
                .await
                .expect_err("404"),
        ] {
            tried += 1;
            assert!(error.is_not_found(), "{name:?}: {error}");
        }
    }
    // A hostile namespace, on a namespaced client.
    for namespace in [format!("../namespaces/{victim_ns}"), "..".to_owned(), format!("{victim_ns}/configmaps/victim")] {
        let error =
            clientset.core_v1().config_maps(&namespace).delete("victim", &delete).await.expect_err("refused namespace");
        tried += 1;
        assert!(matches!(error, Error::InvalidPathSegment { what: "namespace", .. }), "{error}");
    }
    // Raw request paths: relative ones could change the host, dot segments climb.
    for path in [
        "@127.0.0.1:1/api".to_owned(),
        "//127.0.0.1:1/api".to_owned(),
        format!("/api/v1/namespaces/{attacker_ns}/configmaps/../../{victim_ns}/configmaps/victim"),
        format!("/api/v1/namespaces/{attacker_ns}/configmaps/%2e%2e/%2e%2e/{victim_ns}/configmaps/victim"),
    ] {
        let request = kubegen_runtime::client::Request::new(reqwest::Method::DELETE, path.clone());
        let error = api.client().send(request).await.expect_err("refused path");
        tried += 1;
        assert!(matches!(error, Error::InvalidPathSegment { what: "request path", .. }), "{path}: {error}");
    }
    tracing::info!("{tried} hostile requests tried");
    assert!(tried >= 80, "{tried}");

    let after = victims.get("victim").await.expect("the victim is still there");
    assert_eq!(after.metadata.resource_version, victim.metadata.resource_version, "and unchanged");
    assert_eq!(victims.list(&ListParams::default()).await.expect("list").items.len(), 1);
    assert!(api.list(&ListParams::default()).await.expect("list").items.is_empty(), "nothing was created");
}

/// A kubeconfig's `socks5://` or `socks5h://` proxy, with a user name and password, carries
/// the client's requests to the real API server.
#[tokio::test]
async fn socks5_proxies_carry_requests_with_their_credentials() {
    let cp = ControlPlane::shared().expect("shared control plane");
    let proxy =
        kubegen_tests::socks::SocksProxy::start(Some(("proxy-user".into(), "proxy-pass".into()))).await.expect("proxy");
    for scheme in ["socks5", "socks5h"] {
        let mut config = admin_config(cp);
        config.proxy_url = Some(proxy.url(scheme, Some(("proxy-user", "proxy-pass"))).parse().expect("url"));
        // A host name, so that socks5 (the client resolves) and socks5h (the proxy resolves)
        // differ; the serving certificate names localhost.
        config.cluster_url.set_host(Some("localhost")).expect("host");
        let client = Client::new(config).expect("client");
        Clientset::new(client).core_v1().namespaces().list(&ListParams::default()).await.expect(scheme);
    }
    let targets = proxy.targets();
    assert!(
        targets.iter().any(|t| matches!(t, SocksTarget::Address(address) if address.ip().is_loopback())),
        "{targets:?}"
    );
    assert!(targets.iter().any(|t| matches!(t, SocksTarget::Domain(name, _) if name == "localhost")), "{targets:?}");

    // A proxy with wrong credentials is a clear transport error, without the password.
    let mut config = admin_config(cp);
    config.proxy_url = Some(proxy.url("socks5", Some(("proxy-user", "wrong-pass"))).parse().expect("url"));
    let client = Client::new(config).expect("client");
    let error = Clientset::new(client).core_v1().namespaces().list(&ListParams::default()).await.expect_err("refused");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("wrong-pass"), "{error}");
}
