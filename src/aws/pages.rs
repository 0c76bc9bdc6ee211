//! Every page of a paginated list API.

use super::AwsError;

/// Every page: `fetch` gets the page of a token and returns its items and
/// the next token (absent or empty on the last page).
pub async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, AwsError>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), AwsError>>,
{
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let (items, next) = fetch(token.take()).await?;
        out.extend(items);
        match next.filter(|t| !t.is_empty()) {
            Some(t) => token = Some(t),
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
}
