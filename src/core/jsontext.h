// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QString>
#include <QStringList>
#include <QStringView>

#include <optional>

/// How error sentences quote what they were given: the protocol codec, the rules loader and
/// the scenario reader all speak of JSON values the same way.
namespace voxtrack::json {

/// Quoted values are cut short after this many characters, with "…".
inline constexpr qsizetype quoteLimit = 40;

/// "text" in double quotes, cut short past quoteLimit.
[[nodiscard]] QString quoted(QStringView text);

/// text on one line (each run of white space, line breaks included, becomes one space), at most
/// limit characters, the cut marked with "…" and never splitting a surrogate pair.
[[nodiscard]] QString oneLine(QStringView text, qsizetype limit);

/// A JSON value as a sentence mentions it: 42, true, null, "abc", an empty string, an array…
[[nodiscard]] QString describeValue(const QJsonValue& value);

/// Absent or null: how optional fields are read.
[[nodiscard]] inline bool isAbsent(const QJsonValue& value)
{
    return value.isUndefined() || value.isNull();
}

/// Reads a JSON document written by a person (a scenario, agent rules), keeping the first mistake
/// as an Error whose sentence starts with the JSON path ("turns[2].say: expected a string, not 42:
/// fix the value."). Readers of particular formats derive from it and add their own fields.
class DocumentReader {
public:
    explicit DocumentReader(QString code)
        : m_code(std::move(code))
    {
    }

    Error error; ///< the first mistake; null while there is none

    /// Keeps message as the error unless there is one already; returns false for `return fail(…)`.
    bool fail(const QString& message);
    bool failAt(const QString& path, const QString& sentence) { return fail(path + QStringLiteral(": ") + sentence); }
    bool failMissing(const QString& path, const QString& expectation);
    bool failType(const QString& path, const QString& expectation, const QJsonValue& value);
    /// Refuses keys outside `known`; keys starting with "_" are comments.
    bool checkKeys(const QJsonObject& object, const QString& path, const QStringList& known);
    /// A string; absent and not required gives an empty one.
    std::optional<QString> string(const QJsonValue& value, const QString& path, bool required, bool nonEmpty);
    /// true or false; absent gives false.
    std::optional<bool> boolean(const QJsonValue& value, const QString& path);
    /// The document's top-level object. notJson takes %1 (the parser's words) and %2 (the byte
    /// offset); notObject is the sentence for any other top-level value.
    std::optional<QJsonObject> parseObject(QByteArrayView json, const QString& notJson, const QString& notObject);
    /// "version" must be present and the number 1; unsupported takes %1 (the value found).
    bool versionOne(const QJsonObject& root, const QString& unsupported);

private:
    QString m_code;
};

} // namespace voxtrack::json
