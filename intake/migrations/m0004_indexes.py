"""Index documents by file.

Without it, three queries scan the whole `documents` table (found by bench/scale.py's query plans
at 10,000 submissions / 40,000 documents):

- `review.service.personal_boxes` (every page image a viewer opens: pages → documents ON file_id),
  ~2 ms per request at 40,000 documents, growing linearly; 0.02 ms with the index;
- `intake.pipeline._copy_duplicates` / `_doc_file_id` (`documents WHERE file_id = ?`) for each duplicate file;
- Datasette's "links from other tables" count on a `files` row page.
"""

VERSION = 4


def up(db):
    db.conn.execute("CREATE INDEX IF NOT EXISTS idx_documents_file ON documents(file_id)")
