//! Kubeconfig handling against the real API server, with files the tests write: several files
//! merged, contexts and their namespaces, client certificates from files, tokens, token files
//! re-read when the token rotates, and an exec credential plugin cached until it expires and
//! run again after a 401.

use std::path::{Path, PathBuf};
use std::time::Duration;

use kubegen_api::Clientset;
use kubegen_api::authentication_v1::{SelfSubjectReview, TokenRequest, TokenRequestSpec};
use kubegen_api::core_v1::ServiceAccount;
use kubegen_api::rbac_v1::{ClusterRoleBinding, RoleRef, Subject};
use kubegen_runtime::client::params::{DeleteParams, ListParams, PostParams};
use kubegen_runtime::config::{Config, Kubeconfig, KubeconfigOptions};
use kubegen_runtime::{Api, Client, ObjectMeta};
use kubegen_tests::ControlPlane;

/// A ServiceAccount with cluster-admin rights, and a token for it.
async fn robot(clientset: &Clientset, namespace: &str, name: &str) -> String {
    let meta = ObjectMeta { name: Some(name.into()), ..ObjectMeta::default() };
    let accounts = clientset.core_v1().service_accounts(namespace);
    accounts
        .create(&PostParams::default(), &ServiceAccount { metadata: meta.clone(), ..ServiceAccount::default() })
        .await
        .expect("service account");
    let binding = ClusterRoleBinding {
        metadata: ObjectMeta { name: Some(format!("{namespace}-{name}").into()), ..ObjectMeta::default() },
        role_ref: RoleRef {
            api_group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            name: "cluster-admin".into(),
        },
        subjects: Some(vec![Subject {
            kind: "ServiceAccount".into(),
            name: name.into(),
            namespace: Some(namespace.into()),
            ..Subject::default()
        }]),
        ..ClusterRoleBinding::default()
    };
    clientset.rbac_v1().cluster_role_bindings().create(&PostParams::default(), &binding).await.expect("binding");
    let request = TokenRequest {
        spec: TokenRequestSpec { expiration_seconds: Some(3600), ..TokenRequestSpec::default() },
        ..TokenRequest::default()
    };
    accounts
        .create_token(name, &PostParams::default(), &request)
        .await
        .expect("token")
        .status
        .expect("status")
        .token
        .into()
}

/// The user the client authenticates as, by asking the server.
async fn whoami(client: Client) -> String {
    let review = Clientset::new(client)
        .authentication_v1()
        .self_subject_reviews()
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .expect("self subject review");
    review
        .status
        .and_then(|status| status.user_info)
        .and_then(|user| user.username)
        .map(String::from)
        .unwrap_or_default()
}

/// Asks who the client is until the answer is `expected` (the API server caches token
/// reviews for up to 10 s), for at most 30 s; returns the last answer.
async fn until_user(client: &Client, expected: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let user = whoami(client.clone()).await;
        if user == expected || tokio::time::Instant::now() > deadline {
            return user;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn client(kubeconfig: &Kubeconfig, context: Option<&str>) -> Client {
    let options = KubeconfigOptions { context: context.map(str::to_owned), ..KubeconfigOptions::default() };
    Client::new(Config::from_custom_kubeconfig(kubeconfig, &options).expect("config")).expect("client")
}

fn write(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("writes");
    path
}

#[tokio::test]
async fn merged_files_contexts_and_credential_files() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("kubeconfig").await.expect("namespace");
    let admin = Clientset::new(cp.kube_client().expect("client"));
    let token = robot(&admin, &ns, "robot").await;
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ca.crt", cp.ca_pem());
    write(dir.path(), "admin.crt", cp.admin_cert_pem());
    write(dir.path(), "admin.key", cp.admin_key_pem());

    // The first file defines the cluster (CA from a file, relative to the kubeconfig) and the
    // users (a client certificate from files, a token).
    let first = write(
        dir.path(),
        "first.yaml",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: plane\n  cluster:\n    server: {}\n    certificate-authority: ca.crt\n\
             users:\n- name: admin\n  user:\n    client-certificate: admin.crt\n    client-key: admin.key\n\
             - name: robot\n  user:\n    token: {token}\n",
            cp.server_url()
        ),
    );
    // The second adds contexts, and a cluster of the same name that must lose to the first.
    let second = write(
        dir.path(),
        "second.yaml",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: as-admin\nclusters:\n- name: plane\n  cluster:\n    server: https://192.0.2.1:1\n\
             contexts:\n- name: as-admin\n  context: {{cluster: plane, user: admin, namespace: {ns}}}\n\
             - name: as-robot\n  context: {{cluster: plane, user: robot}}\n"
        ),
    );
    let merged = Kubeconfig::read_all(&[first, second]).expect("reads").expect("files exist");

    let as_admin = client(&merged, None);
    assert_eq!(as_admin.default_namespace(), ns, "the context's namespace");
    assert_eq!(whoami(as_admin.clone()).await, "admin");
    let configmaps: Api<kubegen_api::core_v1::ConfigMap> = Api::default_namespaced(as_admin);
    configmaps.list(&ListParams::default()).await.expect("list in the context's namespace");

    let as_robot = client(&merged, Some("as-robot"));
    assert_eq!(as_robot.default_namespace(), "default");
    assert_eq!(whoami(as_robot).await, format!("system:serviceaccount:{ns}:robot"));
}

