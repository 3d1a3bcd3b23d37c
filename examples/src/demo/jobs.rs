//! `POST /jobs`: a `multipart/form-data` form.

use jero::{contract, endpoint, FilePart};

/// What the job does.
#[contract(input)]
#[serde(rename_all = "kebab-case")]
pub enum JobType {
    /// `export-text`
    ExportText,
    /// `export-images`
    ExportImages,
}

/// The `config` part: JSON.
#[contract(input)]
pub struct JobConfig {
    /// Dots per inch.
    pub dpi: i64,
}

/// The form's parts.
#[contract(input)]
#[serde(rename_all = "camelCase")]
pub struct JobForm {
    /// `export-text` or `export-images`.
    pub job_type: JobType,
    /// How many copies.
    pub count: i64,
    /// A JSON part.
    pub config: JobConfig,
    /// The file to process (a filename is required).
    pub document: FilePart,
    /// Zero or more extra files (`default`: the document lists the part as
    /// optional).
    #[serde(default)]
    pub attachments: Vec<FilePart>,
    /// Optional text.
    pub note: Option<String>,
}

/// What `POST /jobs` answers.
#[contract]
#[serde(rename_all = "camelCase")]
pub struct JobAccepted {
    /// The document's filename.
    pub filename: String,
    /// The document's size in bytes.
    pub size: usize,
    /// How many attachments came with it.
    pub attachment_count: usize,
    /// From `config`.
    pub dpi: i64,
    /// The note, or null.
    pub note: Option<String>,
    /// The document part's content type, or null.
    pub content_type: Option<String>,
}

/// `POST /jobs`
pub struct JobsEndpoint;

#[endpoint(path = "/jobs")]
impl JobsEndpoint {
    /// Queues an export job from a multipart form: a document, its settings and attachments.
    async fn post(&self, form: JobForm) -> JobAccepted {
        let _ = (form.job_type, form.count);
        JobAccepted {
            filename: form.document.filename,
            size: form.document.bytes.len(),
            attachment_count: form.attachments.len(),
            dpi: form.config.dpi,
            note: form.note,
            content_type: form.document.content_type,
        }
    }
}
