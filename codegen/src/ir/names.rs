//! Naming rules: JSON names to Rust identifiers, definitions to modules and types.
//!
//! These rules decide the public API of every generated crate, so they are deterministic,
//! tested one by one, and never changed silently. Every name they make is a valid Rust
//! identifier whatever the spec holds (`ir::validate` checks it again before emission).

use std::collections::BTreeSet;

/// Rust keywords (strict, reserved and 2024-edition), which cannot be identifiers. `Self`,
/// `self`, `super` and `crate` cannot even be raw identifiers, so every rule here escapes a
/// keyword with a trailing `_` instead of `r#`.
const KEYWORDS: &[&str] = &[
    "Self", "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let", "loop", "macro",
    "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return", "self", "static", "struct", "super",
    "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Splits a JSON name into words: at separators (anything not alphanumeric), before an
/// uppercase letter that follows a lowercase letter or digit, and before the last capital of
/// an acronym followed by a lowercase word (`HTTPGet` is `HTTP` `Get`). A plural acronym keeps
/// its `s` (`podCIDRs` is `pod` `CIDRs`, `clusterIPs` is `cluster` `IPs`), and so does a
/// version-like suffix (`IPv4` is one word).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut current = String::new();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            index += 1;
            continue;
        }
        if c.is_ascii_uppercase() && !current.is_empty() {
            let previous = chars[index - 1];
            let next = chars.get(index + 1).copied();
            let after_next = chars.get(index + 2).copied();
            let follows_lower = previous.is_ascii_lowercase() || previous.is_ascii_digit();
            let ends_acronym = previous.is_ascii_uppercase()
                && next.is_some_and(|next| next.is_ascii_lowercase())
                && !is_acronym_suffix(next, after_next);
            if follows_lower || ends_acronym {
                words.push(std::mem::take(&mut current));
            }
        }
        current.push(c);
        index += 1;
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether the lowercase letter `next` (followed by `after`) belongs to the acronym before it:
/// a plural `s` at a word end (`IPs`), or a `v` before a digit (`IPv4`).
fn is_acronym_suffix(next: Option<char>, after: Option<char>) -> bool {
    let at_word_end = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_lowercase());
    match next {
        Some('s') => at_word_end(after),
        Some('v') => after.is_some_and(|c| c.is_ascii_digit()),
        _ => false,
    }
}

/// `snake_case` of a JSON name.
pub fn snake_case(name: &str) -> String {
    words(name).iter().map(|word| word.to_ascii_lowercase()).collect::<Vec<_>>().join("_")
}

/// A field identifier for a JSON property name: snake case, a trailing `_` for keywords, a
/// leading `_` where it would start with a digit, `field` where nothing is left.
pub fn field_ident(name: &str) -> String {
    let mut ident = snake_case(name);
    if ident.is_empty() {
        ident = "field".to_owned();
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, '_');
    }
    if KEYWORDS.contains(&ident.as_str()) {
        ident.push('_');
    }
    ident
}

/// Whether `ident` is a Rust keyword.
pub fn is_keyword(ident: &str) -> bool {
    KEYWORDS.contains(&ident)
}

/// `UpperCamelCase` of a name, keeping the case inside words (`podCIDRs` is `PodCIDRs`,
/// `tls-config` is `TlsConfig`) so that Kubernetes' own type names stay as they are.
pub fn type_name(name: &str) -> String {
    let mut result = String::new();
    for part in name.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            result.push(first.to_ascii_uppercase());
            result.extend(chars);
        }
    }
    if result.is_empty() {
        // A name made only of symbols (or non-ASCII letters) has no word to keep.
        result = format!("Type{}", short_hash(name));
    }
    if result.starts_with(|c: char| c.is_ascii_digit()) {
        result.insert(0, 'T');
    }
    if is_keyword(&result) {
        result.push('_');
    }
    result
}

/// A short, stable hash of `text` (FNV-1a, 32 bits, in hex): it makes names that had to be
/// invented or shortened unique and the same on every run.
pub fn short_hash(text: &str) -> String {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in text.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    format!("{hash:08x}")
}

