\echo Use "ALTER EXTENSION credit_ledger UPDATE TO '1.2'" to load this file. \quit

-- credit_ledger 1.1 -> 1.2. Each change below says why; sql/credit_ledger.sql
-- holds the same definitions for a fresh install, and 23_upgrade checks that
-- an upgraded installation has exactly a fresh one's objects.
