-- Included by the pgTAP regression files: quiet, unaligned TAP output, a fresh
-- extension, UTC and a fixed ledger clock.
\set ECHO none
\set QUIET 1
\pset format unaligned
\pset tuples_only true
\pset pager off
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION credit_ledger;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
SET credit_ledger.clock = '2026-03-01 12:00:00+00';