/// The longest module name or file stem; longer ones are cut and end in a hash of the whole
/// name. Module names are directory names and stems file names, and file systems refuse
/// names above 255 bytes (the stem also gets `.rs` and, while written, `.kubegen-tmp`).
pub const MAX_PATH_WORD: usize = 96;

/// `word` if it fits [`MAX_PATH_WORD`], else its start and a hash of all of it.
fn shorten(word: String) -> String {
    if word.len() <= MAX_PATH_WORD {
        return word;
    }
    let hash = short_hash(&word);
    let keep = MAX_PATH_WORD - hash.len() - 1;
    format!("{}_{hash}", word[..keep].trim_end_matches('_'))
}

/// The singular of a plural property name, for the type of its items: `conditions` is
/// `condition`, `policies` is `policy`, `addresses` is `address`. Names that do not look
/// plural stay as they are.
pub fn singular(name: &str) -> String {
    if let Some(stem) = name.strip_suffix("ies").filter(|stem| !stem.is_empty()) {
        return format!("{stem}y");
    }
    for suffix in ["sses", "xes", "ches", "shes"] {
        if name.ends_with(suffix) {
            return name[..name.len() - 2].to_owned();
        }
    }
    match name.strip_suffix('s') {
        Some(stem) if !stem.is_empty() && !stem.ends_with(['s', 'u', 'i']) => stem.to_owned(),
        _ => name.to_owned(),
    }
}

/// The variant name for an enum value: `IfNotPresent` stays, `tcp` becomes `Tcp`,
/// `my-value` becomes `MyValue`, `""` becomes `Empty`, `1.0` becomes `V1_0`.
pub fn variant_name(value: &str) -> String {
    if value.is_empty() {
        return "Empty".to_owned();
    }
    let parts: Vec<&str> = value.split(|c: char| !c.is_ascii_alphanumeric()).filter(|part| !part.is_empty()).collect();
    if parts.is_empty() {
        return String::new();
    }
    let mut result = String::new();
    for (index, part) in parts.iter().enumerate() {
        let starts_with_digit = part.starts_with(|c: char| c.is_ascii_digit());
        if index > 0 && starts_with_digit && result.ends_with(|c: char| c.is_ascii_digit()) {
            result.push('_');
        }
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            result.push(first.to_ascii_uppercase());
            result.extend(chars);
        }
    }
    if result.starts_with(|c: char| c.is_ascii_digit()) {
        result.insert(0, 'V');
    }
    if is_keyword(&result) {
        result.push('_');
    }
    result
}

/// True for the last package segment of a versioned API package: `v1`, `v1beta2`, `v2alpha1`.
pub fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix("alpha").or_else(|| rest.strip_prefix("beta")) else {
        return false;
    };
    !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit())
}

/// Where a definition goes: its module (one per API package and version) and its type name.
///
/// Kubernetes' own packages (`io.k8s.api.<group>.<version>`, and anything under a Go `pkg`
/// path, such as `io.k8s.apimachinery.pkg.apis.meta.v1`) use the Go package name:
/// `core_v1`, `meta_v1`, `apiextensions_v1`, `resource` (for `resource.Quantity`). Custom
/// resources (`io.cert-manager.v1.Certificate`, named after the reversed group) use their
/// whole group: `cert_manager_io_v1`.
pub fn module_and_type(definition: &str) -> (String, String) {
    let (package, last) = definition.rsplit_once('.').unwrap_or(("", definition));
    let segments: Vec<&str> = package.split('.').filter(|s| !s.is_empty()).collect();
    let module = if package.starts_with("io.k8s.api.") || package.contains(".pkg.") {
        match segments.as_slice() {
            [.., name, version] if is_version(version) => module_word(&format!("{name}_{version}")),
            [.., name] => module_word(name),
            [] => "types".to_owned(),
        }
    } else {
        match segments.as_slice() {
            [group @ .., version] if is_version(version) && !group.is_empty() => {
                let group: Vec<&str> = group.iter().rev().copied().collect();
                module_word(&format!("{}_{version}", group.join(".")))
            }
            [] => "types".to_owned(),
            all => module_word(&all.join(".")),
        }
    };
    (module, type_name(last))
}

