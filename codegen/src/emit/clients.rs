//! The clientset: a `Clientset` at the crate root with one accessor per module, and per
//! module a client struct with one method per resource returning its `Api<K>`.
//!
//! ```text
//! let pods = Clientset::new(client).core_v1().pods("default");       // Api<Pod>
//! let every_pod = clientset.core_v1().pods_all_namespaces();          // Api<Pod>, all namespaces
//! let nodes = clientset.core_v1().nodes();                            // Api<Node>
//! ```

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs;
use super::paths::type_path;
use crate::ir::names::{self, is_keyword};
use crate::ir::{Model, Module, Resource};

/// The method name for a resource: its plural, split where its kind's words are
/// (`configmaps` of `ConfigMap` is `config_maps`, `networkpolicies` is `network_policies`).
pub fn accessor_name(kind: &str, plural: &str) -> String {
    let words = names::words(kind);
    let mut rest = plural;
    let mut parts = Vec::new();
    for (index, word) in words.iter().enumerate() {
        let word = word.to_ascii_lowercase();
        if index + 1 == words.len() {
            parts.push(rest.to_owned());
            rest = "";
        } else if let Some(after) = rest.strip_prefix(&word) {
            parts.push(word);
            rest = after;
        } else {
            return escape(plural.to_owned());
        }
    }
    if !rest.is_empty() || parts.iter().any(String::is_empty) {
        return escape(plural.to_owned());
    }
    escape(parts.join("_"))
}

fn escape(name: String) -> String {
    let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    let mut name = name.split('_').filter(|part| !part.is_empty()).collect::<Vec<_>>().join("_").to_ascii_lowercase();
    if name.is_empty() {
        name = "resources".to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    if is_keyword(&name) { format!("{name}_") } else { name }
}

/// Methods every module's client and informers struct has besides the accessors.
const RESERVED_METHODS: &[&str] = &["new", "clone", "fmt"];

/// The accessor of each resource of a module, by type id: [`accessor_name`], made unique in
/// the module (its `_all_namespaces` twin included) by a counter in resource order, and never
/// one of the structs' own methods. Clients and informers use the same names.
pub fn accessors(resources: &[&Resource]) -> BTreeMap<String, String> {
    let mut taken: BTreeSet<String> = RESERVED_METHODS.iter().map(|name| (*name).to_owned()).collect();
    let mut result = BTreeMap::new();
    for resource in resources {
        let wanted = accessor_name(&resource.group_version_kind.kind, &resource.plural);
        let mut name = wanted.clone();
        let mut counter = 2;
        let free = |name: &str, taken: &BTreeSet<String>| {
            let twin_taken = resource.namespaced && taken.contains(&format!("{name}_all_namespaces"));
            !(taken.contains(name) || twin_taken)
        };
        while !free(&name, &taken) {
            name = format!("{}_{counter}", wanted.trim_end_matches('_'));
            counter += 1;
        }
        taken.insert(name.clone());
        if resource.namespaced {
            taken.insert(format!("{name}_all_namespaces"));
        }
        result.insert(resource.type_id.clone(), name);
    }
    result
}

/// The client struct name of a module: `core_v1` is `CoreV1Client`.
pub fn client_struct(module: &str) -> String {
    names::client_struct(module)
}

/// `src/<module>/client.rs`, if the module has resources.
pub fn module_client(model: &Model, module: &Module, resources: &[&Resource]) -> Option<TokenStream> {
    if resources.is_empty() {
        return None;
    }
    let name = format_ident!("{}", client_struct(&module.name));
    let doc = docs::line(&format!(
        " Typed clients of the resources of `{}`{}.",
        module.name,
        module.api_version.as_ref().map(|version| format!(" (`{version}`)")).unwrap_or_default()
    ));
    let accessors = accessors(resources);
    let methods = resources.iter().filter_map(|resource| {
        model.types.get(&resource.type_id)?;
        let type_name = type_path(model, &resource.type_id);
        let accessor = accessors.get(&resource.type_id)?;
        let method = format_ident!("{accessor}");
        let kind = &resource.group_version_kind.kind;
        Some(if resource.namespaced {
            let all = format_ident!("{accessor}_all_namespaces");
            let doc = docs::line(&format!(" `{kind}` objects (`{}`) in `namespace`.", resource.plural));
            let all_doc = docs::line(&format!(
                " `{kind}` objects (`{}`) across all namespaces, for list, watch and delete-collection.",
                resource.plural
            ));
            quote! {
                #[doc = #doc]
                #[inline]
                pub fn #method(&self, namespace: &str) -> ::kubegen_runtime::Api<#type_name> {
                    ::kubegen_runtime::Api::namespaced(self.client.clone(), namespace)
                }

                #[doc = #all_doc]
                #[inline]
                pub fn #all(&self) -> ::kubegen_runtime::Api<#type_name> {
                    ::kubegen_runtime::Api::all(self.client.clone())
                }
            }
        } else {
            let doc = docs::line(&format!(" `{kind}` objects (`{}`, cluster-scoped).", resource.plural));
            quote! {
                #[doc = #doc]
                #[inline]
                pub fn #method(&self) -> ::kubegen_runtime::Api<#type_name> {
                    ::kubegen_runtime::Api::all(self.client.clone())
                }
            }
        })
    });
    Some(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #name {
            client: ::kubegen_runtime::Client,
        }

        impl #name {
            /// Clients of this module's resources on `client`.
            #[inline]
            pub fn new(client: ::kubegen_runtime::Client) -> Self {
                Self { client }
            }

            #(#methods)*
        }
    })
}

