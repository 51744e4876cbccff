"""Reference lists and the yearly voucher budget (contract section 4, 细则 第四、六、十五、十八条).

- `reference_lists`: the organizations of one list `kind` (`provincial_subsidy`: clients that
  already received the provincial subsidy; `platform_members`: registered members of the
  sharing platform; `user_category`: 规上工业企业, 高新技术企业, 科技型中小企业, 创新创业团队),
  by USCC and/or name, for a `year` (NULL: any year). An import replaces the kind's rows.
- `reference_list_imports`: which kinds were imported, when, from what file. A list-based rule
  applies only once its kind has a row here, so a never-imported list never fires.
- `voucher_budgets`: the year's total voucher budget published by the bureau (money string).
"""

from . import run_script

VERSION = 9

SQL = """
CREATE TABLE IF NOT EXISTS reference_lists (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    uscc TEXT,
    name TEXT,
    year INTEGER,
    CHECK (uscc IS NOT NULL OR name IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS reference_lists_kind ON reference_lists (kind, uscc);
CREATE TABLE IF NOT EXISTS reference_list_imports (
    kind TEXT PRIMARY KEY,
    imported_at TEXT NOT NULL,
    source TEXT,
    rows INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS voucher_budgets (
    year INTEGER PRIMARY KEY,
    amount TEXT NOT NULL,
    set_at TEXT NOT NULL
)
"""


def up(db):
    run_script(db, SQL)
