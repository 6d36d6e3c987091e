#!/usr/bin/env python3
"""Writes N sqlx-style PostgreSQL migration files (default 2000) into OUT_DIR.

Each file has 6-10 statements mixing what migration linters look at: CREATE TABLE, indexes with
and without CONCURRENTLY, ADD COLUMN with and without defaults, constraints with and without
NOT VALID, a $$ function body, comments. Deterministic (seeded), so runs are comparable.
"""
import os
import random
import sys

def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    os.makedirs(out, exist_ok=True)
    rnd = random.Random(42)
    for i in range(1, n + 1):
        t = f"t{i}"
        prev = f"t{max(1, i - 1)}"
        stmts = [
            f"-- migration {i}: table {t}",
            "SET lock_timeout = '5s';" if rnd.random() < 0.5 else "",
            f"CREATE TABLE {t} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());",
            f"CREATE INDEX {t}_name ON {t} (name);",
            f"ALTER TABLE {prev} ADD COLUMN c{i} integer;",
            f"ALTER TABLE {prev} ADD COLUMN d{i} text NOT NULL DEFAULT '';" if rnd.random() < 0.5
            else f"ALTER TABLE {prev} ADD COLUMN d{i} text NOT NULL;",
            f"CREATE INDEX {prev}_c{i} ON {prev} (c{i});" if rnd.random() < 0.5
            else f"CREATE INDEX CONCURRENTLY {prev}_c{i} ON {prev} (c{i});",
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_name_len CHECK (length(name) < 200) NOT VALID;",
            f"ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY (id) REFERENCES {prev} (id);" if rnd.random() < 0.3 else "",
            f"CREATE FUNCTION f{i}() RETURNS bigint AS $$ SELECT count(*) FROM {t}; $$ LANGUAGE sql STABLE;",
            f"UPDATE {prev} SET c{i} = 0 WHERE c{i} IS NULL;",
        ]
        body = "\n".join(s for s in stmts if s) + "\n"
        with open(os.path.join(out, f"{i:06d}_migration_{i}.sql"), "w") as f:
            f.write(body)

if __name__ == "__main__":
    main()
