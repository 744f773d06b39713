//! Personal data: checking phone numbers, and masking for lists and exports (enough to
//! recognise, not enough to misuse). The rules are `domain`'s; these are the names components
//! already use.

pub use domain::mask::{mask_id_number, mask_phone};
pub use domain::phone::is_mobile as valid_phone;
