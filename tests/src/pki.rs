//! Certificates and keys for one control plane, made with rcgen (ECDSA P-256 throughout).
//!
//! One CA signs everything: the serving certificate (SANs `127.0.0.1` and `localhost`), the
//! admin client certificate (CN `admin`, O `system:masters`), the certificate kube-apiserver
//! presents to kubelets (CN `kube-apiserver-kubelet-client`), the serving certificates of fake
//! kubelets and any user minted later. The same CA verifies the server
//! (`certificate-authority-data`) and clients (`--client-ca-file`). A
//! separate P-256 key signs service-account tokens (`--service-account-signing-key-file`, PKCS#8)
//! and verifies them (`--service-account-key-file`, as a PKIX public key: kube-apiserver v1.35
//! rejects a PKCS#8 private key there with "data does not contain any valid RSA or ECDSA public
//! keys"). Certificates carry rcgen's default validity (1975 to 4096): they live only as long as
//! the control plane.

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::Error;

/// The common name of the certificate kube-apiserver presents to kubelets; the fake kubelet
/// accepts no other client.
pub(crate) const KUBELET_CLIENT_CN: &str = "kube-apiserver-kubelet-client";

/// The object identifier of X.509 `organizationName` (O).
const ORGANIZATION_OID: [u64; 4] = [2, 5, 4, 10];

/// A certificate and its private key, both PEM.
#[derive(Clone)]
pub(crate) struct CertPair {
    pub(crate) cert_pem: String,
    pub(crate) key_pem: String,
}

/// The files kube-apiserver reads.
pub(crate) struct PkiFiles {
    pub(crate) ca_cert: PathBuf,
    pub(crate) serving_cert: PathBuf,
    pub(crate) serving_key: PathBuf,
    pub(crate) service_account_key: PathBuf,
    pub(crate) service_account_public_key: PathBuf,
    pub(crate) kubelet_client_cert: PathBuf,
    pub(crate) kubelet_client_key: PathBuf,
}

pub(crate) struct Pki {
    ca: Issuer<'static, KeyPair>,
    pub(crate) ca_pem: String,
    pub(crate) serving: CertPair,
    pub(crate) admin: CertPair,
    /// What kube-apiserver presents to kubelets (`--kubelet-client-certificate`).
    pub(crate) kubelet_client: CertPair,
    pub(crate) service_account_key_pem: String,
    /// kube-apiserver's `--service-account-key-file` wants public keys (PKIX PEM).
    pub(crate) service_account_public_key_pem: String,
}

impl Pki {
    pub(crate) fn generate() -> Result<Self, Error> {
        let ca_key = KeyPair::generate()?;
        let mut ca_params = CertificateParams::default();
        ca_params.distinguished_name = name("kubegen-test-ca", &["kubegen"])?;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages =
            vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_pem = ca_params.self_signed(&ca_key)?.pem();
        let ca = Issuer::new(ca_params, ca_key);

        let serving = serving_cert(&ca, "localhost")?;
        let service_account = KeyPair::generate()?;
        let empty = CertPair { cert_pem: String::new(), key_pem: String::new() };
        let mut pki = Pki {
            ca,
            ca_pem,
            serving,
            admin: empty.clone(),
            kubelet_client: empty,
            service_account_key_pem: service_account.serialize_pem(),
            service_account_public_key_pem: service_account.public_key_pem(),
        };
        pki.admin = pki.client_cert("admin", &["system:masters"])?;
        pki.kubelet_client = pki.client_cert(KUBELET_CLIENT_CN, &[])?;
        Ok(pki)
    }

    /// A serving certificate for a fake kubelet on loopback (SANs `127.0.0.1`, `localhost`).
    pub(crate) fn kubelet_serving_cert(&self, node: &str) -> Result<CertPair, Error> {
        serving_cert(&self.ca, node)
    }

    /// A client certificate for `user` in `groups` (kube-apiserver reads CN as the user name and
    /// each O as a group). rcgen writes at most one attribute per type, so O goes in once as
    /// `OrganizationName` and once as a custom attribute with the same OID: at most two groups.
    pub(crate) fn client_cert(&self, user: &str, groups: &[&str]) -> Result<CertPair, Error> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(user, groups)?;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        Ok(CertPair { cert_pem: params.signed_by(&key, &self.ca)?.pem(), key_pem: key.serialize_pem() })
    }

    /// Writes the files kube-apiserver needs into `dir`.
    pub(crate) fn write(&self, dir: &Path) -> Result<PkiFiles, Error> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))?;
        let files = PkiFiles {
            ca_cert: dir.join("ca.crt"),
            serving_cert: dir.join("serving.crt"),
            serving_key: dir.join("serving.key"),
            service_account_key: dir.join("service-account.key"),
            service_account_public_key: dir.join("service-account.pub"),
            kubelet_client_cert: dir.join("kubelet-client.crt"),
            kubelet_client_key: dir.join("kubelet-client.key"),
        };
        for (path, pem) in [
            (&files.ca_cert, &self.ca_pem),
            (&files.serving_cert, &self.serving.cert_pem),
            (&files.serving_key, &self.serving.key_pem),
            (&files.service_account_key, &self.service_account_key_pem),
            (&files.service_account_public_key, &self.service_account_public_key_pem),
            (&files.kubelet_client_cert, &self.kubelet_client.cert_pem),
            (&files.kubelet_client_key, &self.kubelet_client.key_pem),
        ] {
            std::fs::write(path, pem).map_err(|e| Error::io("writing", path, e))?;
        }
        Ok(files)
    }
}

/// A serving certificate named `common_name` for `localhost` and `127.0.0.1`, signed by `ca`.
fn serving_cert(ca: &Issuer<'static, KeyPair>, common_name: &str) -> Result<CertPair, Error> {
    let key = KeyPair::generate()?;
    let mut params = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])?;
    params.distinguished_name = name(common_name, &[])?;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    Ok(CertPair { cert_pem: params.signed_by(&key, ca)?.pem(), key_pem: key.serialize_pem() })
}

fn name(common_name: &str, organizations: &[&str]) -> Result<DistinguishedName, Error> {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    match organizations {
        [] => {}
        [one] => dn.push(DnType::OrganizationName, *one),
        [one, two] => {
            dn.push(DnType::OrganizationName, *one);
            dn.push(DnType::CustomDnType(ORGANIZATION_OID.to_vec()), *two);
        }
        _ => {
            return Err(Error::Invalid {
                what: "groups",
                message: format!(
                    "a client certificate carries at most two groups here (rcgen writes one \
                     attribute per type), got {organizations:?}"
                ),
            });
        }
    }
    Ok(dn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_pem_and_builds_a_tls_config() {
        let pki = Pki::generate().expect("generate");
        assert!(pki.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(pki.admin.key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        crate::http::tls_config(&pki.ca_pem, &pki.admin.cert_pem, &pki.admin.key_pem)
            .expect("tls config from generated PEM");
    }

    #[test]
    fn at_most_two_groups() {
        let pki = Pki::generate().expect("generate");
        pki.client_cert("u", &["a", "b"]).expect("two groups");
        let err = pki.client_cert("u", &["a", "b", "c"]).err();
        assert!(matches!(err, Some(Error::Invalid { what: "groups", .. })));
    }
}