/// `src/clientset.rs`: one accessor per module with resources, each behind its feature.
pub fn clientset(modules_with_resources: &[&Module]) -> TokenStream {
    let accessors = modules_with_resources.iter().map(|module| {
        let method = format_ident!("{}", module.name);
        let module_ident = format_ident!("{}", module.name);
        let client = format_ident!("{}", client_struct(&module.name));
        let feature = &module.name;
        let gate = (!module.always_on).then(|| quote!(#[cfg(feature = #feature)]));
        let doc =
            docs::line(&format!(" The resources of `{}`.", module.api_version.as_deref().unwrap_or(&module.name)));
        quote! {
            #gate
            #[doc = #doc]
            #[inline]
            pub fn #method(&self) -> crate::#module_ident::#client {
                crate::#module_ident::#client::new(self.client.clone())
            }
        }
    });
    quote! {
        /// Typed clients of every resource of this crate, one accessor per group/version.
        #[derive(Clone, Debug)]
        pub struct Clientset {
            client: ::kubegen_runtime::Client,
        }

        impl Clientset {
            /// A clientset on `client`.
            #[inline]
            pub fn new(client: ::kubegen_runtime::Client) -> Self {
                Self { client }
            }

            /// The client underneath.
            #[inline]
            pub fn client(&self) -> &::kubegen_runtime::Client {
                &self.client
            }

            #(#accessors)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accessor_names_follow_the_kind() {
        assert_eq!(accessor_name("ConfigMap", "configmaps"), "config_maps");
        assert_eq!(accessor_name("NetworkPolicy", "networkpolicies"), "network_policies");
        assert_eq!(accessor_name("Pod", "pods"), "pods");
        assert_eq!(accessor_name("Endpoints", "endpoints"), "endpoints");
        assert_eq!(accessor_name("CSIDriver", "csidrivers"), "csi_drivers");
        assert_eq!(accessor_name("APIService", "apiservices"), "api_services");
        assert_eq!(accessor_name("IPAddress", "ipaddresses"), "ip_addresses");
        assert_eq!(accessor_name("Odd", "weird-things"), "weird_things");
        assert_eq!(client_struct("core_v1"), "CoreV1Client");
        assert_eq!(client_struct("cert_manager_io_v1"), "CertManagerIoV1Client");
    }
}
