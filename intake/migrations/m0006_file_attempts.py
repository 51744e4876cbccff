"""Files count their processing attempts and carry a note.

`attempts`: incremented (and committed) before each try to load, read and extract a
file, so a file that crashes the process is counted too; past the limit it is
quarantined instead of retried forever. `note`: something staff should know about a
file that was read anyway (e.g. a JPEG saved with a `.png` name).
"""

VERSION = 6


def up(db):
    cols = {r[1] for r in db.conn.execute("PRAGMA table_info(files)")}
    if "attempts" not in cols:
        db.conn.execute("ALTER TABLE files ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0")
    if "note" not in cols:
        db.conn.execute("ALTER TABLE files ADD COLUMN note TEXT")
