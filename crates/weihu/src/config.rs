//! Configuration: flags over `WEIHU_*` environment variables (both handled by clap) over
//! `weihu.toml` over defaults.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The settings file. Every key is optional; see `weihu --help` for their meaning.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub bind: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub secure_cookies: Option<bool>,
    pub log_format: Option<String>,
}

impl FileConfig {
    /// Reads `path` if given (it must exist), else `./weihu.toml` if present.
    pub fn load(path: Option<&Path>) -> Result<FileConfig, String> {
        let (path, required) = match path {
            Some(p) => (p.to_path_buf(), true),
            None => (PathBuf::from("weihu.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display())),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok(FileConfig::default())
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }
}

/// The effective settings after layering.
#[derive(Debug, Clone)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub secure_cookies: bool,
    pub log_format: String,
}

pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "data";

impl Settings {
    pub fn resolve(common: &crate::cli::Common, file: FileConfig) -> Settings {
        let data_dir = common
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = common
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| weihu_store::Store::sqlite_url_for_dir(&data_dir));
        Settings {
            // `weihu serve --bind` and `--secure-cookies` override these two.
            bind: file.bind.unwrap_or_else(|| DEFAULT_BIND.into()),
            data_dir,
            database_url,
            secure_cookies: file.secure_cookies.unwrap_or(false),
            log_format: common
                .log_format
                .clone()
                .or(file.log_format)
                .unwrap_or_else(|| "text".into()),
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_file_and_file_over_defaults() {
        let file: FileConfig =
            toml::from_str("bind = \"0.0.0.0:9000\"\ndata_dir = \"/srv/weihu\"").expect("toml");
        let mut common = crate::cli::Common::default();
        let s = Settings::resolve(&common, file);
        assert_eq!(s.bind, "0.0.0.0:9000");
        assert!(s.database_url.ends_with("/srv/weihu/weihu.db"));
        let s = Settings::resolve(&common, FileConfig::default());
        assert_eq!(s.bind, DEFAULT_BIND);
        assert_eq!(s.data_dir, PathBuf::from(DEFAULT_DATA_DIR));
        common.data_dir = Some(PathBuf::from("/tmp/weihu-flag"));
        let file: FileConfig = toml::from_str("data_dir = \"/srv/weihu\"").expect("toml");
        let s = Settings::resolve(&common, file);
        assert_eq!(
            s.data_dir,
            PathBuf::from("/tmp/weihu-flag"),
            "the flag wins"
        );
        assert!(
            toml::from_str::<FileConfig>("bnd = 1").is_err(),
            "unknown keys are errors"
        );
    }
}
