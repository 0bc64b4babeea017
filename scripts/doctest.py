#!/usr/bin/env python3
"""The README's doc test: what a newcomer pastes from README.md works.

Runs against the server the PG* environment variables name (a superuser:
the tour moves the ledger's clock), with credit_ledger installed there:

    python3 scripts/doctest.py            # check, print a diff on mismatch
    python3 scripts/doctest.py --update   # rewrite the README's transcripts
                                          # from the real output (read the
                                          # diff first: git diff README.md)

Each fenced block of README.md is one of:

  * a transcript, announced by the line  <!-- doctest: output of FILE -->
    just before it: FILE is run with `psql -X -a -q < FILE` (echo every input
    line, no command tags; errors included) in a fresh database where
    CREATE EXTENSION credit_ledger has run, and the block must equal what it
    prints, line by line (trailing blanks ignored, so the README carries
    none). This is how the five-minute tour (examples/walkthrough.sql) is
    checked.
  * a ```sql block meant to be pasted: it is run after the transcripts, in
    the same database (so `acme` has the tour's wallet), in a transaction
    that is rolled back, after a set-up that creates the roles the README's
    examples name (SETUP below); it fails on any error.
  * a block announced by  <!-- doctest: skip (why) -->  (a fragment with
    placeholders, or one that needs pg_cron in its own database): not run.

Other blocks (sh, python, js, the layout) are not run here. Ends with
"N passed, N failed, N skipped"; exits non-zero on any failure or when the
README holds no transcript at all.
"""
import difflib
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DATABASE = "credit_ledger_doctest"
OUTDIR = ROOT / "build" / "doctest"

# Roles the README's examples grant to; created inside each block's
# transaction (so rolled back with it) unless they already exist.
SETUP = """\
DO $$
DECLARE r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['app', 'finance'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I', r);
    END IF;
  END LOOP;
END $$;
"""

DIRECTIVE = re.compile(r"^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$")
FENCE_OPEN = re.compile(r"^(\s*)```(\S*)\s*$")


class Block:
    def __init__(self, line, lang, indent, start, end, body, directive):
        self.line = line  # 1-based line number of the opening fence
        self.lang = lang
        self.indent = indent
        self.start = start  # index of the first body line in the file's lines
        self.end = end  # index of the closing fence
        self.body = body
        self.directive = directive


def blocks(lines):
    """The fenced blocks of a Markdown file, with the doctest directive (if
    any) on the last non-blank line before each."""
    found = []
    i = 0
    directive = None
    while i < len(lines):
        d = DIRECTIVE.match(lines[i])
        if d:
            directive = d.group(1)
            i += 1
            continue
        m = FENCE_OPEN.match(lines[i])
        if not m:
            if lines[i].strip():
                directive = None
            i += 1
            continue
        indent, lang = m.group(1), m.group(2)
        j = i + 1
        while j < len(lines) and lines[j].strip() != "```":
            j += 1
        if j == len(lines):
            sys.exit(f"README.md:{i + 1}: fence never closed")
        body = [l[len(indent):] if l.startswith(indent) else l.lstrip()
                for l in lines[i + 1:j]]
        found.append(Block(i + 1, lang, indent, i + 1, j, body, directive))
        directive = None
        i = j + 1
    return found


def env():
    """psql's environment: no settings that would change how output reads."""
    e = dict(os.environ, LC_ALL="C", LANG="C", PGDATABASE=DATABASE)
    for var in ("PGTZ", "PGDATESTYLE", "PGOPTIONS", "PSQLRC", "PGCLIENTENCODING"):
        e.pop(var, None)
    e["PGOPTIONS"] = "-c lc_messages=C"
    return e


def psql(args, stdin, database=DATABASE):
    return subprocess.run(["psql", "-X", "-d", database] + args, input=stdin,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, env=env(), cwd=ROOT)


def admin(sql):
    r = psql(["-q", "-v", "ON_ERROR_STOP=1", "-c", sql], None, "postgres")
    if r.returncode != 0:
        sys.exit(f"doctest: cannot run {sql!r}:\n{r.stdout}")


