// SPDX-License-Identifier: MIT
#include "core/jsontext.h"

#include <QCoreApplication>

#include <cmath>

namespace voxtrack::json {

QString quoted(QStringView text)
{
    if (text.size() <= quoteLimit)
        return u'"' + text.toString() + u'"';
    return u'"' + text.left(quoteLimit).toString() + QChar(0x2026) + u'"';
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

} // namespace voxtrack::json
