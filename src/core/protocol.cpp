// SPDX-License-Identifier: MIT
#include "core/protocol.h"

#include "core/jsontext.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>

#include <cmath>
#include <limits>
#include <utility>

namespace voxtrack::protocol {

namespace {

using namespace Qt::StringLiterals;

using json::describeValue;
using json::isAbsent;
using json::quoted;
using json::quoteLimit;

/// What a field must hold, described only when a sentence needs it (parsing stays cheap).
enum class Expect {
    Id,
    IdOrNull,
    String,
    StringOrNull,
    NonEmptyString,
    Object,
    Format,
    SampleRate,
    PositiveInteger,
    Count,
    Duration,
    Timestamp,
    Uuid,
    EndReason,
};

QString describe(Expect expect)
{
    switch (expect) {
    case Expect::Id:
        return QCoreApplication::translate(
            "voxtrack::protocol", "a string of 1 to %1 letters, digits, \".\", \"_\", \":\" or \"-\"")
            .arg(maxIdLength);
    case Expect::IdOrNull:
        return QCoreApplication::translate("voxtrack::protocol", "%1 or null").arg(describe(Expect::Id));
    case Expect::String:
        return QCoreApplication::translate("voxtrack::protocol", "a string");
    case Expect::StringOrNull:
        return QCoreApplication::translate("voxtrack::protocol", "a string or null");
    case Expect::NonEmptyString:
        return QCoreApplication::translate("voxtrack::protocol", "a non-empty string");
    case Expect::Object:
        return QCoreApplication::translate("voxtrack::protocol", "a JSON object");
    case Expect::Format:
        return QCoreApplication::translate("voxtrack::protocol", "\"%1\" (16-bit little-endian mono PCM)")
            .arg(pcmS16le);
    case Expect::SampleRate:
        return QCoreApplication::translate("voxtrack::protocol", "an integer from %1 to %2")
            .arg(minSampleRate)
            .arg(maxSampleRate);
    case Expect::PositiveInteger:
        return QCoreApplication::translate("voxtrack::protocol", "an integer of at least 1");
    case Expect::Count:
        return QCoreApplication::translate("voxtrack::protocol", "an integer of at least 0");
    case Expect::Duration:
        return QCoreApplication::translate("voxtrack::protocol", "a number of seconds of at least 0");
    case Expect::Timestamp:
        return QCoreApplication::translate(
            "voxtrack::protocol", "a UTC time with milliseconds such as \"2025-10-18T09:30:00.123Z\"");
    case Expect::Uuid:
        return QCoreApplication::translate(
            "voxtrack::protocol", "a UUID such as \"0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b\"");
    case Expect::EndReason: {
        QStringList names;
        for (EndReason reason :
            {EndReason::ClientClosed, EndReason::Timeout, EndReason::ServerShutdown, EndReason::Recovered})
            names << endReasonName(reason);
        return QCoreApplication::translate("voxtrack::protocol", "one of %1").arg(names.join(u", "_s));
    }
    }
    Q_UNREACHABLE();
    return {};
}

QString clientTypeList()
{
    return QStringList {types::userMessage, types::audioStart, types::audioEnd, types::sessionEnd}.join(u", "_s);
}

QString serverTypeList()
{
    return QStringList {types::sessionStarted, types::messageAck, types::messagePersisted, types::agentMessage,
        types::sessionEnded, types::error}
        .join(u", "_s);
}

constexpr qint64 maxSeq = Q_INT64_C(1) << 53; // exact in a JSON (double) number
constexpr qint64 maxInt = std::numeric_limits<int>::max();

/// Reads the fields of one frame object. Each getter returns the field's value, or a default
/// after recording the frame's first error; later getters then do nothing, so a parser reads
/// its fields in order and checks failed() once.
class Fields {
public:
    Fields(const QJsonObject& object, QLatin1StringView type, QString ref)
        : m_object(object)
        , m_type(type)
    {
        m_error.ref = std::move(ref);
    }

