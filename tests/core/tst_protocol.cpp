// SPDX-License-Identifier: MIT
#include "core/protocol.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::protocol;

Q_DECLARE_METATYPE(voxtrack::protocol::ClientFrame)
Q_DECLARE_METATYPE(voxtrack::protocol::ServerFrame)

namespace {

QDateTime utc(int hour, int minute, int second, int ms)
{
    return QDateTime(QDate(2025, 10, 18), QTime(hour, minute, second, ms), Qt::UTC);
}

const QUuid sampleUuid = QUuid::fromString(u"0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b");

/// One sentence: starts with a capital, ends with a full stop, no line breaks and no second
/// sentence starting after a full stop.
bool isOneSentence(const QString& message)
{
    static const QRegularExpression secondSentence(QStringLiteral("[.!?] [A-Z]"));
    return !message.isEmpty() && message.front().isUpper() && message.endsWith(u'.') && !message.contains(u'\n')
        && !message.contains(secondSentence);
}

QByteArray userMessageWithId(const QString& id)
{
    QJsonObject object {{QStringLiteral("type"), QStringLiteral("user.message")}, {QStringLiteral("id"), id},
        {QStringLiteral("content"), QStringLiteral("hi")}};
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray userMessageWithContent(const QString& content)
{
    QJsonObject object {{QStringLiteral("type"), QStringLiteral("user.message")},
        {QStringLiteral("id"), QStringLiteral("m1")}, {QStringLiteral("content"), content}};
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray userMessageWithRole(const QJsonValue& role)
{
    QJsonObject object {{QStringLiteral("type"), QStringLiteral("user.message")},
        {QStringLiteral("id"), QStringLiteral("m1")}, {QStringLiteral("content"), QStringLiteral("hi")},
        {QStringLiteral("role"), role}};
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QString describe(const std::optional<ClientFrame>& frame)
{
    return frame ? QString::fromUtf8(encode(*frame)) : QStringLiteral("(no frame)");
}

} // namespace

class TestProtocol : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parsesClientFrames_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<ClientFrame>("expected");

        const QString tesla = QStringLiteral("What's the price of Tesla?");
        QTest::addRow("user.message") << userMessageWithContent(tesla)
                                      << ClientFrame(UserMessage {QStringLiteral("m1"), tesla, {}, Role::User});
        QTest::addRow("user.message with metadata")
            << QByteArray(
                   R"({"type":"user.message","id":"m1","content":"hi","metadata":{"lang":"en","n":2,"tags":["a"]}})")
            << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"),
                   QJsonObject {{QStringLiteral("lang"), QStringLiteral("en")}, {QStringLiteral("n"), 2},
                       {QStringLiteral("tags"), QJsonArray {QStringLiteral("a")}}},
                   Role::User});
        QTest::addRow("role user") << userMessageWithRole(QStringLiteral(
            "user")) << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("role agent") << userMessageWithRole(QStringLiteral(
            "agent")) << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::Agent});
        QTest::addRow("role system") << userMessageWithRole(QStringLiteral(
            "system")) << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::System});
        QTest::addRow("role null is user") << userMessageWithRole(
            QJsonValue::Null) << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("metadata null is empty")
            << QByteArray(R"({"type":"user.message","id":"m1","content":"hi","metadata":null})")
            << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("unknown fields ignored")
            << QByteArray(
                   R"({"v":2,"type":"user.message","extra":[1,{"x":null}],"id":"m1","content":"hi","trace":"t"})")
            << ClientFrame(UserMessage {QStringLiteral("m1"), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("id of 64 characters") << userMessageWithId(
            QString(64, u'x')) << ClientFrame(UserMessage {QString(64, u'x'), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("id with every allowed kind of character")
            << userMessageWithId(QStringLiteral("Az09._:-"))
            << ClientFrame(UserMessage {QStringLiteral("Az09._:-"), QStringLiteral("hi"), {}, Role::User});
        QTest::addRow("unicode content") << QByteArray("{\"type\":\"user.message\",\"id\":\"m1\",\"content\":"
                                                       "\"Gr\\u00fc\\u00dfe \\ud83d\\udc4b \\\"quoted\\\"\\n\"}")
                                         << ClientFrame(UserMessage {QStringLiteral("m1"),
                                                QStringLiteral("Grüße 👋 \"quoted\"\n"), {}, Role::User});
        QTest::addRow("whitespace around the object")
            << QByteArray(" \n{ \"type\" : \"session.end\" }\r\n ") << ClientFrame(SessionEnd {});
        QTest::addRow("audio.start") << QByteArray(
            R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":16000})")
                                     << ClientFrame(
                                            AudioStart {QStringLiteral("a1"), QStringLiteral("pcm_s16le"), 16000});
        QTest::addRow("audio.start lowest rate")
            << QByteArray(R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":8000})")
            << ClientFrame(AudioStart {QStringLiteral("a1"), QStringLiteral("pcm_s16le"), 8000});
        QTest::addRow("audio.start highest rate")
            << QByteArray(R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":48000})")
            << ClientFrame(AudioStart {QStringLiteral("a1"), QStringLiteral("pcm_s16le"), 48000});
        QTest::addRow("audio.start rate written as 16000.0")
            << QByteArray(R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":16000.0})")
            << ClientFrame(AudioStart {QStringLiteral("a1"), QStringLiteral("pcm_s16le"), 16000});
        QTest::addRow("audio.end") << QByteArray(
            "{\"type\":\"audio.end\",\"id\":\"a1\",\"transcript\":\"What\\u0027s the price of Tesla?\"}")
                                   << ClientFrame(AudioEnd {QStringLiteral("a1"), tesla});
        QTest::addRow("audio.end empty transcript") << QByteArray(R"({"type":"audio.end","id":"a1","transcript":""})")
                                                    << ClientFrame(AudioEnd {QStringLiteral("a1"), QString()});
        QTest::addRow("session.end") << QByteArray(R"({"type":"session.end"})") << ClientFrame(SessionEnd {});
        QTest::addRow("session.end with reason") << QByteArray(R"({"type":"session.end","reason":"user hung up"})")
                                                 << ClientFrame(SessionEnd {QStringLiteral("user hung up")});
        QTest::addRow("session.end reason null")
            << QByteArray(R"({"type":"session.end","reason":null})") << ClientFrame(SessionEnd {});
    }

    void parsesClientFrames()
    {
        QFETCH(QByteArray, json);
        QFETCH(ClientFrame, expected);

        const ParsedClientFrame parsed = parseClientFrame(json);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error.message));
        QVERIFY(parsed.error.isNull());
        QVERIFY2(*parsed.frame == expected, qPrintable(describe(parsed.frame)));

        // The QString overload (what QWebSocket delivers) agrees.
        const ParsedClientFrame fromText = parseClientFrame(QString::fromUtf8(json));
        QVERIFY(fromText.ok());
        QVERIFY(*fromText.frame == expected);

        // A view into a larger buffer: nothing past the view is read.
        const QByteArray buffer = json + "}]garbage";
        const ParsedClientFrame fromView = parseClientFrame(QByteArrayView(buffer.constData(), json.size()));
        QVERIFY2(fromView.ok(), qPrintable(fromView.error.message));
        QVERIFY(*fromView.frame == expected);
    }

    void rejectsBadClientFrames_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<qsizetype>("maxBytes");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("ref");
        QTest::addColumn<QString>("mentions");

        const qsizetype limit = defaultMaxFrameBytes;
        const auto row = [limit](const char* name, const QByteArray& json, QLatin1StringView code, const char* ref,
                             const QString& mentions) {
            QTest::addRow("%s", name) << json << limit << QString(code) << QString::fromUtf8(ref) << mentions;
        };

        // frame.not_json
        row("not JSON", "hello", codes::frameNotJson, "", QStringLiteral("not valid JSON"));
        row("truncated object", R"({"type":"user.message","id":"m1")", codes::frameNotJson, "",
            QStringLiteral("not valid JSON"));
        row("empty frame", "", codes::frameNotJson, "", QStringLiteral("not valid JSON"));
        row("trailing garbage", R"({"type":"session.end"} x)", codes::frameNotJson, "", QStringLiteral("byte"));
        row("invalid UTF-8", "{\"type\":\"user.message\",\"id\":\"m1\",\"content\":\"\xff\"}", codes::frameNotJson, "",
            QStringLiteral("UTF-8"));
        row("single quotes", "{'type':'session.end'}", codes::frameNotJson, "", QStringLiteral("not valid JSON"));

        // frame.not_object
        row("JSON array", R"([{"type":"session.end"}])", codes::frameNotObject, "", QStringLiteral("an array"));
        row("number", "42", codes::frameNotObject, "", QStringLiteral("is 42,"));
        row("string", R"("user.message")", codes::frameNotObject, "", QStringLiteral("\"user.message\""));
        row("null", "null", codes::frameNotObject, "", QStringLiteral("is null,"));
        row("true", " true ", codes::frameNotObject, "", QStringLiteral("is true,"));

        // frame.type_missing
        row("missing type", R"({"id":"m1","content":"hi"})", codes::frameTypeMissing, "m1", QStringLiteral("\"type\""));
        row("type null", R"({"type":null,"id":"m1"})", codes::frameTypeMissing, "m1", QStringLiteral("\"type\""));
        row("type empty", R"({"type":"","id":"m1"})", codes::frameTypeMissing, "m1", QStringLiteral("\"type\""));
        row("empty object", "{}", codes::frameTypeMissing, "", QStringLiteral("\"type\""));

        // type of the wrong JSON type
        row("type not a string", R"({"type":42,"id":"m1"})", codes::frameBadField, "m1", QStringLiteral("not 42"));
        row("type an object", R"({"type":{"name":"user.message"}})", codes::frameBadField, "",
            QStringLiteral("an object"));

        // frame.unknown_type
        row("unknown type", R"({"type":"user.mesage","id":"m1","content":"hi"})", codes::frameUnknownType, "m1",
            QStringLiteral("\"user.mesage\""));
        row("type in the wrong case", R"({"type":"User.Message","id":"m1","content":"hi"})", codes::frameUnknownType,
            "m1", QStringLiteral("user.message, audio.start, audio.end, session.end"));
        row("server frame sent by a client", R"({"type":"message.ack","id":"m1","seq":1})", codes::frameUnknownType,
            "m1", QStringLiteral("\"message.ack\""));
        row("very long unknown type", "{\"type\":\"" + QByteArray(500, 'x') + "\"}", codes::frameUnknownType, "",
            QString(40, u'x') + QChar(0x2026));

        // frame.missing_field
        row("missing id", R"({"type":"user.message","content":"hi"})", codes::frameMissingField, "",
            QStringLiteral("\"id\""));
        row("missing content", R"({"type":"user.message","id":"m1"})", codes::frameMissingField, "m1",
            QStringLiteral("\"content\""));
        row("audio.start missing id", R"({"type":"audio.start","format":"pcm_s16le","sample_rate":16000})",
            codes::frameMissingField, "", QStringLiteral("\"id\""));
        row("audio.start missing format", R"({"type":"audio.start","id":"a1","sample_rate":16000})",
            codes::frameMissingField, "a1", QStringLiteral("\"format\""));
        row("audio.start missing sample_rate", R"({"type":"audio.start","id":"a1","format":"pcm_s16le"})",
            codes::frameMissingField, "a1", QStringLiteral("\"sample_rate\""));
        row("audio.end missing transcript", R"({"type":"audio.end","id":"a1"})", codes::frameMissingField, "a1",
            QStringLiteral("\"transcript\""));
        row("audio.end missing id", R"({"type":"audio.end","transcript":"x"})", codes::frameMissingField, "",
            QStringLiteral("\"id\""));

        // frame.bad_field
        row("id too long", userMessageWithId(QString(65, u'x')), codes::frameBadField, "",
            QStringLiteral("(65 characters)"));
        row("id with spaces", userMessageWithId(QStringLiteral("my id")), codes::frameBadField, "",
            QStringLiteral("not \"my id\""));
        row("id empty", userMessageWithId(QString()), codes::frameBadField, "", QStringLiteral("an empty string"));
        row("id with a slash", userMessageWithId(QStringLiteral("a/b")), codes::frameBadField, "",
            QStringLiteral("\"a/b\""));
        row("id not ASCII", userMessageWithId(QStringLiteral("m\u00e9")), codes::frameBadField, "",
            QStringLiteral("\"id\""));
        row("id a number", R"({"type":"user.message","id":42,"content":"hi"})", codes::frameBadField, "",
            QStringLiteral("not 42"));
        row("id null", R"({"type":"user.message","id":null,"content":"hi"})", codes::frameBadField, "",
            QStringLiteral("not null"));
        row("first bad field wins", R"({"type":"user.message","id":"my id"})", codes::frameBadField, "",
            QStringLiteral("\"id\""));
        row("empty content", R"({"type":"user.message","id":"m1","content":""})", codes::frameBadField, "m1",
            QStringLiteral("a non-empty string"));
        row("content not a string", R"({"type":"user.message","id":"m1","content":42})", codes::frameBadField, "m1",
            QStringLiteral("\"content\""));
        row("content null", R"({"type":"user.message","id":"m1","content":null})", codes::frameBadField, "m1",
            QStringLiteral("not null"));
        row("content an object", R"({"type":"user.message","id":"m1","content":{"text":"hi"}})", codes::frameBadField,
            "m1", QStringLiteral("an object"));
        row("metadata a string", R"({"type":"user.message","id":"m1","content":"hi","metadata":"x"})",
            codes::frameBadField, "m1", QStringLiteral("\"metadata\""));
        row("metadata an array", R"({"type":"user.message","id":"m1","content":"hi","metadata":[]})",
            codes::frameBadField, "m1", QStringLiteral("a JSON object, not an array"));
        row("sample_rate too low", R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":7999})",
            codes::frameBadField, "a1", QStringLiteral("from 8000 to 48000, not 7999"));
        row("sample_rate too high", R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":96000})",
            codes::frameBadField, "a1", QStringLiteral("not 96000"));
        row("sample_rate fractional", R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":16000.5})",
            codes::frameBadField, "a1", QStringLiteral("16000.5"));
        row("sample_rate a string", R"({"type":"audio.start","id":"a1","format":"pcm_s16le","sample_rate":"16000"})",
            codes::frameBadField, "a1", QStringLiteral("\"sample_rate\""));
        row("format not supported", R"({"type":"audio.start","id":"a1","format":"opus","sample_rate":16000})",
            codes::frameBadField, "a1", QStringLiteral("\"pcm_s16le\""));
        row("transcript not a string", R"({"type":"audio.end","id":"a1","transcript":["hi"]})", codes::frameBadField,
            "a1", QStringLiteral("\"transcript\""));
        row("session.end reason not a string", R"({"type":"session.end","reason":1})", codes::frameBadField, "",
            QStringLiteral("\"reason\""));

        // role.invalid
        row("role assistant", userMessageWithRole(QStringLiteral("assistant")), codes::roleInvalid, "m1",
            QStringLiteral("use \"agent\""));
        row("role Assistant", userMessageWithRole(QStringLiteral("Assistant")), codes::roleInvalid, "m1",
            QStringLiteral("use \"agent\""));
        row("role bot", userMessageWithRole(QStringLiteral("bot")), codes::roleInvalid, "m1",
            QStringLiteral("\"bot\""));
        row("role User", userMessageWithRole(QStringLiteral("User")), codes::roleInvalid, "m1",
            QStringLiteral("\"User\""));
        row("role empty", userMessageWithRole(QString()), codes::roleInvalid, "m1", QStringLiteral("empty"));
        row("role 42", userMessageWithRole(42), codes::roleInvalid, "m1", QStringLiteral("must be a string, not 42"));
        row("role an array", userMessageWithRole(QJsonArray {QStringLiteral("user")}), codes::roleInvalid, "m1",
            QStringLiteral("an array"));
        row("role very long", userMessageWithRole(QString(300, u'r')), codes::roleInvalid, "m1",
            QString(40, u'r') + QChar(0x2026));

        // frame.too_large: checked before parsing, so no ref
        const QByteArray big = userMessageWithContent(QString(70000, u'a'));
        QTest::addRow("oversized frame, default limit")
            << big << limit << QString(codes::frameTooLarge) << QString() << QStringLiteral("%1 bytes").arg(limit);
        QTest::addRow("oversized frame, small limit")
            << QByteArray(R"({"type":"user.message","id":"m1","content":"0123456789"})") << qsizetype(32)
            << QString(codes::frameTooLarge) << QString() << QStringLiteral("limit of 32 bytes");
        QTest::addRow("oversized broken JSON is still too large")
            << QByteArray(100, '{') << qsizetype(99) << QString(codes::frameTooLarge) << QString()
            << QStringLiteral("100 bytes");
    }

    void rejectsBadClientFrames()
    {
        QFETCH(QByteArray, json);
        QFETCH(qsizetype, maxBytes);
        QFETCH(QString, code);
        QFETCH(QString, ref);
        QFETCH(QString, mentions);

        const ParsedClientFrame parsed = parseClientFrame(json, maxBytes);
        QVERIFY2(!parsed.ok(), qPrintable(describe(parsed.frame)));
        QCOMPARE(parsed.error.code, code);
        QCOMPARE(parsed.error.ref, ref);
        QVERIFY2(isOneSentence(parsed.error.message), qPrintable(parsed.error.message));
        QVERIFY2(parsed.error.message.contains(mentions), qPrintable(parsed.error.message));

        // The error is ready to send: it encodes to a valid error frame.
        const auto echoed = parseServerFrame(encode(parsed.error));
        QVERIFY2(echoed.hasValue(), qPrintable(echoed.errorText()));
        QVERIFY(std::get<ErrorFrame>(*echoed) == parsed.error);
    }

    void sizeLimitCanBeOff()
    {
        const QByteArray big = userMessageWithContent(QString(200000, u'a'));
        QVERIFY(parseClientFrame(big, 0).ok());
        QCOMPARE(parseClientFrame(big).error.code, QString(codes::frameTooLarge));
        // The limit counts UTF-8 bytes, not characters.
        const QString text = QStringLiteral(R"({"type":"session.end","reason":"ééééé"})");
        QVERIFY(parseClientFrame(text, text.size()).error.code == codes::frameTooLarge);
        QVERIFY(parseClientFrame(text, text.toUtf8().size()).ok());
    }

    void clientFramesRoundTrip_data()
    {
        QTest::addColumn<ClientFrame>("frame");
        QTest::addRow("user.message") << ClientFrame(
            UserMessage {QStringLiteral("m1"), QStringLiteral("What's the price of Tesla?"), {}, Role::User});
        QTest::addRow("user.message with metadata")
            << ClientFrame(UserMessage {QStringLiteral("m-2"), QStringLiteral("hi"),
                   QJsonObject {{QStringLiteral("client"), QStringLiteral("harness")},
                       {QStringLiteral("nested"), QJsonObject {{QStringLiteral("n"), 1.5}}}},
                   Role::User});
        QTest::addRow("relayed agent reply") << ClientFrame(
            UserMessage {QStringLiteral("r:1"), QStringLiteral("The latest price for Tesla is …"), {}, Role::Agent});
        QTest::addRow("system message") << ClientFrame(
            UserMessage {QStringLiteral("s.1"), QStringLiteral("Be brief."), {}, Role::System});
        QTest::addRow("audio.start") << ClientFrame(AudioStart {QStringLiteral("a1"), QString(pcmS16le), 24000});
        QTest::addRow("audio.end") << ClientFrame(AudioEnd {QStringLiteral("a1"), QStringLiteral("Grüße")});
        QTest::addRow("audio.end empty transcript") << ClientFrame(AudioEnd {QStringLiteral("a1"), QString()});
        QTest::addRow("session.end") << ClientFrame(SessionEnd {});
        QTest::addRow("session.end with reason") << ClientFrame(SessionEnd {QStringLiteral("done")});
    }

    void clientFramesRoundTrip()
    {
        QFETCH(ClientFrame, frame);
        const QByteArray json = encode(frame);
        QVERIFY2(!json.contains('\n') && !json.contains(": "), json.constData()); // compact
        QCOMPARE(QJsonDocument::fromJson(json).object().value(u"type").toString(), QString(typeOf(frame)));
        const ParsedClientFrame parsed = parseClientFrame(json);
        QVERIFY2(parsed.ok(), qPrintable(parsed.error.message));
        QVERIFY2(*parsed.frame == frame, json.constData());
    }

    void serverFramesRoundTrip_data()
    {
        QTest::addColumn<ServerFrame>("frame");
        QTest::addRow("session.started") << ServerFrame(
            SessionStarted {QStringLiteral("c0ffee00-1"), QStringLiteral("user-42"), utc(9, 30, 0, 123), version});
        QTest::addRow("session.started whole second")
            << ServerFrame(SessionStarted {QStringLiteral("s"), QStringLiteral("u"), utc(23, 59, 59, 0), version});
        QTest::addRow("message.ack") << ServerFrame(MessageAck {QStringLiteral("m1"), 1, sampleUuid});
        QTest::addRow("message.ack large seq")
            << ServerFrame(MessageAck {QStringLiteral("m1"), Q_INT64_C(9007199254740992), sampleUuid});
        QTest::addRow("message.persisted") << ServerFrame(MessagePersisted {QStringLiteral("m1"), sampleUuid});
        QTest::addRow("agent.message") << ServerFrame(
            AgentMessage {QStringLiteral("agent-1"), QStringLiteral("The latest price for Tesla is …"),
                QStringLiteral("https://cdn.example/tts/agent-1.wav"), QStringLiteral("m1"), 2, utc(9, 30, 1, 5)});
        QTest::addRow("agent.message without audio or reply_to") << ServerFrame(AgentMessage {
            QStringLiteral("agent-2"), QStringLiteral("Hello!"), QString(), QString(), 1, utc(9, 30, 0, 200)});
        QTest::addRow("session.ended client_closed")
            << ServerFrame(SessionEnded {QStringLiteral("s1"), 45.25, 8, EndReason::ClientClosed});
        QTest::addRow("session.ended timeout")
            << ServerFrame(SessionEnded {QStringLiteral("s1"), 300, 0, EndReason::Timeout});
        QTest::addRow("session.ended server_shutdown")
            << ServerFrame(SessionEnded {QStringLiteral("s1"), 0.001, 3, EndReason::ServerShutdown});
        QTest::addRow("session.ended recovered")
            << ServerFrame(SessionEnded {QStringLiteral("s1"), 12.345678901234, 1, EndReason::Recovered});
        QTest::addRow("error with ref") << ServerFrame(ErrorFrame {
            QString(codes::roleInvalid), QStringLiteral("The role \"bot\" is not allowed."), QStringLiteral("m1")});
        QTest::addRow("error without ref") << ServerFrame(ErrorFrame {
            QString(codes::authExpired), QStringLiteral("The token has expired: sign in again."), QString()});
    }

    void serverFramesRoundTrip()
    {
        QFETCH(ServerFrame, frame);
        const QByteArray json = encode(frame);
        QCOMPARE(QJsonDocument::fromJson(json).object().value(u"type").toString(), QString(typeOf(frame)));
        const auto parsed = parseServerFrame(json);
        QVERIFY2(parsed.hasValue(), qPrintable(parsed.errorText() + u' ' + QString::fromUtf8(json)));
        QVERIFY2(*parsed == frame, json.constData());
        const auto fromText = parseServerFrame(QString::fromUtf8(json));
        QVERIFY(fromText.hasValue());
        QVERIFY(*fromText == frame);
    }

    /// The wire form is part of the protocol: pin a few frames byte for byte (QJsonObject
    /// writes keys in sorted order).
    void encodesTheDocumentedForm_data()
    {
        QTest::addColumn<ServerFrame>("frame");
        QTest::addColumn<QByteArray>("json");
        QTest::addRow("message.ack") << ServerFrame(MessageAck {QStringLiteral("m1"), 1, sampleUuid})
                                     << QByteArray(R"({"id":"m1","message_id":"0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b",)"
                                                   R"("seq":1,"type":"message.ack"})");
        QTest::addRow("agent.message nulls")
            << ServerFrame(AgentMessage {
                   QStringLiteral("agent-1"), QStringLiteral("Hi"), QString(), QString(), 2, utc(9, 30, 0, 123)})
            << QByteArray(R"({"audio_url":null,"content":"Hi","created_at":"2025-10-18T09:30:00.123Z",)"
                          R"("id":"agent-1","reply_to":null,"seq":2,"type":"agent.message"})");
        QTest::addRow("error without ref")
            << ServerFrame(ErrorFrame {QStringLiteral("server.busy"), QStringLiteral("Busy."), QString()})
            << QByteArray(R"({"code":"server.busy","message":"Busy.","ref":null,"type":"error"})");
        QTest::addRow("session.started")
            << ServerFrame(SessionStarted {QStringLiteral("s1"), QStringLiteral("u1"), utc(9, 30, 0, 123), version})
            << QByteArray(R"({"protocol":1,"session_id":"s1","started_at":"2025-10-18T09:30:00.123Z",)"
                          R"("type":"session.started","user_id":"u1"})");
        QTest::addRow("session.ended")
            << ServerFrame(SessionEnded {QStringLiteral("s1"), 45.2, 8, EndReason::ClientClosed})
            << QByteArray(R"({"duration_seconds":45.2,"messages":8,"reason":"client_closed","session_id":"s1",)"
                          R"("type":"session.ended"})");
    }

    void encodesTheDocumentedForm()
    {
        QFETCH(ServerFrame, frame);
        QFETCH(QByteArray, json);
        QCOMPARE(encode(frame), json);
    }

    void rejectsBadServerFrames_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("mentions");
        const auto row = [](const char* name, const char* json, QLatin1StringView code, const char* mentions) {
            QTest::addRow("%s", name) << QByteArray(json) << QString(code) << QString::fromUtf8(mentions);
        };
        row("not JSON", "{", codes::frameNotJson, "JSON");
        row("array", "[]", codes::frameNotObject, "an array");
        row("client frame type", R"({"type":"user.message","id":"m1","content":"hi"})", codes::frameUnknownType,
            "session.started, message.ack");
        row("started_at missing", R"({"type":"session.started","session_id":"s","user_id":"u","protocol":1})",
            codes::frameMissingField, "\"started_at\"");
        row("started_at without milliseconds",
            R"({"type":"session.started","session_id":"s","user_id":"u","protocol":1,"started_at":"2025-10-18T09:30:00Z"})",
            codes::frameBadField, "\"started_at\"");
        row("started_at with an offset",
            R"({"type":"session.started","session_id":"s","user_id":"u","protocol":1,)"
            R"("started_at":"2025-10-18T11:30:00.000+02:00"})",
            codes::frameBadField, "milliseconds");
        row("protocol zero",
            R"({"type":"session.started","session_id":"s","user_id":"u","protocol":0,"started_at":"2025-10-18T09:30:00.000Z"})",
            codes::frameBadField, "\"protocol\"");
        row("seq zero",
            R"({"type":"message.ack","id":"m1","seq":0,"message_id":"0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b"})",
            codes::frameBadField, "at least 1, not 0");
        row("message_id not a UUID", R"({"type":"message.ack","id":"m1","seq":1,"message_id":"abc"})",
            codes::frameBadField, "\"message_id\"");
        row("message_id missing", R"({"type":"message.persisted","id":"m1"})", codes::frameMissingField,
            "\"message_id\"");
        row("reply_to not an id",
            R"({"type":"agent.message","id":"a","content":"x","audio_url":null,"reply_to":"a b","seq":1,)"
            R"("created_at":"2025-10-18T09:30:00.000Z"})",
            codes::frameBadField, "\"reply_to\"");
        row("audio_url a number",
            R"({"type":"agent.message","id":"a","content":"x","audio_url":1,"reply_to":null,"seq":1,)"
            R"("created_at":"2025-10-18T09:30:00.000Z"})",
            codes::frameBadField, "a string or null");
        row("reason unknown",
            R"({"type":"session.ended","session_id":"s","duration_seconds":1,"messages":1,"reason":"crashed"})",
            codes::frameBadField, "client_closed, timeout, server_shutdown, recovered");
        row("negative duration",
            R"({"type":"session.ended","session_id":"s","duration_seconds":-1,"messages":1,"reason":"timeout"})",
            codes::frameBadField, "\"duration_seconds\"");
        row("error without code", R"({"type":"error","message":"x","ref":null})", codes::frameMissingField, "\"code\"");
    }

    void rejectsBadServerFrames()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, code);
        QFETCH(QString, mentions);
        const auto parsed = parseServerFrame(json);
        QVERIFY(!parsed.hasValue());
        QCOMPARE(parsed.error().code, code);
        QVERIFY2(isOneSentence(parsed.error().message), qPrintable(parsed.error().message));
        QVERIFY2(parsed.error().message.contains(mentions), qPrintable(parsed.error().message));
    }

    void messageIdIsDeterministic()
    {
        QCOMPARE(messageIdNamespace(), QUuid::fromString(u"6ffead2a-510d-44c4-9cc1-e59b0509ea1a"));

        const QUuid id = messageIdFor(QStringLiteral("s-1"), QStringLiteral("m1"));
        QCOMPARE(id.version(), QUuid::Sha1);
        QCOMPARE(id.variant(), QUuid::DCE);
        QCOMPARE(messageIdFor(QStringLiteral("s-1"), QStringLiteral("m1")), id);
        // The test vector in docs/protocol.md.
        QCOMPARE(id.toString(QUuid::WithoutBraces), QStringLiteral("cb07e44b-e974-5f85-a10b-b54825191a63"));

        QVERIFY(messageIdFor(QStringLiteral("s-2"), QStringLiteral("m1")) != id);
        QVERIFY(messageIdFor(QStringLiteral("s-1"), QStringLiteral("m2")) != id);
        QVERIFY(messageIdFor(QStringLiteral("m1"), QStringLiteral("s-1")) != id);
        QVERIFY(messageIdFor(QStringLiteral("s-1m1"), QString()) != id);
    }

    void timestamps()
    {
        QCOMPARE(formatTimestamp(utc(9, 30, 0, 123)), QStringLiteral("2025-10-18T09:30:00.123Z"));
        QCOMPARE(formatTimestamp(utc(9, 30, 0, 0)), QStringLiteral("2025-10-18T09:30:00.000Z"));
        const QDateTime plusTwo(QDate(2025, 10, 18), QTime(11, 30, 0, 7), Qt::OffsetFromUTC, 2 * 3600);
        QCOMPARE(formatTimestamp(plusTwo), QStringLiteral("2025-10-18T09:30:00.007Z"));

        const auto parsed = parseTimestamp(u"2025-10-18T09:30:00.123Z");
        QVERIFY(parsed);
        QCOMPARE(*parsed, utc(9, 30, 0, 123));
        QCOMPARE(parsed->timeSpec(), Qt::UTC);
        QCOMPARE(parsed->time().msec(), 123);

        for (const char16_t* bad : {u"", u"garbage", u"2025-10-18T09:30:00Z", u"2025-10-18T09:30:00.123",
                 u"2025-10-18T11:30:00.123+02:00", u"2025-10-18 09:30:00.123Z", u"2025-10-18T09:30:00.123456Z",
                 u"2025-02-30T09:30:00.123Z", u"2025-10-18T24:00:00.000Z", u"2025-10-18T09:30:00.123z"}) {
            QVERIFY2(!parseTimestamp(bad), qPrintable(QString::fromUtf16(bad)));
        }
    }

    void audioGateKeepsOrder()
    {
        AudioGate gate;
        QVERIFY(!gate.isOpen());
        ErrorFrame error = gate.binary(320);
        QCOMPARE(error.code, QString(codes::frameBinaryUnexpected));
        QVERIFY2(isOneSentence(error.message), qPrintable(error.message));
        QVERIFY(error.ref.isEmpty());

        error = gate.end(AudioEnd {QStringLiteral("a0"), QString()});
        QCOMPARE(error.code, QString(codes::audioOutOfOrder));
        QCOMPARE(error.ref, QStringLiteral("a0"));

        const AudioStart start {QStringLiteral("a1"), QString(pcmS16le), 16000};
        QVERIFY(gate.start(start).isNull());
        QVERIFY(gate.isOpen());
        QVERIFY(gate.current() == start);
        QVERIFY(gate.binary(320).isNull());
        QVERIFY(gate.binary(640).isNull());
        QCOMPARE(gate.bytesReceived(), qint64(960));

        error = gate.start(AudioStart {QStringLiteral("a2"), QString(pcmS16le), 16000});
        QCOMPARE(error.code, QString(codes::audioOutOfOrder));
        QCOMPARE(error.ref, QStringLiteral("a2"));
        QVERIFY2(error.message.contains(u"\"a1\""), qPrintable(error.message));
        QCOMPARE(gate.current().id, QStringLiteral("a1")); // the open audio is untouched

        error = gate.end(AudioEnd {QStringLiteral("a2"), QString()});
        QCOMPARE(error.code, QString(codes::audioOutOfOrder));
        QVERIFY(gate.isOpen());

        QVERIFY(gate.end(AudioEnd {QStringLiteral("a1"), QStringLiteral("hi")}).isNull());
        QVERIFY(!gate.isOpen());
        QCOMPARE(gate.bytesReceived(), qint64(960));
        QCOMPARE(gate.binary(2).code, QString(codes::frameBinaryUnexpected));

        QVERIFY(gate.start(start).isNull());
        gate.reset();
        QVERIFY(!gate.isOpen());
        QCOMPARE(gate.bytesReceived(), qint64(0));
    }

    void idGrammar_data()
    {
        QTest::addColumn<QString>("id");
        QTest::addColumn<bool>("valid");
        QTest::addRow("simple") << QStringLiteral("m1") << true;
        QTest::addRow("uuid") << QStringLiteral("0d5e2f4a-3c1b-5e6f-8a9b-1c2d3e4f5a6b") << true;
        QTest::addRow("punctuation") << QStringLiteral("a.b_c:d-e") << true;
        QTest::addRow("64") << QString(64, u'z') << true;
        QTest::addRow("65") << QString(65, u'z') << false;
        QTest::addRow("empty") << QString() << false;
        QTest::addRow("space") << QStringLiteral("a b") << false;
        QTest::addRow("slash") << QStringLiteral("a/b") << false;
        QTest::addRow("non-ASCII letter") << QStringLiteral("é") << false;
        QTest::addRow("newline") << QStringLiteral("a\n") << false;
    }

    void idGrammar()
    {
        QFETCH(QString, id);
        QFETCH(bool, valid);
        QCOMPARE(isValidId(id), valid);
    }

    void constants()
    {
        QCOMPARE(version, 1);
        QCOMPARE(QString(conversationPath), QStringLiteral("/v1/conversation"));
        QCOMPARE(int(CloseUnauthorized), 4401);
        QCOMPARE(int(CloseTryAgainLater), 1013);
    }
};

QTEST_GUILESS_MAIN(TestProtocol)
#include "tst_protocol.moc"
