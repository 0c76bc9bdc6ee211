//! Every page of a paginated list API.

use super::AwsError;

/// Every page: `fetch` gets the page of a token and returns its items and
/// the next token (absent or empty on the last page). An API handing out a
/// token it handed out before, or the same page again, would be read for
/// ever (a token lost on the way does that): both are errors.
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    T: PartialEq,
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out: Vec<T> = Vec::new();
    let mut token: Option<String> = None;
    let mut seen = std::collections::HashSet::new();
    let mut previous = 0..0;
    loop {
        let (items, next) = fetch(token.clone()).await?;
        let repeated = !items.is_empty() && out[previous.clone()] == items[..];
        previous = out.len()..out.len() + items.len();
        out.extend(items);
        let next = next.filter(|t| !t.is_empty());
        let looping = match &next {
            Some(_) if repeated => Some(format!(
                "answered page token `{}` with the same page again",
                token.as_deref().unwrap_or_default()
            )),
            Some(t) if seen.contains(t) => {
                Some(format!("handed out page token `{t}` a second time"))
            }
            _ => None,
        };
        if let Some(why) = looping {
            return Err(AwsError {
                operation: "pagination",
                code: None,
                message: format!("the API {why}; stopped after {} items", out.len()),
            });
        }
        match next {
            Some(t) => {
                seen.insert(t.clone());
                token = Some(t)
            }
            None => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn follows_tokens_until_the_last_page() {
        let pages = [
            (vec![1, 2], Some("a")),
            (vec![3], Some("")),
            (vec![9], None),
        ];
        let mut seen = Vec::new();
        let items = all_pages(|token| {
            seen.push(token.clone());
            let i = match token.as_deref() {
                None => 0,
                Some("a") => 1,
                Some(t) => panic!("unexpected token {t}"),
            };
            let (items, next) = pages[i].clone();
            async move { Ok((items, next.map(str::to_string))) }
        })
        .await
        .unwrap();
        assert_eq!(items, [1, 2, 3], "an empty token ends the listing");
        assert_eq!(seen, [None, Some("a".to_string())]);
    }

    #[tokio::test]
    async fn a_token_seen_before_is_an_error_not_a_loop() {
        // Pages A → B → A again, each with other items: only the tokens repeat.
        let mut calls = 0;
        let err = all_pages(|token| {
            calls += 1;
            let next = if token.as_deref() == Some("b") {
                "a"
            } else {
                "b"
            };
            let n = calls;
            async move { Ok((vec![n], Some(next.to_string()))) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 3);
        assert_eq!(
            err.to_string(),
            "pagination: the API handed out page token `b` a second time; stopped after 3 items"
        );
    }

    #[tokio::test]
    async fn the_same_page_under_a_new_token_is_an_error_not_a_loop() {
        let mut calls = 0;
        let err = all_pages(|_token| {
            calls += 1;
            let next = format!("fresh-{calls}");
            async move { Ok((vec!["first"], Some(next))) }
        })
        .await
        .unwrap_err();
        assert_eq!(calls, 2);
        assert!(
            err.to_string().contains("with the same page again"),
            "{err}"
        );
        // Empty pages with new tokens are legitimate (filtered listings).
        let mut n = 0;
        let items: Vec<u8> = all_pages(|_token| {
            n += 1;
            let next = (n < 3).then(|| format!("t{n}"));
            async move { Ok((Vec::new(), next)) }
        })
        .await
        .unwrap();
        assert!(items.is_empty());
        assert_eq!(n, 3);
    }
}
