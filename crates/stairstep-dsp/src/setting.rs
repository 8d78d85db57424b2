//! What every setting has in common, for the code that treats them alike: the choice enums'
//! lists of variants ([`choices!`]), and drawing a whole [`Settings`](crate::Settings) one
//! field at a time ([`Draw`], [`Setting`]), which the property tests and the fuzzer do, so a
//! new setting is drawn without a line of theirs.

/// How a generator draws one setting.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Draw {
    /// A continuous value in `min..=max` (in its unit); `log`: spanned on a log2 scale.
    Number {
        /// Lowest value.
        min: f32,
        /// Highest value.
        max: f32,
        /// Whether the range is best spanned in octaves (rates, times).
        log: bool,
    },
    /// One of `count` choices, by index.
    Choice {
        /// How many choices there are.
        count: usize,
    },
    /// A switch: off for 0, on otherwise.
    Switch,
}

/// A type a setting can have, drawn from a generator's answer to a [`Draw`].
pub trait Setting: Sized {
    /// The value for `answer`, the generator's reply to [`Setting::draw`] (`range` is the
    /// setting's range and scale for a number, `None` otherwise).
    fn from_answer(answer: f64) -> Self;
    /// What to ask the generator for.
    fn draw(range: Option<(f32, f32, bool)>) -> Draw;
}

impl Setting for f32 {
    fn from_answer(answer: f64) -> Self {
        answer as f32
    }
    fn draw(range: Option<(f32, f32, bool)>) -> Draw {
        let (min, max, log) = range.unwrap_or((0.0, 1.0, false));
        Draw::Number { min, max, log }
    }
}

impl Setting for bool {
    fn from_answer(answer: f64) -> Self {
        answer != 0.0
    }
    fn draw(_: Option<(f32, f32, bool)>) -> Draw {
        Draw::Switch
    }
}

/// Declares a plain enum (unit variants) and `ALL`, every variant in declaration order: the
/// one list that the plugin's parameters, the fuzzer and the property tests take choices from.
macro_rules! choices {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident,)* }) => {
        $(#[$meta])* $vis enum $name { $($(#[$vmeta])* $variant,)* }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];
        }

        impl $crate::setting::Setting for $name {
            fn from_answer(answer: f64) -> Self {
                // NOTE: A generator's index out of range (or not a number) wraps.
                let k = if answer.is_finite() { answer.abs() as usize } else { 0 };
                Self::ALL[k % Self::ALL.len()]
            }
            fn draw(_: Option<(f32, f32, bool)>) -> $crate::setting::Draw {
                $crate::setting::Draw::Choice { count: Self::ALL.len() }
            }
        }
    };
}
