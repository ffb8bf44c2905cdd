-- SPDX-License-Identifier: MIT
-- The change feed needs nothing in a SQLite database: a reader polls PRAGMA data_version, which
-- changes whenever another connection commits, and finds new rows by max(id) per table. This
-- version is recorded so that schema version 3 means the same on both backends.
SELECT 1;
