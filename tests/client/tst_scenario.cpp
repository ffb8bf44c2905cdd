// SPDX-License-Identifier: MIT
#include "client/scenario.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace voxtrack;
using namespace voxtrack::client;

namespace {

/// JSON written with single quotes, which keeps the test data readable; none of it needs a
/// literal single quote.
QByteArray json(const char* text)
{
    return QByteArray(text).replace('\'', '"');
}

/// A version 1 document around a turns array (and optional extra top-level members).
QByteArray withTurns(const char* turns, const char* extra = "")
{
    return json("{'version': 1, 'turns': ") + json(turns) + json(extra) + '}';
}

/// A version 1 document with one plain turn and the given extra top-level members.
QByteArray withTop(const char* extra)
{
    return withTurns("[{'say': 'hello'}]", extra);
}

/// A version 1 document with one turn of the given members besides say.
QByteArray withTurn(const char* members)
{
    return json("{'version': 1, 'turns': [{'say': 'hello', ") + json(members) + json("}]}");
}

Scenario parsed(const QByteArray& document)
{
    auto scenario = Scenario::fromJson(document);
    if (!scenario) {
        qWarning().noquote() << scenario.errorText();
        return {};
    }
    return std::move(scenario).value();
}

QString examplesDirectory()
{
    return QFINDTESTDATA("../../resources/scenarios");
}

} // namespace

