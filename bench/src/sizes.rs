//! A diagnostic beside the heap figures: `size_of` of the main types in each library. Inline
//! size is paid for every `Option<T>` field whether set or not, so large inline structs show
//! up directly in the bytes a cached object retains.

use std::mem::size_of;

use k8s_openapi::api::core::v1 as ko;
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as KoQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1 as ko_meta;
use kubegen_api::core_v1 as kg;

use crate::results::{Better, Record};

/// `(type name, kubegen size, k8s-openapi size)`.
fn sizes() -> Vec<(&'static str, usize, usize)> {
    macro_rules! row {
        ($name:literal, $kubegen:ty, $k8s_openapi:ty) => {
            ($name, size_of::<$kubegen>(), size_of::<$k8s_openapi>())
        };
    }
    vec![
        row!("Pod", kg::Pod, ko::Pod),
        row!("PodSpec", kg::PodSpec, ko::PodSpec),
        row!("PodStatus", kg::PodStatus, ko::PodStatus),
        row!("Container", kg::Container, ko::Container),
        row!("ContainerStatus", kg::ContainerStatus, ko::ContainerStatus),
        row!("Probe", kg::Probe, ko::Probe),
        row!("EnvVar", kg::EnvVar, ko::EnvVar),
        row!("Volume", kg::Volume, ko::Volume),
        row!("ResourceRequirements", kg::ResourceRequirements, ko::ResourceRequirements),
        row!("SecurityContext", kg::SecurityContext, ko::SecurityContext),
        row!("PodCondition", kg::PodCondition, ko::PodCondition),
        row!("ObjectMeta", kubegen_runtime::ObjectMeta, ko_meta::ObjectMeta),
        row!("ManagedFieldsEntry", kubegen_runtime::ManagedFieldsEntry, ko_meta::ManagedFieldsEntry),
        row!("Time", kubegen_runtime::Time, ko_meta::Time),
        row!("Quantity", kubegen_runtime::Quantity, KoQuantity),
        row!("ConfigMap", kg::ConfigMap, ko::ConfigMap),
    ]
}

/// The sizes as records of workload `type-sizes`, one metric per type.
pub fn run() -> Vec<Record> {
    let mut records = Vec::new();
    for (name, kubegen, k8s_openapi) in sizes() {
        eprintln!("size_of {name}: kubegen {kubegen}, k8s-openapi {k8s_openapi}");
        records.push(Record::new("type-sizes", name, "bytes", "kubegen", kubegen as f64, Better::Lower));
        records.push(Record::new("type-sizes", name, "bytes", "kube-rs", k8s_openapi as f64, Better::Lower));
    }
    records
}
