//! The fields a message carries, and the caps that keep them small.

use std::borrow::Cow;

/// A message's fields: (name, value) in line order.
pub type Fields<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Most fields kept on a message.
pub const MAX_FIELDS: usize = 12;

/// The longest field value kept, in characters.
pub const MAX_FIELD_CHARS: usize = 200;

/// Cuts a field value to [`MAX_FIELD_CHARS`] characters, marking the cut.
pub(crate) fn cap_value(s: Cow<'_, str>) -> Cow<'_, str> {
    match s.char_indices().nth(MAX_FIELD_CHARS) {
        Some((i, _)) => {
            let mut owned = s.get(..i).unwrap_or_default().to_string();
            owned.push('…');
            Cow::Owned(owned)
        }
        None => s,
    }
}