class TestScenario : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void examplesLoad_data()
    {
        QTest::addColumn<QString>("path");
        const QDir directory(examplesDirectory());
        QVERIFY2(directory.exists(), qPrintable(directory.path()));
        const QStringList files = directory.entryList({QStringLiteral("*.json")}, QDir::Files, QDir::Name);
        QVERIFY(files.size() >= 4);
        for (const QString& file : files)
            QTest::newRow(qPrintable(file)) << directory.filePath(file);
    }

    void examplesLoad()
    {
        QFETCH(QString, path);
        const auto scenario = Scenario::load(path);
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QVERIFY(!scenario->name.isEmpty());
        QVERIFY(!scenario->description.isEmpty());
        QVERIFY(!scenario->turns.isEmpty());
        QVERIFY(scenario->concurrency <= scenario->sessions);
    }

    void examplesAreBuiltIn_data() { examplesLoad_data(); }

    void examplesAreBuiltIn()
    {
        QFETCH(QString, path);
        const QString resource = QStringLiteral(":/voxtrack/scenarios/") + QFileInfo(path).fileName();
        const auto builtIn = Scenario::load(resource);
        QVERIFY2(builtIn.hasValue(), qPrintable(builtIn.errorText()));
        const auto file = Scenario::load(path);
        QVERIFY2(file.hasValue(), qPrintable(file.errorText()));
        QCOMPARE(builtIn->name, file->name);
        QCOMPARE(builtIn->description, file->description);
        QCOMPARE(builtIn->sessions, file->sessions);
        QCOMPARE(builtIn->turns.size(), file->turns.size());
    }

    void demoExample()
    {
        const auto scenario = Scenario::load(QStringLiteral(":/voxtrack/scenarios/demo.json"));
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QCOMPARE(scenario->name, QStringLiteral("demo"));
        QCOMPARE(scenario->sessions, 100000);
        QCOMPARE(scenario->concurrency, 4);
        QVERIFY(qAbs(1.0 / scenario->arrivalPerSecond - 3.0) < 0.01); // one about every 3 s
        QCOMPARE(scenario->rampSeconds, 0);
        QCOMPARE(scenario->timeCapSeconds, 0);
        QVERIFY(scenario->turns.size() >= 2 && scenario->turns.size() <= 5);
        QSet<QString> said;
        for (const Turn& turn : scenario->turns) {
            QCOMPARE(turn.role, Role::User);
            QCOMPARE(turn.think, (ThinkTime {1500, 4000}));
            QVERIFY(turn.expect.has_value());
            said.insert(turn.say);
        }
        QCOMPARE(said.size(), scenario->turns.size()); // no turn says the same as another
        const QJsonObject metadata = scenario->metadataFor(42);
        QCOMPARE(metadata.value(QStringLiteral("channel")).toString(), QStringLiteral("demo"));
        QCOMPARE(metadata.value(QStringLiteral("locale")).toString(), QStringLiteral("en-US"));
        QCOMPARE(metadata.value(QStringLiteral("caller")).toString(), QStringLiteral("42"));
        QCOMPARE(scenario->userIdFor(42), QStringLiteral("demo-caller-42"));
    }

    void teslaExample()
    {
        const auto scenario = Scenario::load(QDir(examplesDirectory()).filePath(QStringLiteral("tesla.json")));
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QCOMPARE(scenario->sessions, 1);
        QCOMPARE(scenario->turns.size(), 1);
        const Turn& turn = scenario->turns.first();
        QCOMPARE(turn.say, QStringLiteral("What's the price of Tesla?"));
        QCOMPARE(turn.role, Role::User);
        QVERIFY(turn.expect.has_value());
        QCOMPARE(turn.expect->role, Role::Agent);
        QCOMPARE(turn.expect->withinMs, 2000);
        QVERIFY(turn.expect->regex.match(QStringLiteral("The latest price for Tesla is $251.30.")).hasMatch());
        QCOMPARE(scenario->metadataFor(1).value(QStringLiteral("channel")).toString(), QStringLiteral("voice"));
    }

    void loadRampExample()
    {
        const auto scenario = Scenario::load(QDir(examplesDirectory()).filePath(QStringLiteral("load-ramp.json")));
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QCOMPARE(scenario->sessions, 2000);
        QCOMPARE(scenario->concurrency, 500);
        QCOMPARE(scenario->arrivalPerSecond, 100.0);
        QCOMPARE(scenario->rampSeconds, 20);
        QCOMPARE(scenario->timeCapSeconds, 300);
        QCOMPARE(scenario->userIdFor(1999), QStringLiteral("load-1999"));
        QCOMPARE(scenario->metadataFor(7).value(QStringLiteral("session_number")).toString(), QStringLiteral("7"));
    }

    void captureRepeatExample()
    {
        const auto scenario = Scenario::load(QDir(examplesDirectory()).filePath(QStringLiteral("capture-repeat.json")));
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QCOMPARE(scenario->messagesPerSession(), 7);
        const Turn& asking = scenario->turns.at(1);
        QCOMPARE(asking.captures.size(), 2);
        const QString reply = QStringLiteral("The latest price for Tesla is $251.30.");
        QHash<QString, QString> captured;
        for (const Capture& capture : asking.captures)
            captured.insert(capture.name, capture.regex.match(reply).captured(capture.group));
        QCOMPARE(captured.value(QStringLiteral("company")), QStringLiteral("Tesla"));
        QCOMPARE(captured.value(QStringLiteral("price")), QStringLiteral("251.30"));
        QCOMPARE(scenario->turns.at(2).repeat, 3);
        QCOMPARE(scenario->turns.at(2).think, (ThinkTime {200, 800}));
        QCOMPARE(scenario->turns.at(3).role, Role::Agent);
        QCOMPARE(Scenario::substitute(scenario->turns.at(3).say, captured, 4, scenario->userIdFor(4)),
            QStringLiteral("Noted: Tesla at $251.30 for trader-4."));
        QCOMPARE(Scenario::substitute(scenario->turns.at(4).say, captured, 4, QString()),
            QStringLiteral("Thank you! {251.30} is what I wanted."));
    }

    void thresholdsExample()
    {
        const auto scenario = Scenario::load(QDir(examplesDirectory()).filePath(QStringLiteral("thresholds.json")));
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        const Thresholds& limits = scenario->thresholds;
        QCOMPARE(limits.p95ReplyMs, std::optional<double>(800));
        QCOMPARE(limits.p99ReplyMs, std::optional<double>(1500));
        QCOMPARE(limits.maxErrorRate, std::optional<double>(0.01));
        QCOMPARE(limits.minPersistedRatio, std::optional<double>(1.0));
        // {uuid} makes a different id per call.
        const QString first = scenario->userIdFor(1);
        QVERIFY(first.startsWith(QStringLiteral("ci-")));
        QCOMPARE(first.size(), 3 + 36);
        QVERIFY(first != scenario->userIdFor(1));
    }

    void defaults()
    {
        const Scenario scenario = parsed(withTop(""));
        QCOMPARE(scenario.turns.size(), 1);
        QVERIFY(scenario.name.isEmpty());
        QCOMPARE(scenario.sessions, 1);
        QCOMPARE(scenario.concurrency, 1);
        QCOMPARE(scenario.arrivalPerSecond, 0.0);
        QCOMPARE(scenario.rampSeconds, 0);
        QCOMPARE(scenario.timeCapSeconds, 0);
        QCOMPARE(scenario.userIdFor(3), QStringLiteral("user-3"));
        QVERIFY(scenario.metadataFor(1).isEmpty());
        QVERIFY(scenario.thresholds.isEmpty());
        const Turn& turn = scenario.turns.first();
        QCOMPARE(turn.role, Role::User);
        QVERIFY(!turn.voice);
        QCOMPARE(turn.think, (ThinkTime {0, 0}));
        QVERIFY(!turn.expect.has_value());
        QVERIFY(turn.captures.isEmpty());
        QCOMPARE(turn.repeat, 1);
    }

    void nullMeansNotGiven()
    {
        const Scenario scenario = parsed(json("{'version': 1, 'name': null, 'sessions': null, 'arrival': null,"
                                              " 'turns': [{'say': 'x', 'think_ms': null, 'expect': null}],"
                                              " 'thresholds': {'p95_reply_ms': null}}"));
        QCOMPARE(scenario.turns.size(), 1);
        QCOMPARE(scenario.sessions, 1);
        QVERIFY(!scenario.turns.first().expect.has_value());
        QVERIFY(scenario.thresholds.isEmpty());
    }

    void loadNamesTheScenarioAfterTheFile()
    {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = directory.filePath(QStringLiteral("smoke.test.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(withTop(""));
        file.close();
        const auto scenario = Scenario::load(path);
        QVERIFY2(scenario.hasValue(), qPrintable(scenario.errorText()));
        QCOMPARE(scenario->name, QStringLiteral("smoke.test"));
    }

    void loadErrorsNameTheFile()
    {
        QTemporaryDir directory;
        QVERIFY(directory.isValid());
        const QString path = directory.filePath(QStringLiteral("broken.json"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(withTop(", 'sesions': 3"));
        file.close();
        const auto broken = Scenario::load(path);
        QVERIFY(!broken.hasValue());
        QCOMPARE(broken.error().code, QStringLiteral("scenario.invalid"));
        QVERIFY2(broken.error().message.startsWith(path + QStringLiteral(": sesions: the key is not known")),
            qPrintable(broken.error().message));

        const auto missing = Scenario::load(directory.filePath(QStringLiteral("missing.json")));
        QVERIFY(!missing.hasValue());
        QCOMPARE(missing.error().code, QStringLiteral("scenario.open"));
        QVERIFY2(missing.error().message.contains(QStringLiteral("missing.json")), qPrintable(missing.errorText()));
    }

    void thinkTime_data()
    {
        QTest::addColumn<QByteArray>("value");
        QTest::addColumn<int>("minMs");
        QTest::addColumn<int>("maxMs");
        QTest::addRow("absent") << QByteArray() << 0 << 0;
        QTest::addRow("fixed") << QByteArray("500") << 500 << 500;
        QTest::addRow("zero") << QByteArray("0") << 0 << 0;
        QTest::addRow("range") << QByteArray("[200, 800]") << 200 << 800;
        QTest::addRow("empty range") << QByteArray("[300, 300]") << 300 << 300;
        QTest::addRow("largest") << QByteArray("[0, 600000]") << 0 << 600000;
    }

    void thinkTime()
    {
        QFETCH(QByteArray, value);
        QFETCH(int, minMs);
        QFETCH(int, maxMs);
        const QByteArray member = value.isNull() ? QByteArray("'voice': false") : "'think_ms': " + value;
        const Scenario scenario = parsed(withTurn(member.constData()));
        QCOMPARE(scenario.turns.size(), 1);
        QCOMPARE(scenario.turns.first().think, (ThinkTime {minMs, maxMs}));
        QCOMPARE(scenario.turns.first().think.isFixed(), minMs == maxMs);
    }

    void turnFields()
    {
        const Scenario scenario
            = parsed(withTurns("[{'say': 'a', 'voice': true, 'repeat': 4,"
                               "  'expect': {'role': 'system', 'contains': 'Tesla', 'within_ms': 1}},"
                               " {'say': 'b', 'role': 'system'}, {'say': 'c', 'role': 'agent'}]"));
        QCOMPARE(scenario.turns.size(), 3);
        const Turn& first = scenario.turns.at(0);
        QVERIFY(first.voice);
        QCOMPARE(first.repeat, 4);
        QCOMPARE(first.expect->role, Role::System);
        QCOMPARE(first.expect->contains, QStringLiteral("Tesla"));
        QVERIFY(first.expect->regex.pattern().isEmpty());
        QCOMPARE(first.expect->withinMs, 1);
        QCOMPARE(scenario.turns.at(1).role, Role::System);
        QCOMPARE(scenario.turns.at(2).role, Role::Agent);
        QCOMPARE(scenario.messagesPerSession(), 6);
    }

    void voiceFields()
    {
        // the defaults: text turns, real-time pacing, en-us at 175 words per minute
        const Scenario plain = parsed(withTurns("[{'say': 'a'}]"));
        QVERIFY(!plain.hasVoice());
        QCOMPARE(plain.audio.pacing, Pacing::RealTime);
        QCOMPARE(plain.audio.voice, (speech::Voice {QStringLiteral("en-us"), 175}));

        const Scenario scenario = parsed(withTurns("[{'say': 'a', 'voice': true}, {'say': 'b', 'voice': false},"
                                                   " {'say': 'c', 'voice': {'name': 'de'}},"
                                                   " {'say': 'd', 'voice': {'rate': 300}},"
                                                   " {'say': 'e', 'voice': {'name': 'en-gb', 'rate': 120}}]",
            ", 'audio': {'pacing': 'fast', 'voice': 'en-gb', 'rate': 200}"));
        QVERIFY(scenario.hasVoice());
        QCOMPARE(scenario.audio.pacing, Pacing::Fast);
        QCOMPARE(scenario.audio.voice, (speech::Voice {QStringLiteral("en-gb"), 200}));
        QCOMPARE(scenario.turns.size(), 5);
        QVERIFY(scenario.turns.at(0).voice);
        QCOMPARE(scenario.turns.at(0).speaker, (speech::Voice {QStringLiteral("en-gb"), 200}));
        QVERIFY(!scenario.turns.at(1).voice);
        QVERIFY(scenario.turns.at(2).voice);
        QCOMPARE(scenario.turns.at(2).speaker, (speech::Voice {QStringLiteral("de"), 200}));
        QCOMPARE(scenario.turns.at(3).speaker, (speech::Voice {QStringLiteral("en-gb"), 300}));
        QCOMPARE(scenario.turns.at(4).speaker, (speech::Voice {QStringLiteral("en-gb"), 120}));
    }

    void voiceExample()
    {
        const auto scenario = Scenario::load(examplesDirectory() + QStringLiteral("/voice.json"));
        QVERIFY2(scenario, qPrintable(scenario.errorText()));
        QCOMPARE(scenario->name, QStringLiteral("voice"));
        QCOMPARE(scenario->audio.pacing, Pacing::RealTime);
        QCOMPARE(scenario->turns.size(), 3);
        for (const Turn& turn : scenario->turns)
            QVERIFY(turn.voice);
        QCOMPARE(scenario->turns.at(1).speaker, (speech::Voice {QStringLiteral("en-gb"), 160}));
    }

    void regexesAreCaseInsensitive()
    {
        const Scenario scenario = parsed(withTurn("'expect': {'regex': 'tesla'}, 'capture': {'all': 'price'}"));
        QCOMPARE(scenario.turns.size(), 1);
        const Turn& turn = scenario.turns.first();
        QVERIFY(turn.expect->regex.match(QStringLiteral("TESLA")).hasMatch());
        QCOMPARE(turn.captures.first().group, 0); // no group: the whole match
        QCOMPARE(
            turn.captures.first().regex.match(QStringLiteral("The PRICE is")).captured(turn.captures.first().group),
            QStringLiteral("PRICE"));
    }

    void substitution_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::addRow("none") << QStringLiteral("plain text") << QStringLiteral("plain text");
        QTest::addRow("number") << QStringLiteral("session {n}") << QStringLiteral("session 12");
        QTest::addRow("user id") << QStringLiteral("I am {user_id}.") << QStringLiteral("I am user-12.");
        QTest::addRow("captured") << QStringLiteral("{price}/{price}") << QStringLiteral("251.30/251.30");
        QTest::addRow("not captured in this run") << QStringLiteral("[{company}]") << QStringLiteral("[]");
        QTest::addRow("braces") << QStringLiteral("{{n}} {{{n}}}") << QStringLiteral("{n} {12}");
        QTest::addRow("adjacent") << QStringLiteral("{n}{user_id}{price}") << QStringLiteral("12user-12251.30");
    }

    void substitution()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        const QHash<QString, QString> captured {{QStringLiteral("price"), QStringLiteral("251.30")}};
        QCOMPARE(Scenario::substitute(text, captured, 12, QStringLiteral("user-12")), expected);
    }

    void userIdsAndMetadata()
    {
        const Scenario scenario = parsed(withTop(", 'user_id': 'u{{{n}}}-{n}',"
                                                 " 'session_metadata': {'channel': 'web', 'tag': 'run-{n}',"
                                                 " 'nested': {'list': ['{n}', 5, true]}, 'count': 3}"));
        QCOMPARE(scenario.turns.size(), 1);
        QCOMPARE(scenario.userIdFor(1), QStringLiteral("u{1}-1"));
        QCOMPARE(scenario.userIdFor(1000000), QStringLiteral("u{1000000}-1000000"));
        const QJsonObject metadata = scenario.metadataFor(42);
        QCOMPARE(metadata.value(QStringLiteral("channel")).toString(), QStringLiteral("web"));
        QCOMPARE(metadata.value(QStringLiteral("tag")).toString(), QStringLiteral("run-42"));
        QCOMPARE(metadata.value(QStringLiteral("count")).toInt(), 3);
        const QJsonArray list
            = metadata.value(QStringLiteral("nested")).toObject().value(QStringLiteral("list")).toArray();
        QCOMPARE(list.at(0).toString(), QStringLiteral("42"));
        QCOMPARE(list.at(1).toInt(), 5);
        QCOMPARE(list.at(2).toBool(), true);
        // The stored pattern is untouched.
        QCOMPARE(scenario.sessionMetadata.value(QStringLiteral("tag")).toString(), QStringLiteral("run-{n}"));
    }

    void commentsAreIgnored()
    {
        const Scenario scenario = parsed(json("{'_about': 1, 'version': 1, 'arrival': {'_x': 0, 'per_second': 0.5},"
                                              " 'turns': [{'_note': 'x', 'say': 'hi', 'expect': {'_y': []},"
                                              " 'capture': {'_z': 'ignored', 'word': '(\\\\w+)'}}]}"));
        QCOMPARE(scenario.turns.size(), 1);
        QCOMPARE(scenario.arrivalPerSecond, 0.5);
        QCOMPARE(scenario.turns.first().captures.size(), 1);
        QCOMPARE(scenario.turns.first().captures.first().group, 1);
    }

    void capturesFeedLaterTurns()
    {
        const Scenario scenario = parsed(withTurns("[{'say': 'a', 'capture': {'x': '(a)'}},"
                                                   " {'say': 'b {x}', 'capture': {'y': '(b)'}},"
                                                   " {'say': 'c {x} {y}', 'capture': {'x': '(c)'}},"
                                                   " {'say': 'd {x}'}]"));
        QCOMPARE(scenario.turns.size(), 4);
    }

    void rejects_data()
    {
        QTest::addColumn<QByteArray>("document");
        QTest::addColumn<QString>("startsWith");
        QTest::addColumn<QString>("mentions");

        QTest::addRow("not JSON") << QByteArray("{\"version\": 1,") << QStringLiteral("The scenario is not valid JSON")
                                  << QStringLiteral("at byte 14");
        QTest::addRow("not an object") << json("[{'say': 'x'}]") << QStringLiteral("The scenario is an array")
                                       << QStringLiteral("\"turns\"");
        QTest::addRow("version missing") << json("{'turns': [{'say': 'x'}]}") << QStringLiteral("version:")
                                         << QStringLiteral("the key is missing");
        QTest::addRow("version 2") << json("{'version': 2, 'turns': [{'say': 'x'}]}") << QStringLiteral("version:")
                                   << QStringLiteral("the version 2 is not supported");
        QTest::addRow("turns missing") << json("{'version': 1}") << QStringLiteral("turns:")
                                       << QStringLiteral("an array of at least one turn");
        QTest::addRow("turns empty") << withTurns("[]") << QStringLiteral("turns:") << QStringLiteral("empty");
        QTest::addRow("turns an object") << withTurns("{}") << QStringLiteral("turns:")
                                         << QStringLiteral("not an object");
        QTest::addRow("unknown top key") << withTop(", 'sesions': 3") << QStringLiteral("sesions:")
                                         << QStringLiteral("not known: use one of version, name");
        QTest::addRow("unknown turn key") << withTurns("[{'say': 'x'}, {'say': 'y', 'thinkms': 3}]")
                                          << QStringLiteral("turns[1].thinkms:") << QStringLiteral("say, voice, role");
        QTest::addRow("unknown expect key") << withTurn("'expect': {'within': 3}")
                                            << QStringLiteral("turns[0].expect.within:") << QStringLiteral("within_ms");
        QTest::addRow("unknown arrival key") << withTop(", 'arrival': {'per_second': 1, 'ramp': 3}")
                                             << QStringLiteral("arrival.ramp:") << QStringLiteral("ramp_seconds");
        QTest::addRow("unknown threshold key")
            << withTop(", 'thresholds': {'p90_reply_ms': 3}") << QStringLiteral("thresholds.p90_reply_ms:")
            << QStringLiteral("p95_reply_ms");
        QTest::addRow("name a number") << withTop(", 'name': 5") << QStringLiteral("name:")
                                       << QStringLiteral("expected a string, not 5");
        QTest::addRow("sessions zero") << withTop(", 'sessions': 0") << QStringLiteral("sessions:")
                                       << QStringLiteral("from 1 to 1000000, not 0");
        QTest::addRow("sessions too many")
            << withTop(", 'sessions': 1000001") << QStringLiteral("sessions:") << QStringLiteral("not 1000001");
        QTest::addRow("sessions fraction")
            << withTop(", 'sessions': 2.5") << QStringLiteral("sessions:") << QStringLiteral("not 2.5");
        QTest::addRow("sessions a string")
            << withTop(", 'sessions': '10'") << QStringLiteral("sessions:") << QStringLiteral("not \"10\"");
        QTest::addRow("concurrency zero") << withTop(", 'sessions': 5, 'concurrency': 0")
                                          << QStringLiteral("concurrency:") << QStringLiteral("from 1 to 100000");
        QTest::addRow("concurrency above sessions")
            << withTop(", 'sessions': 5, 'concurrency': 6") << QStringLiteral("concurrency:")
            << QStringLiteral("lower \"concurrency\" or raise \"sessions\"");
        QTest::addRow("arrival a number")
            << withTop(", 'arrival': 50") << QStringLiteral("arrival:") << QStringLiteral("\"per_second\"");
        QTest::addRow("arrival without rate")
            << withTop(", 'arrival': {'ramp_seconds': 10}") << QStringLiteral("arrival.per_second:")
            << QStringLiteral("the key is missing");
        QTest::addRow("arrival rate zero") << withTop(", 'arrival': {'per_second': 0}")
                                           << QStringLiteral("arrival.per_second:") << QStringLiteral("above 0");
        QTest::addRow("ramp negative") << withTop(", 'arrival': {'per_second': 5, 'ramp_seconds': -1}")
                                       << QStringLiteral("arrival.ramp_seconds:") << QStringLiteral("not -1");
        QTest::addRow("time cap too long") << withTop(", 'time_cap_seconds': 86401")
                                           << QStringLiteral("time_cap_seconds:") << QStringLiteral("0 to 86400");
        QTest::addRow("user id empty") << withTop(", 'user_id': ''") << QStringLiteral("user_id:")
                                       << QStringLiteral("a non-empty string, not an empty string");
        QTest::addRow("user id placeholder") << withTop(", 'user_id': 'u-{id}'") << QStringLiteral("user_id:")
                                             << QStringLiteral("{id} is not known: use {n}");
        QTest::addRow("user id lone brace")
            << withTop(", 'user_id': 'u-{n'") << QStringLiteral("user_id:") << QStringLiteral("offset 2 is not closed");
        QTest::addRow("session metadata an array")
            << withTop(", 'session_metadata': []") << QStringLiteral("session_metadata:")
            << QStringLiteral("a JSON object, not an array");
        QTest::addRow("session metadata placeholder")
            << withTop(", 'session_metadata': {'a': {'b': ['x', '{user_id}']}}")
            << QStringLiteral("session_metadata.a.b[1]:") << QStringLiteral("{user_id} is not known");
        QTest::addRow("turn a string") << withTurns("['hello']") << QStringLiteral("turns[0]:")
                                       << QStringLiteral("\"say\", not \"hello\"");
        QTest::addRow("say missing") << withTurns("[{'role': 'user'}]") << QStringLiteral("turns[0].say:")
                                     << QStringLiteral("the key is missing");
        QTest::addRow("say empty") << withTurns("[{'say': ''}]") << QStringLiteral("turns[0].say:")
                                   << QStringLiteral("not an empty string");
        QTest::addRow("voice a string") << withTurn("'voice': 'yes'") << QStringLiteral("turns[0].voice:")
                                        << QStringLiteral("true, false or an object");
        QTest::addRow("voice unknown key")
            << withTurn("'voice': {'nme': 'de'}") << QStringLiteral("turns[0].voice.nme:")
            << QStringLiteral("use one of name, rate");
        QTest::addRow("voice unknown name")
            << withTurn("'voice': {'name': 'xx-nowhere'}") << QStringLiteral("turns[0].voice.name:")
            << QStringLiteral("espeak-ng has no voice \"xx-nowhere\"");
        QTest::addRow("voice empty name") << withTurn("'voice': {'name': ''}") << QStringLiteral("turns[0].voice.name:")
                                          << QStringLiteral("not an empty string");
        QTest::addRow("voice rate too slow") << withTurn("'voice': {'rate': 50}")
                                             << QStringLiteral("turns[0].voice.rate:") << QStringLiteral("80 to 450");
        QTest::addRow("voice rate a fraction") << withTurn("'voice': {'rate': 170.5}")
                                               << QStringLiteral("turns[0].voice.rate:") << QStringLiteral("170.5");
        QTest::addRow("voice on an agent turn")
            << withTurn("'voice': true, 'role': 'agent'") << QStringLiteral("turns[0].voice:")
            << QStringLiteral("only user turns can be spoken");
        QTest::addRow("voice with metadata")
            << withTurn("'voice': true, 'metadata': {'k': 1}") << QStringLiteral("turns[0].metadata:")
            << QStringLiteral("a spoken turn carries no metadata");
        QTest::addRow("audio an array") << withTop(", 'audio': []") << QStringLiteral("audio:")
                                        << QStringLiteral("a JSON object, not an array");
        QTest::addRow("audio unknown key") << withTop(", 'audio': {'speed': 2}") << QStringLiteral("audio.speed:")
                                           << QStringLiteral("use one of pacing, voice, rate");
        QTest::addRow("audio pacing") << withTop(", 'audio': {'pacing': 'slow'}") << QStringLiteral("audio.pacing:")
                                      << QStringLiteral("\"realtime\" or \"fast\"");
        QTest::addRow("audio voice unknown") << withTop(", 'audio': {'voice': 'klingon-xx'}")
                                             << QStringLiteral("audio.voice:") << QStringLiteral("--voices");
        QTest::addRow("audio rate too fast")
            << withTop(", 'audio': {'rate': 451}") << QStringLiteral("audio.rate:") << QStringLiteral("not 451");
        QTest::addRow("role assistant") << withTurn("'role': 'assistant'") << QStringLiteral("turns[0].role:")
                                        << QStringLiteral("use \"agent\" for the agent's replies (allowed roles: "
                                                          "user, agent, system)");
        QTest::addRow("role a number") << withTurn("'role': 1") << QStringLiteral("turns[0].role:")
                                       << QStringLiteral("one of user, agent, system, not 1");
        QTest::addRow("expect role assistant")
            << withTurn("'expect': {'role': 'Assistant'}") << QStringLiteral("turns[0].expect.role:")
            << QStringLiteral("\"Assistant\" is not allowed");
        QTest::addRow("think negative") << withTurn("'think_ms': -5") << QStringLiteral("turns[0].think_ms:")
                                        << QStringLiteral("from 0 to 600000, not -5");
        QTest::addRow("think a string") << withTurn("'think_ms': '500'") << QStringLiteral("turns[0].think_ms:")
                                        << QStringLiteral("or a range [min, max]");
        QTest::addRow("think range inverted")
            << withTurn("'think_ms': [800, 200]") << QStringLiteral("turns[0].think_ms:")
            << QStringLiteral("[800, 200] is inverted");
        QTest::addRow("think range of three")
            << withTurn("'think_ms': [1, 2, 3]") << QStringLiteral("turns[0].think_ms:") << QStringLiteral("an array");
        QTest::addRow("think range bad bound")
            << withTurn("'think_ms': [1, 'x']") << QStringLiteral("turns[0].think_ms[1]:") << QStringLiteral("\"x\"");
        QTest::addRow("think range null bound")
            << withTurn("'think_ms': [null, 5]") << QStringLiteral("turns[0].think_ms[0]:")
            << QStringLiteral("from 0 to 600000, not null");
        QTest::addRow("expect a string") << withTurn("'expect': 'Tesla'") << QStringLiteral("turns[0].expect:")
                                         << QStringLiteral("not \"Tesla\"");
        QTest::addRow("within negative") << withTurn("'expect': {'within_ms': -5}")
                                         << QStringLiteral("turns[0].expect.within_ms:")
                                         << QStringLiteral("from 1 to 600000, not -5");
        QTest::addRow("within zero") << withTurn("'expect': {'within_ms': 0}")
                                     << QStringLiteral("turns[0].expect.within_ms:") << QStringLiteral("not 0");
        QTest::addRow("contains empty") << withTurn("'expect': {'contains': ''}")
                                        << QStringLiteral("turns[0].expect.contains:")
                                        << QStringLiteral("a non-empty string");
        QTest::addRow("bad regex") << withTurn("'expect': {'regex': '(price'}")
                                   << QStringLiteral("turns[0].expect.regex:")
                                   << QStringLiteral("missing closing parenthesis at offset 6");
        QTest::addRow("expect on an agent turn")
            << withTurn("'role': 'agent', 'expect': {'contains': 'x'}") << QStringLiteral("turns[0].expect:")
            << QStringLiteral("only user turns get a reply");
        QTest::addRow("capture on a system turn")
            << withTurn("'role': 'system', 'capture': {'x': 'y'}") << QStringLiteral("turns[0].capture:")
            << QStringLiteral("role is \"system\"");
        QTest::addRow("capture an array") << withTurn("'capture': ['(x)']") << QStringLiteral("turns[0].capture:")
                                          << QStringLiteral("names and regular expressions");
        QTest::addRow("capture bad name")
            << withTurn("'capture': {'1st': '(x)'}") << QStringLiteral("turns[0].capture.1st:")
            << QStringLiteral("start with a letter");
        QTest::addRow("capture reserved name")
            << withTurn("'capture': {'user_id': '(x)'}") << QStringLiteral("turns[0].capture.user_id:")
            << QStringLiteral("reserved");
        QTest::addRow("capture bad regex")
            << withTurn("'capture': {'x': '[a-'}") << QStringLiteral("turns[0].capture.x:")
            << QStringLiteral("the regular expression is invalid");
        QTest::addRow("capture not a string")
            << withTurn("'capture': {'x': 3}") << QStringLiteral("turns[0].capture.x:") << QStringLiteral("not 3");
        QTest::addRow("unknown placeholder")
            << withTurns("[{'say': 'price of {company}'}]") << QStringLiteral("turns[0].say:")
            << QStringLiteral("{company} is not known: use {n} or {user_id}");
        QTest::addRow("capture used in its own turn")
            << withTurns("[{'say': 'a {x}', 'capture': {'x': '(a)'}}]") << QStringLiteral("turns[0].say:")
            << QStringLiteral("{x} is captured only by this turn or a later one");
        QTest::addRow("capture used before it is defined")
            << withTurns("[{'say': 'a', 'capture': {'y': '(a)'}}, {'say': 'b {x}'}, {'say': 'c', 'capture': {'x': "
                         "'(c)'}}]")
            << QStringLiteral("turns[1].say:") << QStringLiteral("{x} is captured only by this turn or a later one");
        QTest::addRow("placeholder typo after captures")
            << withTurns("[{'say': 'a', 'capture': {'price': '(a)'}}, {'say': 'b {prize}'}]")
            << QStringLiteral("turns[1].say:") << QStringLiteral("captured by an earlier turn (price)");
        QTest::addRow("say lone closing brace") << withTurns("[{'say': 'a } b'}]") << QStringLiteral("turns[0].say:")
                                                << QStringLiteral("offset 2 closes no placeholder");
        QTest::addRow("turn metadata a string")
            << withTurn("'metadata': 'x'") << QStringLiteral("turns[0].metadata:") << QStringLiteral("a JSON object");
        QTest::addRow("repeat zero") << withTurn("'repeat': 0") << QStringLiteral("turns[0].repeat:")
                                     << QStringLiteral("from 1 to 1000, not 0");
        QTest::addRow("repeat too many") << withTurn("'repeat': 1001") << QStringLiteral("turns[0].repeat:")
                                         << QStringLiteral("not 1001");
        QTest::addRow("thresholds an array")
            << withTop(", 'thresholds': []") << QStringLiteral("thresholds:") << QStringLiteral("an object of limits");
        QTest::addRow("p95 zero") << withTop(", 'thresholds': {'p95_reply_ms': 0}")
                                  << QStringLiteral("thresholds.p95_reply_ms:") << QStringLiteral("above 0");
        QTest::addRow("p99 below p95") << withTop(", 'thresholds': {'p95_reply_ms': 900, 'p99_reply_ms': 800}")
                                       << QStringLiteral("thresholds.p99_reply_ms:")
                                       << QStringLiteral("below p95_reply_ms (900), so the two look swapped");
        QTest::addRow("error rate a percentage")
            << withTop(", 'thresholds': {'max_error_rate': 5}") << QStringLiteral("thresholds.max_error_rate:")
            << QStringLiteral("from 0 to 1");
        QTest::addRow("persisted ratio negative")
            << withTop(", 'thresholds': {'min_persisted_ratio': -0.1}")
            << QStringLiteral("thresholds.min_persisted_ratio:") << QStringLiteral("not -0.1");
        QTest::addRow("threshold a string") << withTop(", 'thresholds': {'p99_reply_ms': '1s'}")
                                            << QStringLiteral("thresholds.p99_reply_ms:") << QStringLiteral("\"1s\"");
    }

    void rejects()
    {
        QFETCH(QByteArray, document);
        QFETCH(QString, startsWith);
        QFETCH(QString, mentions);
        const auto scenario = Scenario::fromJson(document);
        QVERIFY2(!scenario.hasValue(), document.constData());
        const Error& error = scenario.error();
        QCOMPARE(error.code, QStringLiteral("scenario.invalid"));
        QVERIFY2(error.message.startsWith(startsWith), qPrintable(error.message));
        QVERIFY2(error.message.contains(mentions), qPrintable(error.message));
        // One sentence that says what to do.
        QVERIFY2(error.message.endsWith(u'.') || error.message.endsWith(u')'), qPrintable(error.message));
    }
};

QTEST_GUILESS_MAIN(TestScenario)
#include "tst_scenario.moc"
