//! kubegen
