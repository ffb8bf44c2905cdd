// SPDX-License-Identifier: MIT
#include "core/jsontext.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonParseError>

#include <algorithm>
#include <cmath>

namespace voxtrack::json {

QString quoted(QStringView text)
{
    if (text.size() <= quoteLimit)
        return u'"' + text.toString() + u'"';
    return u'"' + text.left(quoteLimit).toString() + QChar(0x2026) + u'"';
}

QString oneLine(QStringView text, qsizetype limit)
{
    QString line = text.toString().simplified();
    if (line.size() <= limit)
        return line;
    qsizetype keep = std::max<qsizetype>(limit - 1, 0);
    if (keep > 0 && line.at(keep - 1).isHighSurrogate())
        --keep;
    return line.left(keep) + QChar(0x2026);
}

QString describeValue(const QJsonValue& value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double number = value.toDouble();
        if (number == std::floor(number) && std::abs(number) < 1e15)
            return QString::number(static_cast<qint64>(number));
        return QString::number(number);
    }
    case QJsonValue::String: {
        const QString text = value.toString();
        if (text.isEmpty())
            return QCoreApplication::translate("voxtrack::json", "an empty string");
        if (text.size() > quoteLimit)
            return QCoreApplication::translate("voxtrack::json", "%1 (%2 characters)")
                .arg(quoted(text))
                .arg(text.size());
        return quoted(text);
    }
    case QJsonValue::Array:
        return QCoreApplication::translate("voxtrack::json", "an array");
    case QJsonValue::Object:
        return QCoreApplication::translate("voxtrack::json", "an object");
    case QJsonValue::Undefined:
        break;
    }
    return QCoreApplication::translate("voxtrack::json", "nothing");
}

bool DocumentReader::fail(const QString& message)
{
    if (error.isNull())
        error = Error {m_code, message};
    return false;
}

bool DocumentReader::failMissing(const QString& path, const QString& expectation)
{
    return fail(
        QCoreApplication::translate("voxtrack::json", "%1: the key is missing: add it as %2.").arg(path, expectation));
}

bool DocumentReader::failType(const QString& path, const QString& expectation, const QJsonValue& value)
{
    return fail(QCoreApplication::translate("voxtrack::json", "%1: expected %2, not %3: fix the value.")
                    .arg(path, expectation, describeValue(value)));
}

bool DocumentReader::checkKeys(const QJsonObject& object, const QString& path, const QStringList& known)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key().startsWith(u'_') || known.contains(it.key()))
            continue;
        const QString keyPath = path.isEmpty() ? it.key() : path + u'.' + it.key();
        return fail(QCoreApplication::translate(
            "voxtrack::json", "%1: the key is not known: use one of %2 (keys starting with \"_\" are comments).")
                        .arg(keyPath, known.join(QStringLiteral(", "))));
    }
    return true;
}

std::optional<QString> DocumentReader::string(
    const QJsonValue& value, const QString& path, bool required, bool nonEmpty)
{
    const QString expectation = nonEmpty ? QCoreApplication::translate("voxtrack::json", "a non-empty string")
                                         : QCoreApplication::translate("voxtrack::json", "a string");
    if (isAbsent(value)) {
        if (required) {
            failMissing(path, expectation);
            return std::nullopt;
        }
        return QString();
    }
    if (!value.isString() || (nonEmpty && value.toString().isEmpty())) {
        failType(path, expectation, value);
        return std::nullopt;
    }
    return value.toString();
}

std::optional<bool> DocumentReader::boolean(const QJsonValue& value, const QString& path)
{
    if (isAbsent(value))
        return false;
    if (!value.isBool()) {
        failType(path, QCoreApplication::translate("voxtrack::json", "true or false"), value);
        return std::nullopt;
    }
    return value.toBool();
}

std::optional<QJsonObject> DocumentReader::parseObject(
    QByteArrayView json, const QString& notJson, const QString& notObject)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(json.toByteArray(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        fail(notJson.arg(parseError.errorString()).arg(parseError.offset));
        return std::nullopt;
    }
    if (!document.isObject()) {
        fail(notObject);
        return std::nullopt;
    }
    return document.object();
}

bool DocumentReader::versionOne(const QJsonObject& root, const QString& unsupported)
{
    const QJsonValue version = root.value(QStringLiteral("version"));
    if (isAbsent(version))
        return failMissing(QStringLiteral("version"), QCoreApplication::translate("voxtrack::json", "the number 1"));
    if (!version.isDouble() || version.toDouble() != 1)
        return fail(unsupported.arg(describeValue(version)));
    return true;
}

} // namespace voxtrack::json
