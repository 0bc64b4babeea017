-- Included by the scenario regression files: a fresh extension, UTC and a
-- fixed ledger clock (superuser-only credit_ledger.clock moves time).
SET client_min_messages = warning;
CREATE EXTENSION credit_ledger;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET credit_ledger.clock = '2026-03-01 12:00:00+00';