/// A module name: snake case, never empty, never starting with a digit (`9lives.example.com`
/// is `_9lives_example_com`), never a keyword or a name the crate root already uses
/// ([`RESERVED_MODULES`]), and short enough for a directory name.
fn module_word(text: &str) -> String {
    let mut word = snake_case(&text.replace(['.', '-'], "_"));
    if word.is_empty() {
        word = format!("group_{}", short_hash(text));
    }
    if word.starts_with(|c: char| c.is_ascii_digit()) {
        word.insert(0, '_');
    }
    let mut word = shorten(word);
    if is_keyword(&word) || RESERVED_MODULES.contains(&word.as_str()) {
        word.push('_');
    }
    word
}

/// Names a module cannot have: the crate root's own modules (`clientset`, `informers`), the
/// `default` feature (every module is a feature), the methods of `Clientset` and
/// `SharedInformerFactory` that are not module accessors (generated code names crates by
/// absolute paths, `::std::..`, so a module `std` is harmless).
pub const RESERVED_MODULES: &[&str] =
    &["clientset", "informers", "default", "new", "client", "with_options", "from", "deref", "clone", "fmt"];

/// A file stem (and module name) for a type: snake case, never a keyword, `mod` or a name the
/// generator reserves for its own files.
pub fn file_stem(type_name: &str) -> String {
    let mut stem = snake_case(type_name);
    if stem.is_empty() {
        stem = "types".to_owned();
    }
    if stem.starts_with(|c: char| c.is_ascii_digit()) {
        stem.insert(0, 't');
    }
    let mut stem = shorten(stem);
    if is_keyword(&stem) || RESERVED_STEMS.contains(&stem.as_str()) {
        stem.push('_');
    }
    stem
}

/// The struct of a module's typed clients: `core_v1` has `CoreV1Client`.
pub fn client_struct(module: &str) -> String {
    format!("{}Client", type_name(&module.replace('_', "-")))
}

/// The struct of a module's informers: `core_v1` has `CoreV1Informers`.
pub fn informers_struct(module: &str) -> String {
    format!("{}Informers", type_name(&module.replace('_', "-")))
}

/// The type names a module's own items take (its client and informers structs), which no
/// type of the spec may have.
pub fn crate_items(module: &str) -> BTreeSet<String> {
    [client_struct(module), informers_struct(module)].into_iter().collect()
}