    [[nodiscard]] bool failed() const { return !m_error.isNull(); }
    [[nodiscard]] const ErrorFrame& error() const { return m_error; }

    /// A required id.
    QString id(QLatin1StringView name)
    {
        const QJsonValue value = required(name, Expect::Id);
        QString text = value.toString();
        return check(name, value, Expect::Id, value.isString() && isValidId(text)) ? text : QString();
    }

    /// An id, or empty when absent or null.
    QString optionalId(QLatin1StringView name)
    {
        const QJsonValue value = optional(name);
        QString text = value.toString();
        return check(name, value, Expect::IdOrNull, value.isString() && isValidId(text)) ? text : QString();
    }

    QString string(QLatin1StringView name, Expect expect = Expect::String)
    {
        const QJsonValue value = required(name, expect);
        QString text = value.toString();
        const bool ok = value.isString() && (expect != Expect::NonEmptyString || !text.isEmpty());
        return check(name, value, expect, ok) ? text : QString();
    }

    /// A required string that must be exactly allowed.
    QString keyword(QLatin1StringView name, QLatin1StringView allowed, Expect expect)
    {
        const QJsonValue value = required(name, expect);
        QString text = value.toString();
        return check(name, value, expect, value.isString() && text == allowed) ? text : QString();
    }

    /// A string, or empty when absent or null.
    QString optionalString(QLatin1StringView name)
    {
        const QJsonValue value = optional(name);
        return check(name, value, Expect::StringOrNull, value.isString()) ? value.toString() : QString();
    }

    /// An object, or empty when absent or null.
    QJsonObject optionalObject(QLatin1StringView name)
    {
        const QJsonValue value = optional(name);
        return check(name, value, Expect::Object, value.isObject()) ? value.toObject() : QJsonObject();
    }

    qint64 integer(QLatin1StringView name, qint64 minimum, qint64 maximum, Expect expect)
    {
        const QJsonValue value = required(name, expect);
        const double number = value.toDouble();
        const bool ok = value.isDouble() && number == std::floor(number) && number >= static_cast<double>(minimum)
            && number <= static_cast<double>(maximum);
        return check(name, value, expect, ok) ? static_cast<qint64>(number) : 0;
    }

    double duration(QLatin1StringView name)
    {
        const QJsonValue value = required(name, Expect::Duration);
        return check(name, value, Expect::Duration, value.isDouble() && value.toDouble() >= 0) ? value.toDouble() : 0;
    }

    QDateTime timestamp(QLatin1StringView name)
    {
        const QJsonValue value = required(name, Expect::Timestamp);
        const std::optional<QDateTime> time = value.isString() ? parseTimestamp(value.toString()) : std::nullopt;
        return check(name, value, Expect::Timestamp, time.has_value()) ? *time : QDateTime();
    }

    QUuid uuid(QLatin1StringView name)
    {
        const QJsonValue value = required(name, Expect::Uuid);
        const QUuid uuid = value.isString() ? QUuid::fromString(value.toString()) : QUuid();
        return check(name, value, Expect::Uuid, !uuid.isNull()) ? uuid : QUuid();
    }

    EndReason endReason(QLatin1StringView name)
    {
        const QJsonValue value = required(name, Expect::EndReason);
        const auto reason = parseEndReason(value.toString());
        return check(name, value, Expect::EndReason, value.isString() && reason) ? *reason : EndReason();
    }

