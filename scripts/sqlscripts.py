#!/usr/bin/env python3
"""Builds the upgrade script in development from the current definition, and
freezes a release. No dependency beyond python3.

sql/credit_ledger.sql defines the current version, in one file. The upgrade
script to it (sql/credit_ledger--X--Y.sql, Y the control file's
default_version) does not copy what it changes: in it, a line

    #current credit_ledger.grant_access

stands for the statement that creates that object in sql/credit_ledger.sql
(named exactly as written there, schema included: @extschema@.credit_grant,
credit_ledger.events, grants_open_idx) and the COMMENT ON statements on it
and its columns there. A function, procedure or view comes out as CREATE OR
REPLACE, so the same line serves a new object and a changed one; anything
else (a new table, type, index) comes out as written. Lines starting with
"# " are notes for developers, left out of the build. Every other line is
copied as it is: what only an upgrade does (ALTER TABLE, filling a new
column, REVOKE on a new function, keeping existing grants) is written there.

    python3 scripts/sqlscripts.py expand sql/credit_ledger--1.1--1.2.sql
        prints the script to install (the Makefile builds
        build/sql/credit_ledger--1.1--1.2.sql with it)

    python3 scripts/sqlscripts.py freeze 1.3      (make freeze NEXT=1.3)
        releases the current version Y: writes the expanded upgrade script
        over its source, copies sql/credit_ledger.sql to
        sql/credit_ledger--Y.sql, sets default_version to 1.3 and starts
        sql/credit_ledger--Y--1.3.sql with the same notes. Those released
        files are then installed as they are and never edited again.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CURRENT = ROOT / "sql" / "credit_ledger.sql"
CONTROL = ROOT / "credit_ledger.control"

DIRECTIVE = re.compile(r"#current\s+(\S+)\s*$")
NOTE = re.compile(r"#(\s|$)")
CREATE = re.compile(
    r"CREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?"
    r"(FUNCTION|PROCEDURE|VIEW|TYPE|TABLE|INDEX|SEQUENCE|TRIGGER|SCHEMA)\s+"
    r"(\S+?)(?=[\s(;]|$)",
    re.IGNORECASE)
COMMENT_ON = re.compile(r"COMMENT\s+ON\s+([A-Z]+)\s+(\S+?)(?=\(|\s+IS\b)",
                        re.IGNORECASE)
REPLACEABLE = {"FUNCTION", "PROCEDURE", "VIEW"}
DOLLAR_TAG = re.compile(r"\$[A-Za-z_][A-Za-z_0-9]*\$|\$\$")


class Error(Exception):
    pass


def statements(text):
    """Yields the top-level statements of an SQL script as (start, end)
    offsets, from the first character after the previous statement's line to
    the end of the line holding its closing semicolon. Knows comments,
    quoted strings and identifiers, and dollar quotes."""
    i, start, n = 0, 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("--", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            i = text.find("*/", i + 2)
            if i < 0:
                raise Error("unterminated /* comment")
            i += 2
        elif c in "'\"":
            i = text.find(c, i + 1)
            if i < 0:
                raise Error(f"unterminated {c} quote")
            i += 1
        elif c == "$" and (m := DOLLAR_TAG.match(text, i)) and \
                (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            close = text.find(m.group(0), m.end())
            if close < 0:
                raise Error(f"unterminated {m.group(0)} quote")
            i = close + len(m.group(0))
        elif c == ";":
            eol = text.find("\n", i)
            end = n if eol < 0 else eol + 1
            yield start, end
            start = i = end
        else:
            i += 1


def code_start(stmt):
    """Offset of the statement's first keyword: after the blank lines,
    comments and the \\echo guard line that precede it."""
    i = 0
    while True:
        while i < len(stmt) and stmt[i].isspace():
            i += 1
        if stmt.startswith("--", i) or stmt.startswith("\\", i):
            i = stmt.find("\n", i)
            if i < 0:
                return len(stmt)
        else:
            return i


def definition(name, current):
    """The statement creating `name` in the current definition (as CREATE OR
    REPLACE where the kind allows it) and the COMMENT ON statements for it."""
    creates, comments = [], []
    for start, end in statements(current):
        stmt = current[start:end]
        code = stmt[code_start(stmt):]
        m = CREATE.match(code)
        if m and m.group(2) == name:
            creates.append((m.group(1).upper(), code))
        m = COMMENT_ON.match(code)
        if m:
            # A comment on the object, or on one of its columns.
            kind, target = m.group(1).upper(), m.group(2)
            if (target.rsplit(".", 1)[0] if kind == "COLUMN" else target) == name:
                comments.append(code)
    if len(creates) != 1:
        found = "nothing creates it" if not creates else \
            f"{len(creates)} statements create it (overloads: copy it by hand)"
        raise Error(f"#current {name}: {found} in {CURRENT.relative_to(ROOT)}")
    kind, code = creates[0]
    if kind in REPLACEABLE and not re.match(r"CREATE\s+OR\s+REPLACE\b", code, re.IGNORECASE):
        code = re.sub(r"^CREATE\s+", "CREATE OR REPLACE ", code, count=1, flags=re.IGNORECASE)
    return code + "".join(comments)


def expand(template, current):
    out, after_note = [], False
    for number, line in enumerate(template.splitlines(keepends=True), 1):
        if NOTE.match(line) or (after_note and not line.strip()):
            after_note = bool(NOTE.match(line))
            continue
        after_note = False
        if line.startswith("#"):
            m = DIRECTIVE.match(line)
            if not m:
                raise Error(f"line {number}: expected '#current <name>' or a '# ' note, got: {line.strip()}")
            try:
                out.append(definition(m.group(1), current))
            except Error as e:
                raise Error(f"line {number}: {e}") from None
        else:
            out.append(line)
    return "".join(out)


def default_version():
    m = re.search(r"^default_version = '(.*)'$", CONTROL.read_text(), re.MULTILINE)
    if not m:
        raise Error(f"no default_version in {CONTROL.name}")
    return m.group(1)


def freeze(next_version):
    version = default_version()
    def number(v):
        return tuple(int(part) for part in v.split("."))
    if not re.fullmatch(r"\d+(\.\d+)+", next_version) or number(next_version) <= number(version):
        raise Error(f"the next version must be a version number after {version}, not {next_version!r}")
    sql = ROOT / "sql"
    full = sql / f"credit_ledger--{version}.sql"
    upgrades = sorted(sql.glob(f"credit_ledger--*--{version}.sql"))
    if full.exists():
        raise Error(f"{full.relative_to(ROOT)} exists: {version} is frozen already")
    if len(upgrades) != 1:
        raise Error(f"expected one sql/credit_ledger--*--{version}.sql, found {len(upgrades)}")
    upgrade = upgrades[0]
    current = CURRENT.read_text()
    template = upgrade.read_text()
    notes = [line for line in template.splitlines(keepends=True) if NOTE.match(line)]
    upgrade.write_text(expand(template, current))
    full.write_text(current)
    control = CONTROL.read_text().replace(
        f"default_version = '{version}'", f"default_version = '{next_version}'")
    CONTROL.write_text(control)
    following = sql / f"credit_ledger--{version}--{next_version}.sql"
    following.write_text(
        f"\\echo Use \"ALTER EXTENSION credit_ledger UPDATE TO '{next_version}'\" to load this file. \\quit\n"
        "\n" + "".join(notes) + "\n"
        f"-- credit_ledger {version} -> {next_version}. Each change below says why.\n")
    for path in (upgrade, full, CONTROL, following):
        print(f"wrote {path.relative_to(ROOT)}")


def main(argv):
    try:
        if len(argv) == 3 and argv[1] == "expand":
            sys.stdout.write(expand(pathlib.Path(argv[2]).read_text(), CURRENT.read_text()))
        elif len(argv) == 3 and argv[1] == "freeze":
            freeze(argv[2])
        else:
            sys.stderr.write(__doc__)
            return 2
    except Error as e:
        sys.stderr.write(f"{argv[0]}: {e}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