/// Stems of files the generator writes beside the type files of a module.
pub const RESERVED_STEMS: &[&str] = &["mod", "client", "informers", "lib"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_keeps_acronyms_together() {
        let cases = [
            ("clusterIPs", "cluster_ips"),
            ("podCIDRs", "pod_cidrs"),
            ("externalIPs", "external_ips"),
            ("hostIP", "host_ip"),
            ("httpGet", "http_get"),
            ("HTTPGet", "http_get"),
            ("nodeSelectorTerms", "node_selector_terms"),
            ("ipv4", "ipv4"),
            ("IPv4Address", "ipv4_address"),
            ("fsGroupChangePolicy", "fs_group_change_policy"),
            ("k8sVersion", "k8s_version"),
            ("v1beta1", "v1beta1"),
            ("x-kubernetes-int-or-string", "x_kubernetes_int_or_string"),
            ("URLs", "urls"),
            ("targetCPUUtilizationPercentage", "target_cpu_utilization_percentage"),
            ("CIDRsAllowed", "cidrs_allowed"),
            ("apiVersion", "api_version"),
            ("tlsConfig", "tls_config"),
            ("s3", "s3"),
        ];
        for (json, snake) in cases {
            assert_eq!(snake_case(json), snake, "{json}");
        }
    }

    #[test]
    fn field_idents_are_valid() {
        assert_eq!(field_ident("type"), "type_");
        assert_eq!(field_ident("$ref"), "ref_");
        assert_eq!(field_ident("$schema"), "schema");
        assert_eq!(field_ident("-Xmx"), "xmx");
        assert_eq!(field_ident("enum"), "enum_");
        assert_eq!(field_ident("match"), "match_");
        assert_eq!(field_ident("continue"), "continue_");
        assert_eq!(field_ident("1password"), "_1password");
        assert_eq!(field_ident("$"), "field");
        assert_eq!(field_ident("for"), "for_");
    }

    #[test]
    fn type_names_keep_inner_case() {
        assert_eq!(type_name("podCIDRs"), "PodCIDRs");
        assert_eq!(type_name("tls-config"), "TlsConfig");
        assert_eq!(type_name("APIService"), "APIService");
        assert_eq!(type_name("3d"), "T3d");
    }

    #[test]
    fn singulars() {
        for (plural, expected) in [
            ("conditions", "condition"),
            ("policies", "policy"),
            ("addresses", "address"),
            ("matchExpressions", "matchExpression"),
            ("status", "status"),
            ("ingress", "ingress"),
            ("envFrom", "envFrom"),
            ("patches", "patch"),
            ("boxes", "box"),
            ("args", "arg"),
        ] {
            assert_eq!(singular(plural), expected, "{plural}");
        }
    }

    #[test]
    fn variants() {
        assert_eq!(variant_name("IfNotPresent"), "IfNotPresent");
        assert_eq!(variant_name("tcp"), "Tcp");
        assert_eq!(variant_name("TCP"), "TCP");
        assert_eq!(variant_name("my-value"), "MyValue");
        assert_eq!(variant_name(""), "Empty");
        assert_eq!(variant_name("1.0"), "V1_0");
        assert_eq!(variant_name("*"), "");
    }

    #[test]
    fn versions() {
        for version in ["v1", "v2", "v1beta1", "v1alpha3", "v10"] {
            assert!(is_version(version), "{version}");
        }
        for other in ["v", "vx", "v1beta", "version", "meta", "v1gamma1"] {
            assert!(!is_version(other), "{other}");
        }
    }

    #[test]
    fn modules() {
        let cases = [
            ("io.k8s.api.core.v1.Pod", "core_v1", "Pod"),
            ("io.k8s.api.rbac.v1.Role", "rbac_v1", "Role"),
            ("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "meta_v1", "ObjectMeta"),
            ("io.k8s.apimachinery.pkg.api.resource.Quantity", "resource", "Quantity"),
            ("io.k8s.apimachinery.pkg.util.intstr.IntOrString", "intstr", "IntOrString"),
            ("io.k8s.apimachinery.pkg.runtime.RawExtension", "runtime", "RawExtension"),
            ("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSON", "apiextensions_v1", "JSON"),
            ("io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService", "apiregistration_v1", "APIService"),
            ("io.k8s.api.apiserverinternal.v1alpha1.StorageVersion", "apiserverinternal_v1alpha1", "StorageVersion"),
            ("io.cert-manager.v1.Certificate", "cert_manager_io_v1", "Certificate"),
            ("com.coreos.monitoring.v1.ServiceMonitor", "monitoring_coreos_com_v1", "ServiceMonitor"),
            ("io.k8s.networking.gateway.v1.HTTPRoute", "gateway_networking_k8s_io_v1", "HTTPRoute"),
            ("io.argoproj.v1alpha1.Workflow", "argoproj_io_v1alpha1", "Workflow"),
            ("io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics", "metrics_v1beta1", "NodeMetrics"),
        ];
        for (definition, module, name) in cases {
            assert_eq!(module_and_type(definition), (module.to_owned(), name.to_owned()), "{definition}");
        }
    }

    #[test]
    fn stems() {
        assert_eq!(file_stem("APIService"), "api_service");
        assert_eq!(file_stem("CSIDriver"), "csi_driver");
        assert_eq!(file_stem("Mod"), "mod_");
        assert_eq!(file_stem("Type"), "type_");
        assert_eq!(file_stem("Client"), "client_");
    }
}