    /// "role": absent or null is Role::User. Anything but the three allowed spellings is
    /// role.invalid rather than frame.bad_field, so this common mistake has its own code.
    Role role()
    {
        const QJsonValue value = optional("role"_L1);
        if (failed() || isAbsent(value))
            return Role::User;
        if (!value.isString()) {
            fail(codes::roleInvalid,
                QCoreApplication::translate(
                    "voxtrack::protocol", "The field \"role\" must be a string, not %1: use one of %2.")
                    .arg(describeValue(value), roleNames().join(u", "_s)));
            return Role::User;
        }
        QString text = value.toString();
        if (text.size() > quoteLimit) // quoted cut short, like every other value in a sentence
            text = text.left(quoteLimit) + QChar(0x2026);
        const auto parsed = parseRole(text);
        if (!parsed) {
            fail(codes::roleInvalid, parsed.error().message);
            return Role::User;
        }
        return *parsed;
    }

private:
    /// The field's value; records frame.missing_field when it is absent.
    QJsonValue required(QLatin1StringView name, Expect expect)
    {
        if (failed())
            return {};
        QJsonValue value = m_object.value(name);
        if (value.isUndefined()) {
            fail(codes::frameMissingField,
                QCoreApplication::translate("voxtrack::protocol", "The %1 frame has no \"%2\" field: add it as %3.")
                    .arg(m_type, name, describe(expect)));
        }
        return value;
    }

    /// The field's value, Undefined when absent, null or after an earlier error.
    QJsonValue optional(QLatin1StringView name)
    {
        if (failed())
            return {};
        QJsonValue value = m_object.value(name);
        return value.isNull() ? QJsonValue(QJsonValue::Undefined) : value;
    }

    /// True when the value is usable: ok, and no error so far. An absent optional field
    /// (Undefined) is usable but yields the default. Records frame.bad_field when !ok.
    bool check(QLatin1StringView name, const QJsonValue& value, Expect expect, bool ok)
    {
        if (failed() || value.isUndefined())
            return false;
        if (!ok) {
            fail(codes::frameBadField,
                QCoreApplication::translate(
                    "voxtrack::protocol", "The field \"%1\" of the %2 frame must be %3, not %4.")
                    .arg(name, m_type, describe(expect), describeValue(value)));
        }
        return ok;
    }

    void fail(QLatin1StringView code, QString message)
    {
        m_error.code = code;
        m_error.message = std::move(message);
    }

