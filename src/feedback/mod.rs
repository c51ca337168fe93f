//! Feedback trends (DESIGN §2 "Feedback", issue 15): the terms of survey
//! comments, as the SQL function `comment_terms(text)`.
//!
//! A term is a Unicode word (UAX #29 word boundaries, the
//! `unicode-segmentation` crate), lower-cased, with at least two letters,
//! that is not a stop word in English, Polish or Russian (the `stop-words`
//! crate: NLTK's lists for English and Russian, Stopwords ISO's for Polish,
//! which NLTK lacks; ISO's English list also drops words such as "long"
//! that comments need), so comments in any of those languages work. Each
//! term counts once per comment.

use std::collections::HashSet;
use std::sync::{Arc, LazyLock};

use datafusion::arrow::array::{Array, AsArray, ListBuilder, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::{Result, plan_err};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::{
    ColumnarValue, DocSection, Documentation, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, TypeSignature, Volatility,
};
use unicode_segmentation::UnicodeSegmentation;

/// The languages whose stop words are removed (ISO 639-1).
pub const LANGUAGES: [&str; 3] = ["en", "pl", "ru"];

static STOP_WORDS: LazyLock<HashSet<String>> = LazyLock::new(|| {
    LANGUAGES
        .iter()
        .flat_map(|l| stop_words::get(l).iter())
        .map(|w| w.to_lowercase())
        .collect()
});

/// The distinct terms of `text`, in order of first appearance.
pub fn terms(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    text.unicode_words()
        .map(str::to_lowercase)
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .filter(|w| !STOP_WORDS.contains(w))
        .filter(|w| seen.insert(w.clone()))
        .collect()
}

/// `comment_terms(text)`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct CommentTerms {
    signature: Signature,
}

fn item() -> Arc<Field> {
    Arc::new(Field::new("item", DataType::Utf8, true))
}

fn documentation() -> &'static Documentation {
    static DOC: LazyLock<Documentation> = LazyLock::new(|| {
        Documentation::builder(
            DocSection {
                include: true,
                label: "Feedback Functions",
                description: Some("Survey comments (kpiql; DESIGN §2)."),
            },
            "The distinct terms of a comment: Unicode words (UAX #29), lower-cased, with at \
             least two letters, without English, Polish and Russian stop words. NULL for a \
             NULL comment.",
            "comment_terms(text)",
        )
        .with_argument("text", "A comment.")
        .with_sql_example(
            "SELECT comment_terms('Waited far too long, again!')  -- [waited, far, long]",
        )
        .build()
    });
    &DOC
}

impl ScalarUDFImpl for CommentTerms {
    fn name(&self) -> &str {
        "comment_terms"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(types
            .iter()
            .map(|t| match t {
                DataType::Utf8View | DataType::LargeUtf8 | DataType::Null => DataType::Utf8,
                other => other.clone(),
            })
            .collect())
    }

    fn return_type(&self, types: &[DataType]) -> Result<DataType> {
        match types {
            [DataType::Utf8] => Ok(DataType::List(item())),
            [other] => plan_err!("comment_terms: argument 1 (text) is {other}, expected a string"),
            _ => plan_err!("comment_terms takes 1 argument (text), got {}", types.len()),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let texts = arrays[0].as_string::<i32>();
        let mut out = ListBuilder::new(StringBuilder::new()).with_field(item());
        for i in 0..texts.len() {
            if texts.is_null(i) {
                out.append_null();
                continue;
            }
            for term in terms(texts.value(i)) {
                out.values().append_value(term);
            }
            out.append(true);
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }

    fn documentation(&self) -> Option<&Documentation> {
        Some(documentation())
    }
}

/// The function.
pub fn comment_terms() -> ScalarUDF {
    ScalarUDF::new_from_impl(CommentTerms {
        signature: Signature::one_of(
            vec![
                TypeSignature::Exact(vec![DataType::Utf8]),
                TypeSignature::UserDefined,
            ],
            Volatility::Immutable,
        ),
    })
}

/// Registers `comment_terms`.
pub fn register(registry: &mut dyn FunctionRegistry) -> Result<()> {
    registry.register_udf(Arc::new(comment_terms()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn words_in_three_languages_without_stop_words() {
        // English: "too", "my", "to", "again" are stop words.
        assert_eq!(
            terms("Waited far too long, again! Had to repeat my issue."),
            ["waited", "far", "long", "repeat", "issue"]
        );
        // Polish: "nie" is a stop word, "i" a single letter; diacritics
        // kept.
        assert_eq!(
            terms("Czekałem długo i nikt nie oddzwonił"),
            ["czekałem", "długo", "nikt", "oddzwonił"]
        );
        // Russian: "не" is a stop word, "и" a single letter; lower-cased.
        assert_eq!(
            terms("Ждал ДОЛГО и никто не перезвонил"),
            ["ждал", "долго", "никто", "перезвонил"]
        );
        // Once per comment; digits and one-letter words are no terms.
        assert_eq!(terms("slow slow SLOW 42 x"), ["slow"]);
        assert!(terms("").is_empty());
    }

    /// A naive reference: split on anything that is not a letter, digit or
    /// apostrophe, then the same filters.
    fn naive(text: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for w in text.split(|c: char| !(c.is_alphanumeric() || c == '\'')) {
            let w = w.to_lowercase();
            if w.chars().filter(|c| c.is_alphabetic()).count() >= 2
                && !STOP_WORDS.contains(&w)
                && !out.contains(&w)
            {
                out.push(w);
            }
        }
        out
    }

    proptest! {
        // Plain words separated by spaces and punctuation: UAX #29 and a
        // split on non-letters agree.
        #[test]
        fn agrees_with_a_naive_split_on_plain_words(
            words in prop::collection::vec("[a-zA-Zżółćęśąźń]{1,8}|[а-яА-Я]{1,8}", 0..12),
            seps in prop::collection::vec(" |, |; |! |\\. ", 12),
        ) {
            let text: String = words
                .iter()
                .zip(&seps)
                .map(|(w, s)| format!("{w}{s}"))
                .collect();
            prop_assert_eq!(terms(&text), naive(&text));
        }
    }
}
