// SPDX-License-Identifier: MIT
#include "client/report.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

#include <limits>

using namespace voxtrack::client;

namespace {

const QString awkwardSession = QStringLiteral("s<1>&\"quoted\" 'single'");
const QString awkwardMessage = QStringLiteral("reply <b>lost</b> & \"never\" stored\nsecond line");

RunReport sampleReport()
{
    RunReport r;
    r.scenario = QStringLiteral("smoke & <load>");
    r.server = QStringLiteral("ws://localhost:8080/ws");
    r.startedAt = QDateTime(QDate(2024, 5, 6), QTime(7, 8, 9, 250), Qt::UTC);
    r.durationSeconds = 12.3456;
    r.sessionsPlanned = 10;
    r.sessionsStarted = 10;
    r.sessionsCompleted = 9;
    r.sessionsFailed = 1;
    r.messagesSent = 40;
    r.messagesAcked = 39;
    r.messagesPersisted = 38;
    for (qint64 v : {1000, 2000, 3000})
        r.ack.record(v);
    r.connect.record(5000);
    r.thresholds
        = {{QStringLiteral("ack p99 ms"), 250, 3.0, true}, {QStringLiteral("persisted ratio"), 1.0, 0.95, false}};
    r.findings = {{QStringLiteral("message.missing"), awkwardSession, QStringLiteral("content"),
                      QStringLiteral("hello"), QString(), awkwardMessage},
        {QStringLiteral("session.count"), QString(), QStringLiteral("sessions"), QStringLiteral("10"),
            QStringLiteral("9"), QStringLiteral("a session is missing")}};
    r.verified = true;
    r.errorsByCode = {{QStringLiteral("ws.closed"), 2}, {QStringLiteral("ack.timeout"), 1}};
    return r;
}

QList<TurnSample> sampleTurns()
{
    return {{QStringLiteral("s1"), 1, 1200, 3400, 56000, 78000, true, QString()},
        {QStringLiteral("s2"), 1, 1300, -1, -1, -1, false, QStringLiteral("ws.closed: the server closed, \"1006\"")},
        {awkwardSession, 2, -1, 2000, -1, -1, true, QString()}};
}

struct Testcase {
    QString classname;
    QString name;
    bool failed = false;
    bool skipped = false;
    QString failureMessage;
    QString failureText;
};

struct ParsedJUnit {
    QXmlStreamAttributes suites;
    QXmlStreamAttributes suite;
    QList<Testcase> cases;
    QString error;
};

ParsedJUnit parseJUnit(const QByteArray& xml)
{
    ParsedJUnit parsed;
    QXmlStreamReader reader(xml);
    int suiteCount = 0;
    while (!reader.atEnd()) {
        reader.readNext();
        if (!reader.isStartElement())
            continue;
        const auto name = reader.name();
        if (name == QStringLiteral("testsuites")) {
            parsed.suites = reader.attributes();
        } else if (name == QStringLiteral("testsuite")) {
            parsed.suite = reader.attributes();
            ++suiteCount;
        } else if (name == QStringLiteral("testcase")) {
            parsed.cases.append({reader.attributes().value(QStringLiteral("classname")).toString(),
                reader.attributes().value(QStringLiteral("name")).toString(), false, false, QString(), QString()});
        } else if (name == QStringLiteral("failure")) {
            parsed.cases.last().failed = true;
            parsed.cases.last().failureMessage = reader.attributes().value(QStringLiteral("message")).toString();
            parsed.cases.last().failureText = reader.readElementText();
        } else if (name == QStringLiteral("skipped")) {
            parsed.cases.last().skipped = true;
        } else if (name != QStringLiteral("properties") && name != QStringLiteral("property")) {
            parsed.error = QStringLiteral("unexpected element ") + name.toString();
        }
    }
    if (reader.hasError())
        parsed.error = reader.errorString();
    else if (suiteCount != 1)
        parsed.error = QStringLiteral("%1 testsuites").arg(suiteCount);
    return parsed;
}

} // namespace

