//! Who is calling and what they may do where, through `wenming:platform/identity` (the
//! permission table lives there). A survey outside the caller's scope is **404**; an action the
//! caller's roles allow nowhere is **403**. Identity calls happen before a transaction opens.

kit::identity_adapter!();
// `deny`, `gate` and `scope_sql`: 404 outside the caller's scope, 403 when allowed nowhere.
kit::scoped_access!();