def normalize(text_lines):
    out = [l.rstrip() for l in text_lines]
    while out and out[-1] == "":
        out.pop()
    return out


def run_transcript(b, update, replacements):
    """Runs the file a transcript block names and compares psql's output with
    the block (with --update, queues the real output for the README).
    Returns "passed" or "failed"."""
    source = b.directive[len("output of "):].strip()
    name = f"README.md:{b.line} (output of {source})"
    path = ROOT / source
    if not path.is_file():
        print(f"doctest {name}: FAILED ({source} does not exist)")
        return "failed"
    r = psql(["-a", "-q"], path.read_text())
    actual = normalize(r.stdout.split("\n"))
    (OUTDIR / (Path(source).stem + ".out")).write_text("\n".join(actual) + "\n")
    expected = normalize(b.body)
    if actual == expected:
        print(f"doctest {name}: ok")
        return "passed"
    if update:
        replacements.append((b, actual))
        print(f"doctest {name}: updated from the real output")
        return "passed"
    print(f"doctest {name}: FAILED (the README shows what it does not print)")
    sys.stdout.writelines(difflib.unified_diff(
        [l + "\n" for l in expected], [l + "\n" for l in actual],
        "README.md", f"psql -X -a -q < {source}"))
    return "failed"


def run_example(b):
    """Runs an SQL block after the tour, in a transaction rolled back.
    Returns "passed", "failed", "skipped" or None (not SQL: not a test)."""
    if b.directive and b.directive.startswith("skip"):
        print(f"doctest README.md:{b.line}: {b.directive}")
        return "skipped"
    if b.directive:
        print(f"doctest README.md:{b.line}: FAILED (unknown directive {b.directive!r})")
        return "failed"
    if b.lang != "sql":
        return None
    sql = "\n".join(b.body)
    if re.search(r"^\s*(BEGIN|COMMIT|ROLLBACK|START TRANSACTION)\b", sql, re.I | re.M):
        print(f"doctest README.md:{b.line}: FAILED (controls its own transaction;"
              " make it a transcript or skip it)")
        return "failed"
    r = psql(["-q", "-v", "ON_ERROR_STOP=1", "-o", os.devnull],
             "BEGIN;\n" + SETUP + sql + "\n;\nROLLBACK;\n")
    if r.returncode == 0:
        print(f"doctest README.md:{b.line}: ok")
        return "passed"
    print(f"doctest README.md:{b.line}: FAILED (pasted after the tour, it fails)")
    print(r.stdout.rstrip())
    return "failed"


def main():
    update = "--update" in sys.argv[1:]
    lines = README.read_text().split("\n")
    found = blocks(lines)
    transcripts = [b for b in found if b.directive and b.directive.startswith("output of ")]
    if not transcripts:
        print("doctest: README.md has no '<!-- doctest: output of FILE -->' transcript")
        print("0 passed, 1 failed, 0 skipped")
        return 1

    admin(f"DROP DATABASE IF EXISTS {DATABASE}")
    admin(f"CREATE DATABASE {DATABASE}")
    admin_db = psql(["-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE EXTENSION credit_ledger"], None)
    if admin_db.returncode != 0:
        sys.exit(f"doctest: CREATE EXTENSION credit_ledger failed:\n{admin_db.stdout}")

    OUTDIR.mkdir(parents=True, exist_ok=True)
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    replacements = []
    for b in transcripts:
        counts[run_transcript(b, update, replacements)] += 1
    for b in found:
        if b in transcripts:
            continue
        outcome = run_example(b)
        if outcome:
            counts[outcome] += 1

    if replacements:
        for b, actual in sorted(replacements, key=lambda x: -x[0].start):
            lines[b.start:b.end] = [(b.indent + l) if l else l for l in actual]
        README.write_text("\n".join(lines))

    admin(f"DROP DATABASE IF EXISTS {DATABASE}")
    print(f"{counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    return 1 if counts["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
