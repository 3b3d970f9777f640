//! placeholder, replaced by `kubegen generate`