    const QJsonObject& m_object;
    QLatin1StringView m_type;
    ErrorFrame m_error;
};

/// The frame as a JSON object, or the error frame.not_json / frame.not_object.
bool readObject(QByteArrayView utf8, QJsonObject& object, ErrorFrame& error)
{
    // fromRawData: no copy of the frame; the document copies what it keeps.
    QJsonParseError parseError;
    const QJsonDocument document
        = QJsonDocument::fromJson(QByteArray::fromRawData(utf8.data(), utf8.size()), &parseError);
    if (document.isObject()) {
        object = document.object();
        return true;
    }
    QString what;
    if (document.isArray()) {
        what = describeValue(QJsonValue(QJsonValue::Array));
    } else {
        // QJsonDocument refuses a lone number, string, true, false or null. Tell those apart
        // from broken JSON by parsing them as the one element of an array (on errors only).
        QByteArray wrapped;
        wrapped.reserve(utf8.size() + 2);
        wrapped.append('[').append(utf8).append(']');
        const QJsonDocument scalar = QJsonDocument::fromJson(wrapped);
        if (scalar.isArray() && scalar.array().size() == 1)
            what = describeValue(scalar.array().first());
    }
    if (what.isEmpty()) {
        error = makeError(codes::frameNotJson,
            QCoreApplication::translate("voxtrack::protocol",
                "The frame is not valid JSON (%1 at byte %2): send one UTF-8 JSON object per text frame.")
                .arg(parseError.errorString())
                .arg(parseError.offset));
    } else {
        error = makeError(codes::frameNotObject,
            QCoreApplication::translate("voxtrack::protocol",
                "The frame is %1, not a JSON object: send one object with a \"type\" field per text frame.")
                .arg(what));
    }
    return false;
}

/// The frame's type, or the error frame.type_missing / frame.bad_field.
bool readType(const QJsonObject& object, QString& type, ErrorFrame& error)
{
    const QJsonValue value = object.value("type"_L1);
    if (value.isString() && !value.toString().isEmpty()) {
        type = value.toString();
        return true;
    }
    if (isAbsent(value) || value.isString()) {
        error.code = codes::frameTypeMissing;
        error.message = QCoreApplication::translate(
            "voxtrack::protocol", "The frame has no \"type\": add one such as \"user.message\".");
    } else {
        error.code = codes::frameBadField;
        error.message = QCoreApplication::translate(
            "voxtrack::protocol", "The field \"type\" must be a string such as \"user.message\", not %1.")
                            .arg(describeValue(value));
    }
    return false;
}

ErrorFrame unknownType(const QString& type, const QString& allowed, QString ref)
{
    return makeError(codes::frameUnknownType,
        QCoreApplication::translate("voxtrack::protocol", "The frame type %1 is not known: use one of %2.")
            .arg(quoted(type), allowed),
        std::move(ref));
}

ParsedClientFrame failed(ErrorFrame error)
{
    return {std::nullopt, std::move(error)};
}

template <typename Frame> ParsedClientFrame clientResult(const Fields& fields, Frame&& frame)
{
    if (fields.failed())
        return failed(fields.error());
    return {ClientFrame(std::forward<Frame>(frame)), {}};
}

Error toError(const ErrorFrame& frame)
{
    return Error {frame.code, frame.message};
}

template <typename Frame> Expected<ServerFrame> serverResult(const Fields& fields, Frame&& frame)
{
    if (fields.failed())
        return toError(fields.error());
    return ServerFrame(std::forward<Frame>(frame));
}

// ---- encoding ----

QJsonValue stringOrNull(const QString& text)
{
    return text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

QJsonObject withType(QLatin1StringView type)
{
    QJsonObject object;
    object.insert("type"_L1, type);
    return object;
}

QJsonValue uuidValue(const QUuid& uuid)
{
    return uuid.toString(QUuid::WithoutBraces);
}

QLatin1StringView typeName(const UserMessage&)
{
    return types::userMessage;
}
QLatin1StringView typeName(const AudioStart&)
{
    return types::audioStart;
}
QLatin1StringView typeName(const AudioEnd&)
{
    return types::audioEnd;
}
QLatin1StringView typeName(const SessionEnd&)
{
    return types::sessionEnd;
}
QLatin1StringView typeName(const SessionStarted&)
{
    return types::sessionStarted;
}
QLatin1StringView typeName(const MessageAck&)
{
    return types::messageAck;
}
QLatin1StringView typeName(const MessagePersisted&)
{
    return types::messagePersisted;
}
QLatin1StringView typeName(const AgentMessage&)
{
    return types::agentMessage;
}
QLatin1StringView typeName(const SessionEnded&)
{
    return types::sessionEnded;
}
QLatin1StringView typeName(const ErrorFrame&)
{
    return types::error;
}

QJsonObject toJson(const UserMessage& frame)
{
    QJsonObject object = withType(types::userMessage);
    object.insert("id"_L1, frame.id);
    object.insert("content"_L1, frame.content);
    if (!frame.metadata.isEmpty())
        object.insert("metadata"_L1, frame.metadata);
    if (frame.role != Role::User)
        object.insert("role"_L1, roleName(frame.role));
    return object;
}

QJsonObject toJson(const AudioStart& frame)
{
    QJsonObject object = withType(types::audioStart);
    object.insert("id"_L1, frame.id);
    object.insert("format"_L1, frame.format);
    object.insert("sample_rate"_L1, frame.sampleRate);
    return object;
}

QJsonObject toJson(const AudioEnd& frame)
{
    QJsonObject object = withType(types::audioEnd);
    object.insert("id"_L1, frame.id);
    object.insert("transcript"_L1, frame.transcript);
    return object;
}

QJsonObject toJson(const SessionEnd& frame)
{
    QJsonObject object = withType(types::sessionEnd);
    if (!frame.reason.isEmpty())
        object.insert("reason"_L1, frame.reason);
    return object;
}

QJsonObject toJson(const SessionStarted& frame)
{
    QJsonObject object = withType(types::sessionStarted);
    object.insert("session_id"_L1, frame.sessionId);
    object.insert("user_id"_L1, frame.userId);
    object.insert("started_at"_L1, formatTimestamp(frame.startedAt));
    object.insert("protocol"_L1, frame.protocol);
    return object;
}

QJsonObject toJson(const MessageAck& frame)
{
    QJsonObject object = withType(types::messageAck);
    object.insert("id"_L1, frame.id);
    object.insert("seq"_L1, frame.seq);
    object.insert("message_id"_L1, uuidValue(frame.messageId));
    return object;
}

QJsonObject toJson(const MessagePersisted& frame)
{
    QJsonObject object = withType(types::messagePersisted);
    object.insert("id"_L1, frame.id);
    object.insert("message_id"_L1, uuidValue(frame.messageId));
    return object;
}

QJsonObject toJson(const AgentMessage& frame)
{
    QJsonObject object = withType(types::agentMessage);
    object.insert("id"_L1, frame.id);
    object.insert("content"_L1, frame.content);
    object.insert("audio_url"_L1, stringOrNull(frame.audioUrl));
    object.insert("reply_to"_L1, stringOrNull(frame.replyTo));
    object.insert("seq"_L1, frame.seq);
    object.insert("created_at"_L1, formatTimestamp(frame.createdAt));
    return object;
}

QJsonObject toJson(const SessionEnded& frame)
{
    QJsonObject object = withType(types::sessionEnded);
    object.insert("session_id"_L1, frame.sessionId);
    object.insert("duration_seconds"_L1, frame.durationSeconds);
    object.insert("messages"_L1, frame.messages);
    object.insert("reason"_L1, endReasonName(frame.reason));
    return object;
}

QJsonObject toJson(const ErrorFrame& frame)
{
    QJsonObject object = withType(types::error);
    object.insert("code"_L1, frame.code);
    object.insert("message"_L1, frame.message);
    object.insert("ref"_L1, stringOrNull(frame.ref));
    return object;
}

template <typename Variant> QByteArray encodeVariant(const Variant& frame)
{
    const QJsonObject object = std::visit([](const auto& alternative) { return toJson(alternative); }, frame);
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

// ---- parsing ----

ParsedClientFrame parseClientFrame(QByteArrayView utf8, qsizetype maxBytes)
{
    if (maxBytes > 0 && utf8.size() > maxBytes) {
        return failed(makeError(codes::frameTooLarge,
            QCoreApplication::translate("voxtrack::protocol",
                "The text frame is %1 bytes, more than the limit of %2 bytes: send a shorter message.")
                .arg(utf8.size())
                .arg(maxBytes)));
    }
    QJsonObject object;
    ErrorFrame error;
    if (!readObject(utf8, object, error))
        return failed(std::move(error));

    // A valid id answers "which frame?" for every error from here on.
    const QJsonValue idValue = object.value("id"_L1);
    QString ref = idValue.isString() ? idValue.toString() : QString();
    if (!isValidId(ref))
        ref.clear();

    QString type;
    if (!readType(object, type, error)) {
        error.ref = std::move(ref);
        return failed(std::move(error));
    }

    if (type == types::userMessage) {
        Fields fields(object, types::userMessage, std::move(ref));
        UserMessage frame;
        frame.id = fields.id("id"_L1);
        frame.content = fields.string("content"_L1, Expect::NonEmptyString);
        frame.metadata = fields.optionalObject("metadata"_L1);
        frame.role = fields.role();
        return clientResult(fields, std::move(frame));
    }
    if (type == types::audioStart) {
        Fields fields(object, types::audioStart, std::move(ref));
        AudioStart frame;
        frame.id = fields.id("id"_L1);
        frame.format = fields.keyword("format"_L1, pcmS16le, Expect::Format);
        frame.sampleRate
            = static_cast<int>(fields.integer("sample_rate"_L1, minSampleRate, maxSampleRate, Expect::SampleRate));
        return clientResult(fields, std::move(frame));
    }
    if (type == types::audioEnd) {
        Fields fields(object, types::audioEnd, std::move(ref));
        AudioEnd frame;
        frame.id = fields.id("id"_L1);
        frame.transcript = fields.string("transcript"_L1);
        return clientResult(fields, std::move(frame));
    }
    if (type == types::sessionEnd) {
        Fields fields(object, types::sessionEnd, std::move(ref));
        SessionEnd frame;
        frame.reason = fields.optionalString("reason"_L1);
        return clientResult(fields, std::move(frame));
    }
    return failed(unknownType(type, clientTypeList(), std::move(ref)));
}

ParsedClientFrame parseClientFrame(QStringView text, qsizetype maxBytes)
{
    return parseClientFrame(QByteArrayView(text.toUtf8()), maxBytes);
}

Expected<ServerFrame> parseServerFrame(QByteArrayView utf8)
{
    QJsonObject object;
    ErrorFrame error;
    if (!readObject(utf8, object, error))
        return toError(error);
    QString type;
    if (!readType(object, type, error))
        return toError(error);

    if (type == types::sessionStarted) {
        Fields fields(object, types::sessionStarted, {});
        SessionStarted frame;
        frame.sessionId = fields.string("session_id"_L1, Expect::NonEmptyString);
        frame.userId = fields.string("user_id"_L1, Expect::NonEmptyString);
        frame.startedAt = fields.timestamp("started_at"_L1);
        frame.protocol = static_cast<int>(fields.integer("protocol"_L1, 1, maxInt, Expect::PositiveInteger));
        return serverResult(fields, std::move(frame));
    }
    if (type == types::messageAck) {
        Fields fields(object, types::messageAck, {});
        MessageAck frame;
        frame.id = fields.id("id"_L1);
        frame.seq = fields.integer("seq"_L1, 1, maxSeq, Expect::PositiveInteger);
        frame.messageId = fields.uuid("message_id"_L1);
        return serverResult(fields, std::move(frame));
    }
    if (type == types::messagePersisted) {
        Fields fields(object, types::messagePersisted, {});
        MessagePersisted frame;
        frame.id = fields.id("id"_L1);
        frame.messageId = fields.uuid("message_id"_L1);
        return serverResult(fields, std::move(frame));
    }
    if (type == types::agentMessage) {
        Fields fields(object, types::agentMessage, {});
        AgentMessage frame;
        frame.id = fields.id("id"_L1);
        frame.content = fields.string("content"_L1);
        frame.audioUrl = fields.optionalString("audio_url"_L1);
        frame.replyTo = fields.optionalId("reply_to"_L1);
        frame.seq = fields.integer("seq"_L1, 1, maxSeq, Expect::PositiveInteger);
        frame.createdAt = fields.timestamp("created_at"_L1);
        return serverResult(fields, std::move(frame));
    }
    if (type == types::sessionEnded) {
        Fields fields(object, types::sessionEnded, {});
        SessionEnded frame;
        frame.sessionId = fields.string("session_id"_L1, Expect::NonEmptyString);
        frame.durationSeconds = fields.duration("duration_seconds"_L1);
        frame.messages = static_cast<int>(fields.integer("messages"_L1, 0, maxInt, Expect::Count));
        frame.reason = fields.endReason("reason"_L1);
        return serverResult(fields, std::move(frame));
    }
    if (type == types::error) {
        Fields fields(object, types::error, {});
        ErrorFrame frame;
        frame.code = fields.string("code"_L1, Expect::NonEmptyString);
        frame.message = fields.string("message"_L1, Expect::NonEmptyString);
        frame.ref = fields.optionalString("ref"_L1);
        return serverResult(fields, std::move(frame));
    }
    return toError(unknownType(type, serverTypeList(), {}));
}

Expected<ServerFrame> parseServerFrame(QStringView text)
{
    return parseServerFrame(QByteArrayView(text.toUtf8()));
}

// ---- encoding ----

QByteArray encode(const ServerFrame& frame)
{
    return encodeVariant(frame);
}

QByteArray encode(const ClientFrame& frame)
{
    return encodeVariant(frame);
}

QLatin1StringView typeOf(const ServerFrame& frame)
{
    return std::visit([](const auto& alternative) { return typeName(alternative); }, frame);
}

QLatin1StringView typeOf(const ClientFrame& frame)
{
    return std::visit([](const auto& alternative) { return typeName(alternative); }, frame);
}

// ---- helpers ----

ErrorFrame makeError(QString code, QString message, QString ref)
{
    return ErrorFrame {std::move(code), std::move(message), std::move(ref)};
}

ErrorFrame makeError(const Error& error, QString ref)
{
    return ErrorFrame {error.code, error.message, std::move(ref)};
}

bool isValidId(QStringView id)
{
    if (id.isEmpty() || id.size() > maxIdLength)
        return false;
    for (QChar c : id) {
        const char16_t u = c.unicode();
        const bool allowed = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') || (u >= u'0' && u <= u'9')
            || u == u'.' || u == u'_' || u == u':' || u == u'-';
        if (!allowed)
            return false;
    }
    return true;
}

QString formatTimestamp(const QDateTime& time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

std::optional<QDateTime> parseTimestamp(QStringView text)
{
    // "2025-10-18T09:30:00.123Z" is 24 characters; Qt accepts more forms than that (offsets,
    // no milliseconds, 24:00), so insist the text is what formatTimestamp() would write.
    if (text.size() != 24 || !text.endsWith(u'Z'))
        return std::nullopt;
    const QDateTime time = QDateTime::fromString(text.toString(), Qt::ISODateWithMs);
    if (!time.isValid() || formatTimestamp(time) != text)
        return std::nullopt;
    return time.toUTC();
}

QUuid messageIdNamespace()
{
    // 6ffead2a-510d-44c4-9cc1-e59b0509ea1a, picked at random once; never change it, or
    // resent frames would no longer find the rows already stored.
    return QUuid(0x6ffead2a, 0x510d, 0x44c4, 0x9c, 0xc1, 0xe5, 0x9b, 0x05, 0x09, 0xea, 0x1a);
}

QUuid messageIdFor(const QString& sessionId, const QString& frameId)
{
    // Frame ids cannot contain '/', so the name is unambiguous whatever the session id holds.
    return QUuid::createUuidV5(messageIdNamespace(), QString(frameId + u'/' + sessionId));
}

// ---- AudioGate ----

ErrorFrame AudioGate::start(const AudioStart& frame)
{
    if (m_open) {
        return makeError(codes::audioOutOfOrder,
            QCoreApplication::translate(
                "voxtrack::protocol", "The audio %1 is still open: send audio.end for it before audio.start %2.")
                .arg(quoted(m_open->id), quoted(frame.id)),
            frame.id);
    }
    m_open = frame;
    m_bytes = 0;
    return {};
}

ErrorFrame AudioGate::end(const AudioEnd& frame)
{
    if (!m_open) {
        return makeError(codes::audioOutOfOrder,
            QCoreApplication::translate("voxtrack::protocol",
                "No audio is open for audio.end %1: send audio.start with that id before the PCM data.")
                .arg(quoted(frame.id)),
            frame.id);
    }
    if (m_open->id != frame.id) {
        return makeError(codes::audioOutOfOrder,
            QCoreApplication::translate(
                "voxtrack::protocol", "The audio.end id %1 does not match the open audio %2: end %2 first.")
                .arg(quoted(frame.id), quoted(m_open->id)),
            frame.id);
    }
    m_open.reset();
    return {};
}

ErrorFrame AudioGate::binary(qsizetype bytes)
{
    if (!m_open) {
        return makeError(codes::frameBinaryUnexpected,
            QCoreApplication::translate("voxtrack::protocol",
                "A binary frame of %1 bytes arrived with no audio open: send audio.start before the PCM data.")
                .arg(bytes));
    }
    m_bytes += bytes;
    return {};
}

void AudioGate::reset()
{
    m_open.reset();
    m_bytes = 0;
}

} // namespace voxtrack::protocol