#[tokio::test]
async fn token_files_are_read_again_when_the_token_rotates() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("token-file").await.expect("namespace");
    let admin = Clientset::new(cp.kube_client().expect("client"));
    let first = robot(&admin, &ns, "first").await;
    let second = robot(&admin, &ns, "second").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = write(dir.path(), "token", &first);
    write(dir.path(), "ca.crt", cp.ca_pem());
    let kubeconfig_path = write(
        dir.path(),
        "config",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: p\n  cluster: {{server: '{}', certificate-authority: ca.crt}}\n\
             users:\n- name: u\n  user: {{tokenFile: token}}\ncontexts:\n- name: c\n  context: {{cluster: p, user: u}}\n",
            cp.server_url()
        ),
    );
    let kubeconfig = Kubeconfig::read(&kubeconfig_path).expect("reads");
    let client = client(&kubeconfig, None);
    assert_eq!(whoami(client.clone()).await, format!("system:serviceaccount:{ns}:first"));

    // Rotate: the first token dies with its ServiceAccount, the file holds the second. Once
    // the API server's token cache (10 s) lets go of the first, the cached token gets a 401;
    // the client reads the file again and retries, so no request fails.
    admin.core_v1().service_accounts(&ns).delete("first", &DeleteParams::default()).await.expect("delete");
    std::fs::write(&token_file, &second).expect("rotates");
    let second_user = format!("system:serviceaccount:{ns}:second");
    assert_eq!(until_user(&client, &second_user).await, second_user);
}

#[tokio::test]
async fn exec_plugins_are_cached_until_expiry_and_run_again_after_a_401() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("exec").await.expect("namespace");
    let admin = Clientset::new(cp.kube_client().expect("client"));
    let first = robot(&admin, &ns, "exec-first").await;
    let second = robot(&admin, &ns, "exec-second").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let token_file = write(dir.path(), "token", &first);
    let runs = dir.path().join("runs");
    let info = dir.path().join("exec-info.json");
    let lifetime = write(dir.path(), "lifetime", "15 seconds");
    // The plugin counts its runs, keeps the exec info it was given, and hands out whatever
    // token the file holds, valid for as long as the lifetime file says. Its expiry is in
    // whole seconds, up to one second earlier than the lifetime: 15 seconds is outside the
    // client's 10-second margin for at least 4 seconds (11 seconds was not: a first run late
    // in its second expired 10.0 s later, within the margin by the next request), and within
    // it after 5.5 seconds.
    let plugin = write(
        dir.path(),
        "plugin.sh",
        &format!(
            "#!/bin/sh\necho run >> {runs}\nprintf '%s' \"$KUBERNETES_EXEC_INFO\" > {info}\n\
             expiry=$(date -u -d \"+$(cat {lifetime})\" +%Y-%m-%dT%H:%M:%SZ)\n\
             printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\",\"expirationTimestamp\":\"%s\"}}}}' \"$(cat {token})\" \"$expiry\"\n",
            runs = runs.display(),
            info = info.display(),
            lifetime = lifetime.display(),
            token = token_file.display()
        ),
    );
    write(dir.path(), "ca.crt", cp.ca_pem());
    let kubeconfig_path = write(
        dir.path(),
        "config",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: p\n  cluster: {{server: '{}', certificate-authority: ca.crt}}\n\
             users:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /bin/sh\n      args: ['{}']\n      provideClusterInfo: true\n      interactiveMode: Never\n\
             contexts:\n- name: c\n  context: {{cluster: p, user: u}}\n",
            cp.server_url(),
            plugin.display()
        ),
    );
    let count = || std::fs::read_to_string(&runs).map(|text| text.lines().count()).unwrap_or(0);
    let client = client(&Kubeconfig::read(&kubeconfig_path).expect("reads"), None);

    assert_eq!(whoami(client.clone()).await, format!("system:serviceaccount:{ns}:exec-first"));
    assert_eq!(count(), 1);
    let exec_info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&info).expect("exec info")).expect("JSON");
    assert_eq!(exec_info["kind"], "ExecCredential");
    assert_eq!(exec_info["spec"]["cluster"]["server"], cp.server_url());
    assert_eq!(exec_info["spec"]["interactive"], false);

    whoami(client.clone()).await;
    assert_eq!(count(), 1, "cached while far from expiry");
    tokio::time::sleep(Duration::from_millis(5500)).await;
    std::fs::write(&lifetime, "1 hour").expect("longer lifetime");
    whoami(client.clone()).await;
    assert_eq!(count(), 2, "run again as the credential nears its expiry");
    whoami(client.clone()).await;
    assert_eq!(count(), 2, "an hour-long credential is cached");

    // The cached token dies; once the API server stops accepting it, the 401 makes the client
    // run the plugin again, once, and the request succeeds with the new token.
    admin.core_v1().service_accounts(&ns).delete("exec-first", &DeleteParams::default()).await.expect("delete");
    std::fs::write(&token_file, &second).expect("rotates");
    let second_user = format!("system:serviceaccount:{ns}:exec-second");
    assert_eq!(until_user(&client, &second_user).await, second_user);
    assert_eq!(count(), 3);
}
