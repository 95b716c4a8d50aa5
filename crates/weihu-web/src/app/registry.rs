//! The device registry's files: reading an uploaded sheet, running an import (preview, all or
//! nothing, valid rows only), and the export as CSV or Excel.

use axum::response::Response;
use weihu_store::assets::{self, AssetFilter, ImportPlan};
use weihu_store::{Actor, Store, StoreError};

use crate::error::{ApiError, ApiResult};

/// Parses an uploaded file (within the limits of `weihu-sheets`), naming the problem on the
/// `file` field. Call it only after [`assets::import_target`] has passed.
pub async fn read_sheet(bytes: Vec<u8>, name: String) -> Result<weihu_sheets::Table, ApiError> {
    crate::sheets::read_upload(bytes, name).await
}

pub async fn run_import(
    store: &Store,
    actor: &Actor,
    client: Option<i64>,
    table: &weihu_sheets::Table,
    mode: Option<&str>,
) -> Result<ImportPlan, ApiError> {
    Ok(match mode.unwrap_or("preview") {
        "preview" => assets::plan_import(store, actor, client, table).await?,
        "apply" => assets::apply_import(store, actor, client, table, false).await?,
        "apply_valid" => assets::apply_import(store, actor, client, table, true).await?,
        _ => {
            return Err(ApiError::Store(StoreError::invalid(
                "mode",
                "must be preview, apply or apply_valid",
            )));
        }
    })
}

pub async fn export_response(
    store: &Store,
    actor: &Actor,
    filter: &AssetFilter,
    format: Option<&str>,
) -> ApiResult<Response> {
    let table = assets::export_table(store, actor, filter).await?;
    crate::sheets::download(&table, "assets", format)
}
