//! The harness's kubeconfig files work with a real client (`kubectl`), and users minted with
//! `create_user` are authenticated but, without RBAC bindings, forbidden.

use std::process::Command;

use kubegen_tests::ControlPlane;
use serde_json::json;

/// `kubectl`, if it is on PATH.
fn kubectl() -> Option<Command> {
    match Command::new("kubectl").arg("version").arg("--client").output() {
        Ok(output) if output.status.success() => Some(Command::new("kubectl")),
        _ => None,
    }
}

#[test]
fn kubectl_get_namespaces() {
    kubegen_tests::init_tracing();
    let Some(mut kubectl) = kubectl() else {
        println!("SKIPPED: kubectl is not on PATH");
        return;
    };
    let cp = ControlPlane::shared().expect("shared control plane");
    let output =
        kubectl.arg("--kubeconfig").arg(cp.kubeconfig_path()).args(["get", "ns"]).output().expect("run kubectl");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "kubectl failed: {stderr}");
    assert!(stdout.lines().any(|line| line.split_whitespace().next() == Some("default")), "{stdout}");
}

#[test]
fn kubectl_as_unprivileged_user_is_forbidden() {
    kubegen_tests::init_tracing();
    let Some(mut kubectl) = kubectl() else {
        println!("SKIPPED: kubectl is not on PATH");
        return;
    };
    let cp = ControlPlane::shared().expect("shared control plane");
    let user = cp.create_user("kubectl-nobody", &["team-a"]).expect("create user");
    let output = kubectl
        .arg("--kubeconfig")
        .arg(user.kubeconfig_path())
        .args(["get", "configmaps", "-n", "default"])
        .output()
        .expect("run kubectl");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("forbidden") && stderr.contains("\"kubectl-nobody\""), "{stderr}");
}

#[tokio::test]
async fn user_certificates_authenticate_and_rbac_decides() {
    kubegen_tests::init_tracing();
    let cp = ControlPlane::shared().expect("shared control plane");
    let ns = cp.fresh_namespace("rbac").await.expect("namespace");
    let user = cp.create_user("alice", &["developers", "testers"]).expect("create user");
    let as_alice = user.http().expect("client");
    let configmaps = format!("/api/v1/namespaces/{ns}/configmaps");

    // Authenticated (the 403 names the user), but not authorized.
    let denied = as_alice.get(&configmaps).await.expect_err("forbidden");
    assert_eq!(denied.http_status(), Some(403), "{denied}");
    assert!(denied.to_string().contains("User \\\"alice\\\""), "{denied}");

    // Both groups from the certificate count: bind a role to the second one.
    let admin = cp.http().expect("admin client");
    admin
        .post(
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles"),
            &json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": { "name": "read-configmaps" },
                "rules": [{ "apiGroups": [""], "resources": ["configmaps"], "verbs": ["list"] }],
            }),
        )
        .await
        .expect("create role");
    admin
        .post(
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings"),
            &json!({
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": { "name": "testers-read-configmaps" },
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Role",
                    "name": "read-configmaps",
                },
                "subjects": [{
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "Group",
                    "name": "testers",
                }],
            }),
        )
        .await
        .expect("create role binding");

    // RBAC changes reach the authorizer through an informer: poll briefly.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match as_alice.get(&configmaps).await {
            Ok(list) => {
                assert_eq!(list["kind"], "ConfigMapList");
                break;
            }
            Err(e) if e.http_status() == Some(403) && std::time::Instant::now() < deadline => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("list as alice after the binding: {e}"),
        }
    }
    // Still only what the role allows.
    let denied = as_alice
        .post(&configmaps, &json!({ "apiVersion": "v1", "kind": "ConfigMap", "metadata": { "name": "x" } }))
        .await
        .expect_err("create is not granted");
    assert_eq!(denied.http_status(), Some(403), "{denied}");
}
