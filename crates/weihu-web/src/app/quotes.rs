//! A quote for a prospective client from its inventory: the application scale, the recommended
//! model and the monthly price under each model from the provider's price list.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use weihu_store::assets::{self, ClientScale};
use weihu_store::catalog;
use weihu_store::{Actor, Store, StoreError};

use crate::error::ApiError;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct QuoteRequest {
    /// The prospective client.
    pub prospect_name: String,
    /// Devices by asset type code, e.g. {"desktop": 40, "server": 2}.
    pub inventory: BTreeMap<String, u32>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteOut {
    pub prospect_name: String,
    #[schema(value_type = Object)]
    pub scale: ClientScale,
    pub recommended_model: String,
    pub residents_needed: u32,
    #[schema(value_type = Vec<Object>)]
    pub options: Vec<weihu_domain::scale::QuoteOption>,
}

pub async fn make_quote(
    store: &Store,
    actor: &Actor,
    r: &QuoteRequest,
) -> Result<QuoteOut, ApiError> {
    if actor.is_client() {
        return Err(ApiError::Store(StoreError::Forbidden(
            "quotes are made by the provider",
        )));
    }
    let name = r.prospect_name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::Store(StoreError::invalid(
            "prospect_name",
            "is required (at most 200 characters)",
        )));
    }
    if r.inventory.values().all(|n| *n == 0) {
        return Err(ApiError::Store(StoreError::invalid(
            "inventory",
            "count at least one device",
        )));
    }
    let known = assets::types(store).await?;
    let inv = assets::inventory(&r.inventory, &known)?;
    let list = catalog::price_list(store).await?;
    let q = weihu_domain::scale::quote(&list, &inv);
    Ok(QuoteOut {
        prospect_name: name.to_owned(),
        scale: assets::scale_of(0, &inv),
        recommended_model: q.recommended.model().into(),
        residents_needed: q.residents,
        options: q.options,
    })
}
