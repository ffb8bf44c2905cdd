// SPDX-License-Identifier: MIT
#pragma once

#include <QStringList>

namespace voxtrack::store {

/// Splits an SQL script into statements at top-level semicolons. Understands -- and /* */
/// comments, '…' strings, "…" identifiers, PostgreSQL dollar quoting ($$…$$, $tag$…$tag$)
/// and SQLite trigger bodies (CREATE TRIGGER … BEGIN … END;). Comments are dropped, empty
/// statements skipped. QSQLITE runs only the first statement of a string it is given, so
/// every script goes through this.
[[nodiscard]] QStringList splitSqlScript(const QString& script);

} // namespace voxtrack::store
