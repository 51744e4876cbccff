"""Core tables: submissions, files, pages, OCR output, documents, fields, findings, events."""

VERSION = 1

SQL = """
CREATE TABLE submissions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    source_path TEXT,
    received_at TEXT NOT NULL,
    as_of TEXT,
    packet TEXT NOT NULL DEFAULT 'unknown',
    status TEXT NOT NULL DEFAULT 'processing',
    voucher_amount TEXT,
    organization TEXT,
    uscc TEXT,
    year INTEGER,
    finding_count INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1,
    decision TEXT,
    decided_by TEXT,
    decided_at TEXT,
    decision_comment TEXT,
    updated_at TEXT
);
CREATE INDEX idx_submissions_status ON submissions(status, received_at);
CREATE INDEX idx_submissions_uscc ON submissions(uscc, year);

CREATE TABLE files (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER REFERENCES submissions(id),
    name TEXT NOT NULL,
    sha256 TEXT,
    ext TEXT,
    size INTEGER,
    archive_path TEXT,
    status TEXT NOT NULL,
    duplicate_of INTEGER REFERENCES files(id),
    reason TEXT,
    error TEXT,
    quarantine_path TEXT,
    page_count INTEGER,
    received_at TEXT NOT NULL,
    processed_at TEXT
);
CREATE INDEX idx_files_sha ON files(sha256);
CREATE INDEX idx_files_submission ON files(submission_id);
CREATE INDEX idx_files_status ON files(status);

CREATE TABLE pages (
    id INTEGER PRIMARY KEY,
    file_id INTEGER NOT NULL REFERENCES files(id),
    number INTEGER NOT NULL,
    width INTEGER, height INTEGER, dpi INTEGER,
    source TEXT, engine TEXT, rotation INTEGER,
    image_path TEXT, image_sha256 TEXT,
    text TEXT,
    UNIQUE(file_id, number)
);

CREATE TABLE ocr_lines (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    idx INTEGER NOT NULL,
    text TEXT,
    x0 INTEGER, y0 INTEGER, x1 INTEGER, y1 INTEGER,
    confidence REAL
);
CREATE INDEX idx_ocr_lines_page ON ocr_lines(page_id);

CREATE TABLE ocr_words (
    id INTEGER PRIMARY KEY,
    page_id INTEGER NOT NULL REFERENCES pages(id),
    line_idx INTEGER NOT NULL,
    text TEXT,
    x0 INTEGER, y0 INTEGER, x1 INTEGER, y1 INTEGER,
    confidence REAL
);
CREATE INDEX idx_ocr_words_page ON ocr_words(page_id);

CREATE TABLE documents (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    file_id INTEGER NOT NULL REFERENCES files(id),
    idx INTEGER NOT NULL,
    type TEXT NOT NULL,
    pages TEXT NOT NULL,
    confidence REAL,
    seals TEXT,
    signatures TEXT
);
CREATE INDEX idx_documents_submission ON documents(submission_id);

CREATE TABLE fields (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id),
    key TEXT NOT NULL,
    value TEXT,
    value_json TEXT,
    confidence REAL,
    page INTEGER,
    x0 INTEGER, y0 INTEGER, x1 INTEGER, y1 INTEGER,
    strategy TEXT, raw TEXT, label TEXT,
    source TEXT NOT NULL DEFAULT 'extractor',
    updated_by TEXT,
    updated_at TEXT,
    UNIQUE(document_id, key)
);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submissions(id),
    document_id INTEGER REFERENCES documents(id),
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    message TEXT NOT NULL,
    fields TEXT,
    documents TEXT,
    source TEXT,
    evidence TEXT,
    created_at TEXT
);
CREATE INDEX idx_findings_submission ON findings(submission_id);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    submission_id INTEGER,
    file_id INTEGER,
    kind TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX idx_events_file ON events(file_id);

CREATE TABLE ocr_cache (
    key TEXT PRIMARY KEY,
    engine TEXT,
    rotation INTEGER,
    lines TEXT NOT NULL,
    created_at TEXT
);
"""


def up(db):
    from . import run_script

    run_script(db, SQL)
