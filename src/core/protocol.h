// SPDX-License-Identifier: MIT
#pragma once

#include "core/error.h"
#include "core/records.h"
#include "core/role.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringView>
#include <QUuid>

#include <optional>
#include <variant>

/// The voxtrackd WebSocket protocol, version 1: JSON text frames, one object per frame, each
/// with a string "type". docs/protocol.md is the specification; this is its codec. The codec is
/// stateless and thread-safe (plain functions on values) except for AudioGate, which holds
/// one connection's audio state.
namespace voxtrack::protocol {

inline constexpr int version = 1;
/// The endpoint: ws://host:port/v1/conversation (wss:// with TLS).
inline constexpr QLatin1StringView conversationPath {"/v1/conversation"};
/// The default limit on a text frame, in UTF-8 bytes.
inline constexpr qsizetype defaultMaxFrameBytes = 65536; // 64 KiB
/// Frame ids are 1..maxIdLength characters of [A-Za-z0-9._:-].
inline constexpr qsizetype maxIdLength = 64;
inline constexpr int minSampleRate = 8000;
inline constexpr int maxSampleRate = 48000;
/// The only audio format of version 1: signed 16-bit little-endian mono PCM.
inline constexpr QLatin1StringView pcmS16le {"pcm_s16le"};

/// WebSocket close codes beyond RFC 6455's "normal" ones.
enum CloseCode : quint16 {
    CloseTryAgainLater = 1013, ///< server.busy: the server is at its session limit
    CloseUnauthorized = 4401, ///< auth.missing, auth.invalid, auth.expired
};

/// The value of the "type" field of each frame.
namespace types {
// client → server
inline constexpr QLatin1StringView userMessage {"user.message"};
inline constexpr QLatin1StringView audioStart {"audio.start"};
inline constexpr QLatin1StringView audioEnd {"audio.end"};
inline constexpr QLatin1StringView sessionEnd {"session.end"};
// server → client
inline constexpr QLatin1StringView sessionStarted {"session.started"};
inline constexpr QLatin1StringView messageAck {"message.ack"};
inline constexpr QLatin1StringView messagePersisted {"message.persisted"};
inline constexpr QLatin1StringView agentMessage {"agent.message"};
inline constexpr QLatin1StringView sessionEnded {"session.ended"};
inline constexpr QLatin1StringView error {"error"};
} // namespace types

/// The stable codes of error frames. docs/protocol.md says which close the connection.
namespace codes {
// made by the codec
inline constexpr QLatin1StringView frameNotJson {"frame.not_json"};
inline constexpr QLatin1StringView frameNotObject {"frame.not_object"};
inline constexpr QLatin1StringView frameTypeMissing {"frame.type_missing"};
inline constexpr QLatin1StringView frameUnknownType {"frame.unknown_type"};
inline constexpr QLatin1StringView frameMissingField {"frame.missing_field"};
inline constexpr QLatin1StringView frameBadField {"frame.bad_field"};
inline constexpr QLatin1StringView frameTooLarge {"frame.too_large"};
inline constexpr QLatin1StringView frameBinaryUnexpected {"frame.binary_unexpected"};
inline constexpr QLatin1StringView roleInvalid {"role.invalid"};
inline constexpr QLatin1StringView audioOutOfOrder {"audio.out_of_order"};
// made by the server
inline constexpr QLatin1StringView authMissing {"auth.missing"};
inline constexpr QLatin1StringView authInvalid {"auth.invalid"};
inline constexpr QLatin1StringView authExpired {"auth.expired"};
inline constexpr QLatin1StringView serverBusy {"server.busy"};
inline constexpr QLatin1StringView sessionEnded {"session.ended"};
} // namespace codes

// ---- client → server ----------------------------------------------------------------------

struct UserMessage {
    QString id;
    QString content;
    QJsonObject metadata;
    Role role = Role::User;
    friend bool operator==(const UserMessage&, const UserMessage&) = default;
};

struct AudioStart {
    QString id;
    QString format; ///< always pcmS16le once parsed
    int sampleRate = 0;
    friend bool operator==(const AudioStart&, const AudioStart&) = default;
};

struct AudioEnd {
    QString id;
    QString transcript; ///< may be empty: nothing was recognised
    friend bool operator==(const AudioEnd&, const AudioEnd&) = default;
};

struct SessionEnd {
    QString reason; ///< free text for logs; empty when not given
    friend bool operator==(const SessionEnd&, const SessionEnd&) = default;
};

using ClientFrame = std::variant<UserMessage, AudioStart, AudioEnd, SessionEnd>;

// ---- server → client ----------------------------------------------------------------------

struct SessionStarted {
    QString sessionId;
    QString userId;
    QDateTime startedAt;
    int protocol = version;
    friend bool operator==(const SessionStarted&, const SessionStarted&) = default;
};

struct MessageAck {
    QString id; ///< the client's frame id
    qint64 seq = 0; ///< order within the session, from 1
    QUuid messageId; ///< the idempotency key stored with the message
    friend bool operator==(const MessageAck&, const MessageAck&) = default;
};

struct MessagePersisted {
    QString id;
    QUuid messageId;
    friend bool operator==(const MessagePersisted&, const MessagePersisted&) = default;
};

struct AgentMessage {
    QString id; ///< made by the server, same form as client ids
    QString content;
    QString audioUrl; ///< empty is sent as null
    QString replyTo; ///< the client id answered; empty is sent as null
    qint64 seq = 0;
    QDateTime createdAt;
    friend bool operator==(const AgentMessage&, const AgentMessage&) = default;
};

struct SessionEnded {
    QString sessionId;
    double durationSeconds = 0;
    int messages = 0;
    EndReason reason = EndReason::ClientClosed;
    friend bool operator==(const SessionEnded&, const SessionEnded&) = default;
};

/// An "error" frame. A null one (empty code) means "no error" where a function returns one.
struct ErrorFrame {
    QString code;
    QString message; ///< one translated sentence: what was wrong and what to do
    QString ref; ///< the id of the offending frame; empty is sent as null
    [[nodiscard]] bool isNull() const { return code.isEmpty(); }
    friend bool operator==(const ErrorFrame&, const ErrorFrame&) = default;
};

using ServerFrame = std::variant<SessionStarted, MessageAck, MessagePersisted, AgentMessage, SessionEnded, ErrorFrame>;

// ---- parsing ------------------------------------------------------------------------------

/// A parsed client frame, or the error frame to send back. error.ref holds the frame's id
/// whenever the frame carried a valid one (so it is always a valid id or empty).
struct ParsedClientFrame {
    std::optional<ClientFrame> frame;
    ErrorFrame error;
    [[nodiscard]] bool ok() const { return frame.has_value(); }
};

/// Parses one text frame from a client. maxBytes limits its UTF-8 size (frame.too_large,
/// checked before any parsing); 0 or less means no limit. Unknown fields are ignored, and so
/// are optional fields that are null. Never throws; every malformed frame is an error with
/// one of the codec's codes (docs/protocol.md).
[[nodiscard]] ParsedClientFrame parseClientFrame(QByteArrayView utf8, qsizetype maxBytes = defaultMaxFrameBytes);
/// The same for the QString that QWebSocket::textMessageReceived delivers.
[[nodiscard]] ParsedClientFrame parseClientFrame(QStringView text, qsizetype maxBytes = defaultMaxFrameBytes);

/// Parses one text frame from the server, for clients and the test harness. Strict: every
/// documented field must be present with its documented type and form (timestamps in the
/// canonical form formatTimestamp() writes), so a conformance check can rely on it.
[[nodiscard]] Expected<ServerFrame> parseServerFrame(QByteArrayView utf8);
[[nodiscard]] Expected<ServerFrame> parseServerFrame(QStringView text);

// ---- encoding -----------------------------------------------------------------------------

/// Compact UTF-8 JSON for a text frame (QString::fromUtf8 it for QWebSocket::sendTextMessage).
/// Encoding does not validate: encode what the parsers would accept.
[[nodiscard]] QByteArray encode(const ServerFrame& frame);
[[nodiscard]] QByteArray encode(const ClientFrame& frame);

/// The "type" of a frame.
[[nodiscard]] QLatin1StringView typeOf(const ServerFrame& frame);
[[nodiscard]] QLatin1StringView typeOf(const ClientFrame& frame);

// ---- helpers ------------------------------------------------------------------------------

[[nodiscard]] ErrorFrame makeError(QString code, QString message, QString ref = {});
[[nodiscard]] ErrorFrame makeError(const Error& error, QString ref = {});

/// True for 1..maxIdLength characters of [A-Za-z0-9._:-].
[[nodiscard]] bool isValidId(QStringView id);

/// "2025-10-18T09:30:00.123Z": UTC, milliseconds, 'Z'. The time is converted to UTC first.
[[nodiscard]] QString formatTimestamp(const QDateTime& time);
/// Parses exactly the form formatTimestamp() writes; anything else is std::nullopt.
[[nodiscard]] std::optional<QDateTime> parseTimestamp(QStringView text);

/// The namespace of messageIdFor()'s UUIDs (fixed; see docs/protocol.md).
[[nodiscard]] QUuid messageIdNamespace();
/// The message_id of a frame id within a session: UUID v5 of "<frameId>/<sessionId>" in
/// messageIdNamespace(). Deterministic, so a resent frame maps to the row already stored.
[[nodiscard]] QUuid messageIdFor(const QString& sessionId, const QString& frameId);

/// The audio state of one connection: which audio.start is open and how much PCM arrived.
/// The codec parses frames without state; the server keeps one AudioGate per connection and
/// passes it every audio frame and binary frame. Each call returns a null ErrorFrame when the
/// frame is in order, else the error to send back (the connection stays open).
class AudioGate {
public:
    /// audio.start: audio.out_of_order while another audio is open (that one stays open).
    [[nodiscard]] ErrorFrame start(const AudioStart& frame);
    /// audio.end: audio.out_of_order when no audio is open or the id is not the open one.
    [[nodiscard]] ErrorFrame end(const AudioEnd& frame);
    /// A binary frame: frame.binary_unexpected when no audio is open.
    [[nodiscard]] ErrorFrame binary(qsizetype bytes);

    [[nodiscard]] bool isOpen() const { return m_open.has_value(); }
    /// The open audio.start; only valid while isOpen().
    [[nodiscard]] const AudioStart& current() const { return *m_open; }
    /// PCM bytes received since the open audio.start (or in the last audio, once ended).
    [[nodiscard]] qint64 bytesReceived() const { return m_bytes; }
    void reset();

private:
    std::optional<AudioStart> m_open;
    qint64 m_bytes = 0;
};

} // namespace voxtrack::protocol