class TestReport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void jsonKeysAndValues()
    {
        const RunReport r = sampleReport();
        const QJsonObject json = r.toJson();
        const QStringList keys {QStringLiteral("client"), QStringLiteral("duration_seconds"),
            QStringLiteral("errors_by_code"), QStringLiteral("findings"), QStringLiteral("interrupted"),
            QStringLiteral("latency"), QStringLiteral("messages"), QStringLiteral("passed"), QStringLiteral("scenario"),
            QStringLiteral("server"), QStringLiteral("sessions"), QStringLiteral("started_at"),
            QStringLiteral("thresholds"), QStringLiteral("throughput"), QStringLiteral("verified"),
            QStringLiteral("version")};
        QCOMPARE(json.keys(), keys);
        QCOMPARE(json.value(QStringLiteral("version")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("scenario")).toString(), r.scenario);
        QCOMPARE(json.value(QStringLiteral("server")).toString(), r.server);
        QCOMPARE(json.value(QStringLiteral("started_at")).toString(), QStringLiteral("2024-05-06T07:08:09.250Z"));
        QCOMPARE(json.value(QStringLiteral("duration_seconds")).toDouble(), 12.346);
        QCOMPARE(json.value(QStringLiteral("passed")).toBool(), false);
        QCOMPARE(json.value(QStringLiteral("verified")).toBool(), true);
        QCOMPARE(json.value(QStringLiteral("interrupted")).toBool(), false);

        const QJsonObject sessions = json.value(QStringLiteral("sessions")).toObject();
        QCOMPARE(sessions.keys(),
            (QStringList {QStringLiteral("completed"), QStringLiteral("failed"), QStringLiteral("peak_concurrent"),
                QStringLiteral("planned"), QStringLiteral("started")}));
        QCOMPARE(sessions.value(QStringLiteral("planned")).toInt(), 10);
        QCOMPARE(sessions.value(QStringLiteral("completed")).toInt(), 9);
        QCOMPARE(sessions.value(QStringLiteral("failed")).toInt(), 1);
        const QJsonObject messages = json.value(QStringLiteral("messages")).toObject();
        QCOMPARE(messages.value(QStringLiteral("sent")).toInteger(), 40);
        QCOMPARE(messages.value(QStringLiteral("acked")).toInteger(), 39);
        QCOMPARE(messages.value(QStringLiteral("persisted")).toInteger(), 38);

        // 39 acknowledged in 12.346 s; no reply.
        const QJsonObject throughput = json.value(QStringLiteral("throughput")).toObject();
        QCOMPARE(throughput.value(QStringLiteral("messages_per_second")).toDouble(), 3.2);
        QCOMPARE(throughput.value(QStringLiteral("replies_per_second")).toDouble(), 0.0);
        // The client's own costs: unknown here (null), known in the copy.
        const QJsonObject unknownClient = json.value(QStringLiteral("client")).toObject();
        QVERIFY(unknownClient.value(QStringLiteral("cpu_seconds")).isNull());
        QVERIFY(unknownClient.value(QStringLiteral("cpu_us_per_message")).isNull());
        QVERIFY(unknownClient.value(QStringLiteral("peak_rss_mb")).isNull());
        RunReport measured = r;
        measured.threads = 2;
        measured.clientCpuSeconds = 2.0;
        measured.clientPeakRssMb = 31.25;
        measured.peakConcurrent = 7;
        const QJsonObject measuredJson = measured.toJson();
        const QJsonObject client = measuredJson.value(QStringLiteral("client")).toObject();
        QCOMPARE(client.value(QStringLiteral("threads")).toInt(), 2);
        QCOMPARE(client.value(QStringLiteral("cpu_seconds")).toDouble(), 2.0);
        QCOMPARE(client.value(QStringLiteral("cpu_us_per_message")).toDouble(), 50000.0); // 2 s over 40 sent
        QCOMPARE(client.value(QStringLiteral("peak_rss_mb")).toDouble(), 31.3);
        QCOMPARE(
            measuredJson.value(QStringLiteral("sessions")).toObject().value(QStringLiteral("peak_concurrent")).toInt(),
            7);

        const QJsonObject latency = json.value(QStringLiteral("latency")).toObject();
        QCOMPARE(latency.keys(),
            (QStringList {QStringLiteral("ack"), QStringLiteral("connect"), QStringLiteral("persisted"),
                QStringLiteral("reply")}));
        QCOMPARE(latency.value(QStringLiteral("ack")).toObject(), r.ack.toJson());
        QCOMPARE(latency.value(QStringLiteral("ack")).toObject().value(QStringLiteral("count")).toInt(), 3);
        QCOMPARE(latency.value(QStringLiteral("reply")).toObject().value(QStringLiteral("count")).toInt(), 0);

        const QJsonArray thresholds = json.value(QStringLiteral("thresholds")).toArray();
        QCOMPARE(thresholds.size(), 2);
        const QJsonObject second = thresholds.at(1).toObject();
        QCOMPARE(second.value(QStringLiteral("name")).toString(), QStringLiteral("persisted ratio"));
        QCOMPARE(second.value(QStringLiteral("limit")).toDouble(), 1.0);
        QCOMPARE(second.value(QStringLiteral("actual")).toDouble(), 0.95);
        QCOMPARE(second.value(QStringLiteral("lower_is_better")).toBool(), false);
        QCOMPARE(second.value(QStringLiteral("passed")).toBool(), false);
        QCOMPARE(thresholds.at(0).toObject().value(QStringLiteral("passed")).toBool(), true);

        const QJsonArray findings = json.value(QStringLiteral("findings")).toArray();
        QCOMPARE(findings.size(), 2);
        const QJsonObject first = findings.at(0).toObject();
        QCOMPARE(first.keys(),
            (QStringList {QStringLiteral("actual"), QStringLiteral("check"), QStringLiteral("expected"),
                QStringLiteral("field"), QStringLiteral("message"), QStringLiteral("session_id")}));
        QCOMPARE(first.value(QStringLiteral("session_id")).toString(), awkwardSession);
        QCOMPARE(first.value(QStringLiteral("message")).toString(), awkwardMessage);
        QCOMPARE(first.value(QStringLiteral("check")).toString(), QStringLiteral("message.missing"));

        const QJsonObject errors = json.value(QStringLiteral("errors_by_code")).toObject();
        QCOMPARE(errors.value(QStringLiteral("ws.closed")).toInteger(), 2);
        QCOMPARE(errors.value(QStringLiteral("ack.timeout")).toInteger(), 1);
    }

    void invalidStartIsNull()
    {
        RunReport r;
        QVERIFY(r.toJson().value(QStringLiteral("started_at")).isNull());
        QVERIFY(r.passed());
    }

    void passedLogic_data()
    {
        QTest::addColumn<QList<Threshold>>("thresholds");
        QTest::addColumn<int>("findings");
        QTest::addColumn<bool>("passed");
        const auto lower = [](double limit, double actual) {
            return Threshold {QStringLiteral("t"), limit, actual, true};
        };
        const auto higher = [](double limit, double actual) {
            return Threshold {QStringLiteral("t"), limit, actual, false};
        };
        const double nan = std::numeric_limits<double>::quiet_NaN();
        QTest::addRow("nothing") << QList<Threshold>() << 0 << true;
        QTest::addRow("lower under limit") << QList<Threshold> {lower(250, 100)} << 0 << true;
        QTest::addRow("lower at limit") << QList<Threshold> {lower(250, 250)} << 0 << true;
        QTest::addRow("lower over limit") << QList<Threshold> {lower(250, 250.5)} << 0 << false;
        QTest::addRow("higher over limit") << QList<Threshold> {higher(0.99, 1)} << 0 << true;
        QTest::addRow("higher at limit") << QList<Threshold> {higher(1, 1)} << 0 << true;
        QTest::addRow("higher under limit") << QList<Threshold> {higher(1, 0.999)} << 0 << false;
        QTest::addRow("NaN fails") << QList<Threshold> {lower(250, nan)} << 0 << false;
        QTest::addRow("one of three fails")
            << QList<Threshold> {lower(250, 1), higher(1, 0.5), lower(10, 1)} << 0 << false;
        QTest::addRow("thresholds hold, a finding") << QList<Threshold> {lower(250, 1)} << 1 << false;
        QTest::addRow("no thresholds, findings") << QList<Threshold>() << 3 << false;
    }

    void passedLogic()
    {
        QFETCH(QList<Threshold>, thresholds);
        QFETCH(int, findings);
        QFETCH(bool, passed);
        RunReport r;
        r.thresholds = thresholds;
        for (int i = 0; i < findings; ++i)
            r.findings.append({QStringLiteral("message.missing"), QStringLiteral("s%1").arg(i), {}, {}, {}, {}});
        QCOMPARE(r.passed(), passed);
        QCOMPARE(r.exitCode(), passed ? 0 : 1);
        QCOMPARE(r.toJson().value(QStringLiteral("passed")).toBool(), passed);
        QCOMPARE(r.toText().contains(QStringLiteral("PASSED")), passed);
    }

    void junitStructureAndEscaping()
    {
        const RunReport r = sampleReport();
        const QByteArray xml = r.toJUnitXml(sampleTurns());
        const ParsedJUnit junit = parseJUnit(xml);
        QVERIFY2(junit.error.isEmpty(), qPrintable(junit.error + u'\n' + QString::fromUtf8(xml)));

        // 2 thresholds, verification, 2 failing sessions (a finding for the awkward one, a failed turn for s2).
        QCOMPARE(junit.cases.size(), 5);
        qsizetype failures = 0;
        for (const Testcase& c : junit.cases)
            failures += c.failed ? 1 : 0;
        QCOMPARE(failures, 4);
        for (const QXmlStreamAttributes& attributes : {junit.suites, junit.suite}) {
            QCOMPARE(attributes.value(QStringLiteral("tests")).toInt(), junit.cases.size());
            QCOMPARE(attributes.value(QStringLiteral("failures")).toInt(), failures);
            QCOMPARE(attributes.value(QStringLiteral("errors")).toInt(), 0);
            QCOMPARE(attributes.value(QStringLiteral("time")).toString(), QStringLiteral("12.346"));
        }
        QCOMPARE(junit.suite.value(QStringLiteral("name")).toString(), QStringLiteral("voxtrack drive: ") + r.scenario);

        QCOMPARE(junit.cases.at(0).classname, QStringLiteral("thresholds"));
        QCOMPARE(junit.cases.at(0).name, QStringLiteral("ack p99 ms"));
        QVERIFY(!junit.cases.at(0).failed);
        QCOMPARE(junit.cases.at(1).name, QStringLiteral("persisted ratio"));
        QVERIFY(junit.cases.at(1).failed);
        QVERIFY2(junit.cases.at(1).failureMessage.contains(QStringLiteral("0.95")),
            qPrintable(junit.cases.at(1).failureMessage));

        const Testcase& verification = junit.cases.at(2);
        QCOMPARE(verification.classname, QStringLiteral("verification"));
        QCOMPARE(verification.name, QStringLiteral("database matches the conversations"));
        QVERIFY(verification.failed);
        QVERIFY(verification.failureText.contains(awkwardMessage));
        QVERIFY(verification.failureText.contains(QStringLiteral("a session is missing")));

        QCOMPARE(junit.cases.at(3).classname, QStringLiteral("sessions"));
        QCOMPARE(junit.cases.at(3).name, awkwardSession);
        QVERIFY(junit.cases.at(3).failed);
        QVERIFY(junit.cases.at(3).failureText.contains(awkwardMessage));
        QVERIFY(junit.cases.at(3).failureMessage.contains(awkwardSession));
        QCOMPARE(junit.cases.at(4).name, QStringLiteral("s2"));
        QVERIFY(junit.cases.at(4).failureText.contains(QStringLiteral("ws.closed: the server closed, \"1006\"")));

        // The raw text has no unescaped markup from the data.
        QVERIFY(!xml.contains("<b>"));
        QVERIFY(xml.contains("&lt;b>") || xml.contains("&lt;b&gt;"));
    }

    void junitReplacesCharactersXmlCannotHold()
    {
        RunReport r;
        r.verified = true;
        r.findings = {{QStringLiteral("x"), QStringLiteral("bell\x07session"), {}, {}, {},
            QStringLiteral("nul") + QChar(u'\0') + QStringLiteral("byte")}};
        const ParsedJUnit junit = parseJUnit(r.toJUnitXml());
        QVERIFY2(junit.error.isEmpty(), qPrintable(junit.error));
        QCOMPARE(junit.cases.size(), 2);
        QCOMPARE(junit.cases.at(1).name, QStringLiteral("bell\uFFFDsession"));
    }

    void junitVerificationStates_data()
    {
        QTest::addColumn<bool>("verified");
        QTest::addColumn<int>("findings");
        QTest::addColumn<bool>("failed");
        QTest::addColumn<bool>("skipped");
        QTest::addColumn<QString>("mentions");
        QTest::addRow("not run") << false << 0 << false << true << QString();
        QTest::addRow("clean") << true << 0 << false << false << QString();
        QTest::addRow("one finding") << true << 1 << true << false << QStringLiteral("[check0]");
        QTest::addRow("50 findings shown") << true << 50 << true << false << QStringLiteral("[check49]");
        QTest::addRow("60 findings capped") << true << 60 << true << false << QStringLiteral("and 10 more");
    }

    void junitVerificationStates()
    {
        QFETCH(bool, verified);
        QFETCH(int, findings);
        QFETCH(bool, failed);
        QFETCH(bool, skipped);
        QFETCH(QString, mentions);
        RunReport r;
        r.verified = verified;
        for (int i = 0; i < findings; ++i)
            r.findings.append({QStringLiteral("check%1").arg(i), {}, {}, {}, {}, QStringLiteral("m")});
        const ParsedJUnit junit = parseJUnit(r.toJUnitXml());
        QVERIFY2(junit.error.isEmpty(), qPrintable(junit.error));
        QCOMPARE(junit.cases.size(), 1);
        const Testcase& c = junit.cases.first();
        QCOMPARE(c.failed, failed);
        QCOMPARE(c.skipped, skipped);
        QCOMPARE(junit.suite.value(QStringLiteral("failures")).toInt(), failed ? 1 : 0);
        QCOMPARE(junit.suite.value(QStringLiteral("skipped")).toInt(), skipped ? 1 : 0);
        if (!mentions.isEmpty())
            QVERIFY2(c.failureText.contains(mentions), qPrintable(c.failureText));
        if (findings == 60)
            QVERIFY(!c.failureText.contains(QStringLiteral("[check50]")));
    }

    void csvQuoting_data()
    {
        QTest::addColumn<QString>("session");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("row");
        QTest::addRow("plain") << QStringLiteral("s1") << QString() << QStringLiteral("s1,1,10,,30,,true,");
        QTest::addRow("comma") << QStringLiteral("a,b") << QStringLiteral("x, y")
                               << QStringLiteral("\"a,b\",1,10,,30,,true,\"x, y\"");
        QTest::addRow("quotes") << QStringLiteral("say \"hi\"") << QStringLiteral("\"")
                                << QStringLiteral("\"say \"\"hi\"\"\",1,10,,30,,true,\"\"\"\"");
        QTest::addRow("newline") << QStringLiteral("s1") << QStringLiteral("line1\nline2")
                                 << QStringLiteral("s1,1,10,,30,,true,\"line1\nline2\"");
        QTest::addRow("carriage return") << QStringLiteral("s1") << QStringLiteral("a\rb")
                                         << QStringLiteral("s1,1,10,,30,,true,\"a\rb\"");
        QTest::addRow("unicode") << QStringLiteral("séance") << QStringLiteral("ümlaut")
                                 << QStringLiteral("séance,1,10,,30,,true,ümlaut");
    }

    void csvQuoting()
    {
        QFETCH(QString, session);
        QFETCH(QString, error);
        QFETCH(QString, row);
        const TurnSample turn {session, 1, 10, -1, 30, -1, true, error};
        const QString csv = QString::fromUtf8(turnsCsv({turn}));
        const QString header = QStringLiteral("session_id,turn,connect_us,ack_us,reply_us,persisted_us,ok,error\r\n");
        QCOMPARE(csv, header + row + QStringLiteral("\r\n"));
    }

    void csvRows()
    {
        const QString csv = QString::fromUtf8(turnsCsv(sampleTurns()));
        const QStringList lines = csv.split(QStringLiteral("\r\n"));
        QCOMPARE(lines.size(), 5); // header, three rows, empty after the last CRLF
        QCOMPARE(lines.at(1), QStringLiteral("s1,1,1200,3400,56000,78000,true,"));
        QCOMPARE(lines.at(2), QStringLiteral("s2,1,1300,,,,false,\"ws.closed: the server closed, \"\"1006\"\"\""));
        QVERIFY(lines.last().isEmpty());
        QCOMPARE(QString::fromUtf8(turnsCsv({})),
            QStringLiteral("session_id,turn,connect_us,ack_us,reply_us,persisted_us,ok,error\r\n"));
    }

    void textSummary()
    {
        const RunReport r = sampleReport();
        const QString text = r.toText();
        for (const QString& part : {r.scenario, r.server, QStringLiteral("FAIL"), QStringLiteral("persisted ratio"),
                 QStringLiteral("ws.closed: 2"), QStringLiteral("findings: 2"), QStringLiteral("FAILED")})
            QVERIFY2(text.contains(part), qPrintable(part + u'\n' + text));
    }

    void writeReportsCreatesTheFiles()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QString directory = temp.filePath(QStringLiteral("reports/run 1"));
        const RunReport r = sampleReport();
        const auto status = writeReports(r, sampleTurns(), directory);
        QVERIFY2(status.isNull(), qPrintable(status.toString()));

        QFile summary(directory + QStringLiteral("/summary.json"));
        QVERIFY(summary.open(QIODevice::ReadOnly));
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(summary.readAll(), &parseError);
        QCOMPARE(parseError.error, QJsonParseError::NoError);
        QCOMPARE(document.object(), r.toJson());

        QFile junit(directory + QStringLiteral("/junit.xml"));
        QVERIFY(junit.open(QIODevice::ReadOnly));
        const ParsedJUnit parsed = parseJUnit(junit.readAll());
        QVERIFY2(parsed.error.isEmpty(), qPrintable(parsed.error));
        QCOMPARE(parsed.cases.size(), 5);

        QFile csv(directory + QStringLiteral("/turns.csv"));
        QVERIFY(csv.open(QIODevice::ReadOnly));
        QCOMPARE(csv.readAll(), turnsCsv(sampleTurns()));

        // Writing again replaces the files.
        RunReport second;
        QVERIFY(writeReports(second, {}, directory).isNull());
        summary.close();
        QVERIFY(summary.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(summary.readAll()).object(), second.toJson());
    }

    void writeReportsFailsUnderARegularFile()
    {
        QTemporaryDir temp;
        QVERIFY(temp.isValid());
        const QString file = temp.filePath(QStringLiteral("plain-file"));
        {
            QFile f(file);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("x");
        }
        const QString directory = file + QStringLiteral("/reports");
        const auto status = writeReports(sampleReport(), sampleTurns(), directory);
        QCOMPARE(status.code, QStringLiteral("report.write"));
        QVERIFY2(status.message.contains(directory), qPrintable(status.message));
    }
};

QTEST_GUILESS_MAIN(TestReport)
#include "tst_report.moc"
