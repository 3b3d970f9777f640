//! Informer accessors: a `SharedInformerFactory` at the crate root wrapping the runtime's,
//! with one accessor per module, and per module a struct with one method per resource that
//! can be listed and watched, returning its shared informer.
//!
//! ```text
//! let factory = SharedInformerFactory::new(client, Duration::ZERO);
//! let pods = factory.core_v1().pods();       // SharedIndexInformer<Pod>, one per factory
//! factory.start();
//! factory.wait_for_cache_sync().await?;
//! let pod = pods.lister().namespace("default").get("web-0");
//! ```

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::clients::accessors;
use super::docs;
use super::paths::type_path;
use crate::ir::names;
use crate::ir::{Model, Module, Resource, Verb};

/// The informers struct name of a module: `core_v1` is `CoreV1Informers`.
pub fn informers_struct(module: &str) -> String {
    names::informers_struct(module)
}

/// The resources that get informers: those that can be listed and watched.
pub fn informable<'m>(resources: &[&'m Resource]) -> Vec<&'m Resource> {
    resources
        .iter()
        .copied()
        .filter(|resource| resource.verbs.contains(&Verb::List) && resource.verbs.contains(&Verb::Watch))
        .collect()
}

/// `src/<module>/informers.rs`, if the module has resources with informers.
pub fn module_informers(model: &Model, module: &Module, all_resources: &[&Resource]) -> Option<TokenStream> {
    let resources = informable(all_resources);
    if resources.is_empty() {
        return None;
    }
    // Named over all the module's resources, as the client's methods are.
    let accessors = accessors(all_resources);
    let name = format_ident!("{}", informers_struct(&module.name));
    let doc = docs::line(&format!(
        " Shared informers of the resources of `{}`.",
        module.api_version.as_deref().unwrap_or(&module.name)
    ));
    let methods = resources.iter().filter_map(|resource| {
        let type_path = type_path(model, &resource.type_id);
        let method = format_ident!("{}", accessors.get(&resource.type_id)?);
        let doc = docs::line(&format!(
            " The shared informer of `{}` objects (`{}`): one per factory, however often asked for.",
            resource.group_version_kind.kind, resource.plural
        ));
        // `#[inline]`: the informer machinery is generic over the kind; inline accessors are
        // compiled where they are called, so this crate does not build it for every kind.
        Some(quote! {
            #[doc = #doc]
            #[inline]
            pub fn #method(&self) -> ::kubegen_runtime::cache::SharedIndexInformer<#type_path> {
                self.factory.informer()
            }
        })
    });
    Some(quote! {
        #[doc = #doc]
        #[derive(Clone, Debug)]
        pub struct #name {
            factory: ::kubegen_runtime::cache::SharedInformerFactory,
        }

        impl #name {
            /// The informers of this module in `factory`.
            #[inline]
            pub fn new(factory: ::kubegen_runtime::cache::SharedInformerFactory) -> Self {
                Self { factory }
            }

            #(#methods)*
        }
    })
}

/// `src/informers.rs`: the crate's `SharedInformerFactory`.
pub fn factory(modules: &[&Module]) -> TokenStream {
    let accessors = modules.iter().map(|module| {
        let method = format_ident!("{}", module.name);
        let module_ident = format_ident!("{}", module.name);
        let informers = format_ident!("{}", informers_struct(&module.name));
        let feature = &module.name;
        let gate = (!module.always_on).then(|| quote!(#[cfg(feature = #feature)]));
        let doc =
            docs::line(&format!(" The informers of `{}`.", module.api_version.as_deref().unwrap_or(&module.name)));
        quote! {
            #gate
            #[doc = #doc]
            #[inline]
            pub fn #method(&self) -> crate::#module_ident::#informers {
                crate::#module_ident::#informers::new(self.factory.clone())
            }
        }
    });
    quote! {
        /// Shared informers of every resource of this crate, one accessor per group/version.
        ///
        /// It wraps the runtime's factory (reached through `Deref`: `start`,
        /// `wait_for_cache_sync`, `shutdown`); wrap the same runtime factory in another
        /// generated crate's factory to share informers between them.
        #[derive(Clone, Debug)]
        pub struct SharedInformerFactory {
            factory: ::kubegen_runtime::cache::SharedInformerFactory,
        }

        impl SharedInformerFactory {
            /// A factory on `client` whose handlers resync every `default_resync` (zero: never).
            pub fn new(client: ::kubegen_runtime::Client, default_resync: ::std::time::Duration) -> Self {
                Self::from(::kubegen_runtime::cache::SharedInformerFactory::new(client, default_resync))
            }

            /// A factory with options: a namespace, selectors, streaming lists, ...
            pub fn with_options(
                client: ::kubegen_runtime::Client,
                options: ::kubegen_runtime::cache::FactoryOptions,
            ) -> Self {
                Self::from(::kubegen_runtime::cache::SharedInformerFactory::with_options(client, options))
            }

            #(#accessors)*
        }

        impl ::std::convert::From<::kubegen_runtime::cache::SharedInformerFactory> for SharedInformerFactory {
            fn from(factory: ::kubegen_runtime::cache::SharedInformerFactory) -> Self {
                Self { factory }
            }
        }

        impl ::std::ops::Deref for SharedInformerFactory {
            type Target = ::kubegen_runtime::cache::SharedInformerFactory;

            fn deref(&self) -> &Self::Target {
                &self.factory
            }
        }
    }
}
