// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonValue>
#include <QString>
#include <QStringView>

/// How error sentences quote what they were given: the protocol codec, the rules loader and
/// the scenario reader all speak of JSON values the same way.
namespace voxtrack::json {

/// Quoted values are cut short after this many characters, with "…".
inline constexpr qsizetype quoteLimit = 40;

/// "text" in double quotes, cut short past quoteLimit.
[[nodiscard]] QString quoted(QStringView text);

/// A JSON value as a sentence mentions it: 42, true, null, "abc", an empty string, an array…
[[nodiscard]] QString describeValue(const QJsonValue& value);

/// Absent or null: how optional fields are read.
[[nodiscard]] inline bool isAbsent(const QJsonValue& value)
{
    return value.isUndefined() || value.isNull();
}

} // namespace voxtrack::json
